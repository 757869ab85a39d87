#!/usr/bin/env python3
"""Offline validation of rendered Kubernetes manifests (the output of `kubectl kustomize`).

No cluster, no internet. Two layers:

1. Schema: every document is checked against a JSON schema for its apiVersion/kind, strictly (unknown
   fields are errors, like `kubeconform -strict`). Built-in kinds use the JSON schemas that fabric8
   publishes inside its kubernetes-model jars on Maven Central (schema/validation-schema.json),
   normalised here: their draft-3 style `required: true` flags are dropped, IntOrString and Quantity
   become the scalars Kubernetes accepts, and objects with declared properties are closed. Custom
   resources (KEDA ScaledObject) use the hand-written schemas in infra/k8s/schemas/.
2. References: what an API server would only reject at run time, or not at all: selectors that do not
   select their own pod template, envFrom/Service/ScaledObject references to objects the bundle does
   not contain, named ports that no container declares, GPU requests that differ from limits, a
   scaler reading an env var its target never sets.

Usage: validate_manifests.py --schema-jar JAR [--schema-jar JAR ...] --crd-schema FILE ... RENDERED.yaml
Exit status 0 when every document passes, 1 with one line per problem otherwise.
"""
import argparse
import json
import re
import sys
import zipfile

import jsonschema
import yaml

QUANTITY = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkKMGTPE]|[KMGTPE]i)?$"
SCALAR_DEFS = {
    "IntOrString": {"type": ["integer", "string"]},
    "Quantity": {"anyOf": [{"type": "number"}, {"type": "string", "pattern": QUANTITY}]},
}
# Keys fabric8 uses for Java code generation; meaningless (and sometimes malformed) as JSON schema.
JAVA_KEYS = {"javaType", "existingJavaType", "javaInterfaces", "javaOmitEmpty", "javaName",
             "extendsJavaClass", "id", "$module"}


