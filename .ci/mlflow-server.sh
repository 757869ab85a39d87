# Sourced by .ci/run (and by hand: `source .ci/mlflow-server.sh` from the project root): starts MLflow 2.17.2's own
# tracking + registry server on a free port and exports SOMNUS_TEST_MLFLOW_URI, so that model-store's tracking tests
# run against it instead of their in-test fake; stops it when the sourcing shell exits.
#   SOMNUS_MLFLOW_SERVER  the server tool (default ../shared/tools/mlflow-server/mlflow-server, see its README)
#   SOMNUS_CI_MLFLOW=fake test against the fake only (a checkout without the shared tools)
mlflow_tool="${SOMNUS_MLFLOW_SERVER:-../shared/tools/mlflow-server/mlflow-server}"
if [ "${SOMNUS_CI_MLFLOW:-real}" = "fake" ]; then
  unset SOMNUS_TEST_MLFLOW_URI
  echo "MLflow: SOMNUS_CI_MLFLOW=fake, model-store's tracking tests use their in-test fake"
elif [ ! -x "$mlflow_tool" ]; then
  echo "MLflow: no server tool at $mlflow_tool (from $(pwd)); set SOMNUS_MLFLOW_SERVER to it, or SOMNUS_CI_MLFLOW=fake to test against the fake only" >&2
  return 1 2>/dev/null || exit 1
else
  mlflow_dir="$(mktemp -d)"
  mlflow_port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  trap '"$mlflow_tool" stop "$mlflow_dir/server" >/dev/null 2>&1 || true; rm -rf "$mlflow_dir"' EXIT
  # Output to files, not a pipe: the tool's start leaves a process holding its stdout until the server stops.
  if ! "$mlflow_tool" start "$mlflow_dir/server" "$mlflow_port" >"$mlflow_dir/uri" 2>"$mlflow_dir/start.log"; then
    cat "$mlflow_dir/start.log" >&2
    echo "MLflow: the server did not start (log above); SOMNUS_CI_MLFLOW=fake tests against the fake only" >&2
    return 1 2>/dev/null || exit 1
  fi
  export SOMNUS_TEST_MLFLOW_URI="$(tail -n 1 "$mlflow_dir/uri")"
  echo "MLflow: real server $(curl -fsS "$SOMNUS_TEST_MLFLOW_URI/version") at $SOMNUS_TEST_MLFLOW_URI; model-store's tracking tests run against it"
fi
