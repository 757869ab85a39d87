// Diff: facts added, removed or changed between the fact tables of two versions.
import { get, num } from '../api.js';

const { ref, watch, onMounted } = Vue;

export default {
  props: { overview: Object, from: String, to: String },
  setup(props) {
    const a = ref(props.from ?? props.overview.aliases.previous ?? '');
    const b = ref(props.to ?? props.overview.aliases.live ?? '');
    const result = ref(null);
    const error = ref(null);
    const compare = async () => {
      result.value = null;
      error.value = null;
      if (!a.value || !b.value) return;
      try { result.value = await get(`/diff?from=${a.value}&to=${b.value}`); } catch (e) { error.value = e.message; }
    };
    const state = (r) => (r ? `stage ${r.stage}, scale ${num(r.memitScale)}, raw ${num(r.rawRecall)}, chat ${num(r.chatRecall)}` : '–');
    const label = (v) => `${v.id} (${v.kind}${v.live ? ', live' : ''}${v.previous ? ', previous' : ''})`;
    onMounted(compare);
    watch(() => [props.from, props.to], () => { a.value = props.from ?? a.value; b.value = props.to ?? b.value; compare(); });
    return { a, b, result, error, compare, state, label };
  },
  template: `
    <section>
      <p class="controls">
        <select v-model="a" data-testid="diff-from"><option v-for="v in overview.versions" :value="v.id">{{ label(v) }}</option></select>
        →
        <select v-model="b" data-testid="diff-to"><option v-for="v in overview.versions" :value="v.id">{{ label(v) }}</option></select>
        <button @click="compare">Compare</button>
      </p>
      <p v-if="error" class="error">{{ error }}</p>
      <div v-if="result">
        <p v-if="!result.changes.length" class="hint">Same fact table.</p>
        <table v-else class="grid" data-testid="diff-table">
          <tr><th>change</th><th>fact</th><th>before</th><th>after</th></tr>
          <tr v-for="c in result.changes" :key="c.factId">
            <td><span class="badge" :class="c.kind.toLowerCase()">{{ c.kind.toLowerCase() }}</span></td>
            <td><a :href="'#/facts/' + c.factId">{{ (c.after ?? c.before).subject }} {{ (c.after ?? c.before).relation }} {{ (c.after ?? c.before).object }}</a></td>
            <td>{{ state(c.before) }}</td><td>{{ state(c.after) }}</td>
          </tr>
        </table>
      </div>
    </section>`,
};
