// Versions: the graph of every model version (base -> wake edits -> fused sleeps), and the one selected.
import { get, when, num } from '../api.js';
import { versionGraph } from '../graph.js';

const { ref, watch, onMounted, onBeforeUnmount } = Vue;

export default {
  props: { overview: Object, selected: String },
  emits: ['rollback'],
  setup(props) {
    const canvas = ref(null);
    const detail = ref(null);
    const error = ref(null);
    let cy = null;

    const draw = () => {
      if (cy) cy.destroy();
      cy = versionGraph(canvas.value, props.overview.versions, (id) => { location.hash = `#/versions/${id}`; });
      // what the canvas shows, stated in the DOM for tests and assistive technology
      canvas.value.dataset.nodes = cy.nodes().length;
      canvas.value.dataset.edges = cy.edges().length;
      if (props.selected) cy.$id(props.selected).select();
    };
    const load = async (id) => {
      detail.value = null;
      error.value = null;
      if (!id) return;
      try {
        detail.value = await get(`/versions/${id}`);
      } catch (e) {
        error.value = e.message;
      }
    };
    onMounted(() => { draw(); load(props.selected); });
    onBeforeUnmount(() => cy && cy.destroy());
    watch(() => props.overview, draw);
    watch(() => props.selected, (id) => { if (cy) { cy.$(':selected').unselect(); if (id) cy.$id(id).select(); } load(id); });
    return { canvas, detail, error, when, num };
  },
  template: `
    <section class="split">
      <div>
        <div class="graph" ref="canvas" data-testid="version-graph" role="img" aria-label="model versions, parent to child"></div>
        <table class="grid small" data-testid="versions-table">
          <tr><th>version</th><th>made by</th><th>created</th><th>adapters</th><th>edits</th><th></th></tr>
          <tr v-for="v in overview.versions.slice().reverse()" :key="v.id" :class="{ selected: v.id === selected }">
            <td class="mono"><a :href="'#/versions/' + v.id">{{ v.id }}</a></td><td>{{ v.kind }}</td><td>{{ when(v.createdAt) }}</td>
            <td>{{ v.adapters }}</td><td>{{ v.edits.length }}</td><td>{{ v.live ? 'live' : v.previous ? 'previous' : '' }}</td>
          </tr>
        </table>
      </div>
      <aside class="panel">
        <p class="legend">
          <span class="swatch base"></span>base import <span class="swatch wake"></span>wake edit
          <span class="swatch sleep"></span>fused sleep <span class="swatch live"></span>live <span class="swatch previous"></span>previous
        </p>
        <p v-if="!selected" class="hint">Select a version in the graph.</p>
        <p v-if="error" class="error">{{ error }}</p>
        <div v-if="detail" data-testid="version-detail">
          <h2>{{ detail.version.id }}</h2>
          <table class="kv">
            <tr><th>created</th><td>{{ when(detail.version.createdAt) }}</td></tr>
            <tr><th>by run</th><td><a :href="'#/runs/' + detail.version.createdByRun">{{ detail.version.createdByRun }}</a></td></tr>
            <tr><th>ancestry</th><td class="mono">{{ detail.ancestry.join(' → ') }}</td></tr>
            <tr><th>adapters fused</th><td>{{ detail.version.loraHistory.length }}</td></tr>
            <tr v-for="(v, k) in detail.version.metrics" :key="k"><th>{{ k }}</th><td>{{ num(v) }}</td></tr>
          </table>
          <h3>MEMIT edits</h3>
          <table class="grid" v-if="detail.version.memitEdits.length">
            <tr><th>edit</th><th>scale</th></tr>
            <tr v-for="e in detail.version.memitEdits" :key="e.editId"><td class="mono">{{ e.editId }}</td><td>{{ num(e.scale) }}</td></tr>
          </table>
          <p v-else class="hint">none: every fact is in the fused weights</p>
          <h3>Facts ({{ detail.facts.length }})</h3>
          <table class="grid" v-if="detail.facts.length">
            <tr><th>fact</th><th>stage</th><th>scale</th></tr>
            <tr v-for="f in detail.facts" :key="f.factId">
              <td><a :href="'#/facts/' + f.factId">{{ f.subject }} {{ f.relation }} {{ f.object }}</a></td><td>{{ f.stage }}</td><td>{{ num(f.memitScale) }}</td>
            </tr>
          </table>
          <p v-else class="hint">no fact table recorded with this version</p>
          <div class="actions">
            <a class="button" :href="'#/diff?from=' + detail.version.id + '&to=' + overview.aliases.live">Diff with live</a>
            <button data-testid="rollback-open" :disabled="detail.version.id === overview.aliases.live || !overview.rollback"
                    @click="$emit('rollback', detail.version.id)">Make this version live…</button>
          </div>
          <p v-if="!overview.rollback" class="hint">Rollback from the page is off on this server (it listens beyond this machine):
            use <span class="mono">somnus rollback --to {{ detail.version.id }}</span>.</p>
        </div>
      </aside>
    </section>`,
};
