// Facts: the live version's fact table, and one fact's stage, scale and recall over every run that recorded it.
import { get, when, num } from '../api.js';
import { lineChart, COLOURS } from '../charts.js';

const { ref, watch, onMounted, onBeforeUnmount, nextTick } = Vue;

export const FactsView = {
  setup() {
    const table = ref(null);
    const error = ref(null);
    onMounted(async () => {
      try { table.value = await get('/facts'); } catch (e) { error.value = e.message; }
    });
    const open = (id) => { location.hash = `#/facts/${id}`; };
    return { table, error, num, open };
  },
  template: `
    <section>
      <p v-if="error" class="error">{{ error }}</p>
      <div v-if="table">
        <p class="hint">Fact table of live version <span class="mono">{{ table.version }}</span>: {{ table.facts.length }} facts.
           Stage 0–3 moves a fact from its MEMIT edit (scale 1.0 → 0.5 → 0.1 → 0.0) into the fused weights.</p>
        <table class="grid" data-testid="facts-table">
          <tr><th>id</th><th>subject</th><th>relation</th><th>object</th><th>stage</th><th>scale</th><th>raw recall</th><th>chat recall</th><th>edit</th></tr>
          <tr v-for="f in table.facts" :key="f.factId" class="clickable" @click="open(f.factId)">
            <td class="mono"><a :href="'#/facts/' + f.factId">{{ f.factId }}</a></td><td>{{ f.subject }}</td><td>{{ f.relation }}</td><td>{{ f.object }}</td>
            <td>{{ f.stage }}</td><td>{{ num(f.memitScale) }}</td><td>{{ num(f.rawRecall) }}</td><td>{{ num(f.chatRecall) }}</td>
            <td class="mono">{{ f.editId ?? '–' }}</td>
          </tr>
        </table>
      </div>
    </section>`,
};

export const FactView = {
  props: { id: String },
  setup(props) {
    const fact = ref(null);
    const error = ref(null);
    const canvas = ref(null);
    let chart = null;
    const load = async () => {
      error.value = null;
      try {
        fact.value = await get(`/facts/${props.id}`);
      } catch (e) {
        error.value = e.message;
        return;
      }
      await nextTick();
      if (chart) chart.destroy();
      const records = fact.value.records;
      chart = lineChart(canvas.value, {
        // "sleep 06-12 22:01": the run's kind and time; the table below names each run in full
        labels: records.map((r) => `${r.runId.split('-')[0]} ${when(r.time).slice(5, 16)}`),
        datasets: [
          { label: 'stage', data: records.map((r) => r.stage), borderColor: COLOURS.stage, stepped: true, yAxisID: 'stage' },
          { label: 'MEMIT scale', data: records.map((r) => r.memitScale), borderColor: COLOURS.scale, stepped: true, yAxisID: 'unit' },
          // recall is measured by some runs only: points, joined across the runs that did not measure it
          { label: 'raw recall', data: records.map((r) => r.rawRecall), borderColor: COLOURS.raw, backgroundColor: COLOURS.raw,
            borderDash: [4, 3], pointRadius: 5, pointStyle: 'rectRot', yAxisID: 'unit', spanGaps: true },
          { label: 'chat recall', data: records.map((r) => r.chatRecall), borderColor: COLOURS.chat, backgroundColor: COLOURS.chat,
            borderDash: [4, 3], pointRadius: 5, pointStyle: 'triangle', yAxisID: 'unit', spanGaps: true },
        ],
        axes: {
          stage: { position: 'left', min: 0, max: 3, ticks: { stepSize: 1 }, title: { display: true, text: 'stage' } },
          unit: { position: 'right', min: 0, max: 1, grid: { drawOnChartArea: false }, title: { display: true, text: 'scale / recall' } },
        },
      });
    };
    onMounted(load);
    watch(() => props.id, load);
    onBeforeUnmount(() => chart && chart.destroy());
    return { fact, error, canvas, when, num };
  },
  template: `
    <section>
      <p><a href="#/facts">← all facts</a></p>
      <p v-if="error" class="error">{{ error }}</p>
      <div v-if="fact">
        <h2 data-testid="fact-title">{{ fact.fact.subject }} {{ fact.fact.relation }} {{ fact.fact.object }}
          <span class="mono small">{{ fact.fact.factId }}</span></h2>
        <div class="chart"><canvas ref="canvas" data-testid="fact-chart"></canvas></div>
        <h3>Every run that recorded it</h3>
        <table class="grid" data-testid="fact-records">
          <tr><th>time</th><th>run</th><th>version</th><th>stage</th><th>scale</th><th>raw</th><th>chat</th><th>edit</th></tr>
          <tr v-for="r in fact.records" :key="r.runId">
            <td>{{ when(r.time) }}</td><td class="mono"><a :href="'#/runs/' + r.runId">{{ r.runId }}</a></td>
            <td class="mono"><a :href="'#/versions/' + r.modelVersion">{{ r.modelVersion }}</a></td>
            <td>{{ r.stage }}</td><td>{{ num(r.memitScale) }}</td><td>{{ num(r.rawRecall) }}</td><td>{{ num(r.chatRecall) }}</td>
            <td class="mono">{{ r.editId ?? '–' }}</td>
          </tr>
        </table>
        <h3>Changes</h3>
        <ul><li v-for="c in fact.changes" :key="c.runId"><span class="mono">{{ c.runId }}</span>: {{ c.changes.join(', ') }}</li></ul>
      </div>
    </section>`,
};
