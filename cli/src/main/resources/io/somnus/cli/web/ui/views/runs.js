// Runs: every tracked sleep, nap and rollback with its true outcome and reasons; one run's metrics and workflow steps.
import { get, when, num } from '../api.js';
import { lineChart, COLOURS } from '../charts.js';

const { ref, watch, onMounted, onBeforeUnmount, nextTick } = Vue;

/** The figures a run list shows; a run's own page shows all of them. */
const KEY_METRICS = ['recall_before', 'recall_after', 'ppl_before', 'ppl_after', 'facts_advanced', 'facts_retreated'];

export const RunsView = {
  setup() {
    const runs = ref(null);
    const error = ref(null);
    onMounted(async () => {
      try { runs.value = await get('/runs'); } catch (e) { error.value = e.message; }
    });
    const figures = (r) => KEY_METRICS.filter((k) => k in r.metrics).map((k) => `${k}=${num(r.metrics[k])}`).join(' ');
    return { runs, error, when, figures };
  },
  template: `
    <section>
      <p v-if="error" class="error">{{ error }}</p>
      <p v-if="runs && !runs.length" class="hint">No tracked runs yet: sleeps, naps and rollbacks appear here.</p>
      <table v-if="runs && runs.length" class="grid" data-testid="runs-table">
        <tr><th>started</th><th>run</th><th>kind</th><th>outcome</th><th>status</th><th>model version</th><th>figures</th></tr>
        <template v-for="r in runs" :key="r.runId">
          <tr :data-run="r.runId">
            <td>{{ when(r.startTime) }}</td><td class="mono"><a :href="'#/runs/' + r.runId">{{ r.runId }}</a></td><td>{{ r.kind }}</td>
            <td><span class="badge" :class="r.outcome ?? 'none'">{{ r.outcome ?? 'not recorded' }}</span></td><td>{{ r.status }}</td>
            <td class="mono"><a v-if="r.modelVersion" :href="'#/versions/' + r.modelVersion">{{ r.modelVersion }}</a></td>
            <td class="small">{{ figures(r) }}</td>
          </tr>
          <tr v-for="(why, key) in r.reasons" :key="r.runId + key" class="reason"><td></td><td colspan="6">{{ key }}: {{ why }}</td></tr>
        </template>
      </table>
    </section>`,
};

export const RunView = {
  props: { id: String },
  setup(props) {
    const run = ref(null);
    const error = ref(null);
    const canvases = ref({});
    const charts = [];
    const series = () => Object.entries(run.value.metricHistory).filter(([, points]) => points.length > 1);
    const clear = () => { while (charts.length) charts.pop().destroy(); };
    const load = async () => {
      error.value = null;
      clear();
      try {
        run.value = await get(`/runs/${encodeURIComponent(props.id)}`);
      } catch (e) {
        error.value = e.message;
        return;
      }
      await nextTick();
      for (const [key, points] of series()) {
        charts.push(lineChart(canvases.value[key], {
          labels: points.map((p) => p.step),
          datasets: [{ label: key, data: points.map((p) => p.value), borderColor: COLOURS.metric, pointRadius: 0 }],
          axes: { x: { title: { display: true, text: 'step' } } },
        }));
      }
    };
    const duration = (s) => (s.ended ? `${((Date.parse(s.ended) - Date.parse(s.scheduled)) / 1000).toFixed(1)} s` : '–');
    onMounted(load);
    watch(() => props.id, load);
    onBeforeUnmount(clear);
    return { run, error, canvases, series, when, num, duration };
  },
  template: `
    <section>
      <p><a href="#/runs">← all runs</a></p>
      <p v-if="error" class="error">{{ error }}</p>
      <div v-if="run" data-testid="run-detail">
        <h2>{{ run.runId }} <span class="badge" :class="run.outcome ?? 'none'">{{ run.outcome ?? 'not recorded' }}</span></h2>
        <table class="kv">
          <tr><th>kind</th><td>{{ run.kind }}</td></tr>
          <tr><th>status</th><td>{{ run.status }}</td></tr>
          <tr><th>tracked</th><td>{{ when(run.startTime) }} – {{ when(run.endTime) }}</td></tr>
          <tr><th>model version</th><td class="mono"><a v-if="run.modelVersion" :href="'#/versions/' + run.modelVersion">{{ run.modelVersion }}</a></td></tr>
        </table>
        <div v-if="Object.keys(run.reasons).length" class="reasons" data-testid="run-reasons">
          <h3>Reasons</h3>
          <p v-for="(why, key) in run.reasons" :key="key"><b>{{ key }}</b>: {{ why }}</p>
        </div>
        <h3>Metrics</h3>
        <table class="grid">
          <tr><th>metric</th><th>last value</th><th>points</th></tr>
          <tr v-for="(points, key) in run.metricHistory" :key="key"><td>{{ key }}</td><td>{{ num(run.metrics[key]) }}</td><td>{{ points.length }}</td></tr>
        </table>
        <div v-for="[key] in series()" :key="key" class="chart small-chart"><canvas :ref="(el) => { if (el) canvases[key] = el; }"></canvas></div>
        <h3>Workflow history</h3>
        <div v-if="run.workflow" data-testid="run-workflow">
          <p class="hint">{{ run.workflow.workflowType }} workflow from {{ when(run.workflow.started) }} to {{ when(run.workflow.ended) || '–' }}:
            {{ run.workflow.events }} events, {{ run.workflow.result ?? 'not ended when saved' }} (<span class="mono">{{ run.workflow.file }}</span>)</p>
          <table class="grid">
            <tr><th>step</th><th>scheduled</th><th>took</th><th>outcome</th><th>attempt</th><th>failure</th></tr>
            <tr v-for="(s, i) in run.workflow.steps" :key="i">
              <td>{{ s.activity }}</td><td>{{ when(s.scheduled) }}</td><td>{{ duration(s) }}</td><td>{{ s.outcome ?? 'running' }}</td><td>{{ s.attempt }}</td><td>{{ s.failure ?? '' }}</td>
            </tr>
          </table>
        </div>
        <p v-else class="hint">No saved workflow history for this run (<span class="mono">somnus sleep --wait</span> and <span class="mono">somnus history</span> save them).</p>
        <h3>Parameters</h3>
        <table class="grid"><tr v-for="(v, k) in run.params" :key="k"><th>{{ k }}</th><td>{{ v }}</td></tr></table>
        <h3>Tags</h3>
        <table class="grid"><tr v-for="(v, k) in run.tags" :key="k"><th>{{ k }}</th><td class="mono">{{ v }}</td></tr></table>
      </div>
    </section>`,
};