def normalise(node):
    """Turns one fabric8 schema node into a strict draft-7 schema node (see module docstring)."""
    if isinstance(node, list):
        return [normalise(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in JAVA_KEYS or (key == "required" and isinstance(value, bool)):
            continue
        if key == "properties" and isinstance(value, dict):
            # Property names are data, not keywords: a field called "resources" must survive.
            out[key] = {name: normalise(sub) for name, sub in value.items()}
        else:
            out[key] = normalise(value)
    props = out.get("properties")
    if isinstance(props, dict):
        required = [name for name, sub in node["properties"].items()
                    if isinstance(sub, dict) and sub.get("required") is True]
        # apiVersion/kind are marked required but kustomize always emits them; keep the check anyway.
        if required:
            out["required"] = required
        if out.get("additionalProperties") in (True, None):
            out["additionalProperties"] = False
    return out


def load_builtin_schemas(jar_paths):
    """Maps (apiVersion, kind) to a validator, from fabric8 kubernetes-model jars."""
    definitions = {}
    for jar in jar_paths:
        with zipfile.ZipFile(jar) as zf:
            raw = json.loads(zf.read("schema/validation-schema.json"))
        definitions.update(raw["definitions"])
    defs = {}
    for name, schema in definitions.items():
        suffix = name.rsplit("_", 1)[-1]
        defs[name] = SCALAR_DEFS[suffix] if suffix in SCALAR_DEFS else normalise(schema)
    validators = {}
    for name, schema in definitions.items():
        props = schema.get("properties", {})
        api = props.get("apiVersion", {}).get("default")
        kind = props.get("kind", {}).get("default")
        if api and kind and not kind.endswith("List"):
            root = {"$ref": "#/definitions/" + name, "definitions": defs}
            validators[(api, kind)] = jsonschema.Draft7Validator(root)
    return validators


def load_crd_schemas(paths):
    validators = {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
        props = schema["properties"]
        validators[(props["apiVersion"]["const"], props["kind"]["const"])] = jsonschema.Draft7Validator(schema)
    return validators


def where(doc):
    meta = doc.get("metadata") or {}
    return f"{doc.get('kind', '?')}/{meta.get('name', '?')}"


def schema_problems(docs, validators):
    problems = []
    for doc in docs:
        key = (doc.get("apiVersion"), doc.get("kind"))
        validator = validators.get(key)
        if validator is None:
            problems.append(f"{where(doc)}: no schema for apiVersion={key[0]} kind={key[1]}")
            continue
        for err in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            path = ".".join(str(p) for p in err.absolute_path) or "(root)"
            problems.append(f"{where(doc)}: {path}: {err.message}")
    return problems


def pod_specs(docs):
    for doc in docs:
        if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            yield doc, doc.get("spec", {}).get("template", {})


def reference_problems(docs):
    problems = []
    by_kind = {}
    for doc in docs:
        ns = (doc.get("metadata") or {}).get("namespace")
        by_kind.setdefault(doc.get("kind"), {})[(ns, doc["metadata"]["name"])] = doc

    def exists(kind, ns, name):
        return (ns, name) in by_kind.get(kind, {})

    workload_env = {}
    for doc, template in pod_specs(docs):
        ns = doc["metadata"].get("namespace")
        selector = doc.get("spec", {}).get("selector", {}).get("matchLabels", {})
        labels = (template.get("metadata") or {}).get("labels", {})
        if not selector or any(labels.get(k) != v for k, v in selector.items()):
            problems.append(f"{where(doc)}: selector {selector} does not select its pod template labels {labels}")
        env_names = set()
        for c in (template.get("spec") or {}).get("containers", []):
            port_names = {p.get("name") for p in c.get("ports", []) if p.get("name")}
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                port = ((c.get(probe) or {}).get("httpGet") or {}).get("port")
                if isinstance(port, str) and port not in port_names:
                    problems.append(f"{where(doc)}: {c['name']}.{probe} uses port '{port}' the container does not name")
            for source in c.get("envFrom", []):
                for ref_key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    ref = source.get(ref_key)
                    if ref is None:
                        continue
                    target = by_kind.get(kind, {}).get((ns, ref.get("name")))
                    if target is None and not ref.get("optional"):
                        problems.append(f"{where(doc)}: {c['name']} envFrom {kind} '{ref.get('name')}' is not in the bundle")
                    elif target is not None:
                        env_names.update((target.get("data") or {}).keys())
                        env_names.update((target.get("stringData") or {}).keys())
            env_names.update(e["name"] for e in c.get("env", []))
            resources = c.get("resources") or {}
            for res, amount in (resources.get("requests") or {}).items():
                if "/" in res and not res.startswith("hugepages") and str((resources.get("limits") or {}).get(res)) != str(amount):
                    problems.append(f"{where(doc)}: {c['name']} extended resource {res} needs limits equal to requests")
        workload_env[(ns, doc["metadata"]["name"])] = (doc, env_names, template)

    for (ns, name), svc in by_kind.get("Service", {}).items():
        selector = svc.get("spec", {}).get("selector") or {}
        matched = [t for (_, _, t) in workload_env.values()
                   if (t.get("metadata") or {}).get("namespace", ns) == ns
                   and selector and all((t.get("metadata") or {}).get("labels", {}).get(k) == v for k, v in selector.items())]
        if not matched:
            problems.append(f"Service/{name}: selector {selector} matches no pod template in the bundle")
            continue
        named = {p.get("name") for t in matched for c in t["spec"]["containers"] for p in c.get("ports", [])}
        for port in svc["spec"].get("ports", []):
            target = port.get("targetPort")
            if isinstance(target, str) and target not in named:
                problems.append(f"Service/{name}: targetPort '{target}' is not a named container port")

    for (ns, name), so in by_kind.get("ScaledObject", {}).items():
        ref = so["spec"]["scaleTargetRef"]
        kind = ref.get("kind", "Deployment")
        if not exists(kind, ns, ref["name"]):
            problems.append(f"ScaledObject/{name}: scaleTargetRef {kind}/{ref['name']} is not in the bundle")
            continue
        _, env_names, _ = workload_env.get((ns, ref["name"]), (None, set(), None))
        for trig in so["spec"]["triggers"]:
            var = (trig.get("metadata") or {}).get("endpointFromEnv")
            if var and var not in env_names:
                problems.append(f"ScaledObject/{name}: endpointFromEnv {var} is not set on {ref['name']}'s containers")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schema-jar", action="append", required=True,
                        help="fabric8 kubernetes-model jar holding schema/validation-schema.json")
    parser.add_argument("--crd-schema", action="append", default=[], help="JSON schema of a custom resource")
    parser.add_argument("rendered", help="multi-document YAML, e.g. from `kubectl kustomize`")
    args = parser.parse_args()

    validators = load_builtin_schemas(args.schema_jar)
    validators.update(load_crd_schemas(args.crd_schema))
    with open(args.rendered, encoding="utf-8") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    if not docs:
        print(f"{args.rendered}: no documents", file=sys.stderr)
        return 1
    problems = schema_problems(docs, validators) + reference_problems(docs)
    for p in problems:
        print(p, file=sys.stderr)
    kinds = sorted({where(d).split("/")[0] for d in docs})
    print(f"{len(docs)} documents ({', '.join(kinds)}): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
