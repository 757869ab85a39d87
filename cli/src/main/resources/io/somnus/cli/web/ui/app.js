// The lineage page: a hash-routed Vue app over /api/lineage. #/versions[/ID], #/facts[/ID], #/runs[/ID], #/diff?from&to.
import { get } from './api.js';
import VersionsView from './views/versions.js';
import { FactsView, FactView } from './views/facts.js';
import { RunsView, RunView } from './views/runs.js';
import DiffView from './views/diff.js';
import RollbackDialog from './views/rollback.js';

const { createApp, ref, computed, onMounted } = Vue;

function parse(hash) {
  const [path, query] = (hash.replace(/^#\/?/, '') || 'versions').split('?');
  const [view, id] = path.split('/');
  return { view, id: id ? decodeURIComponent(id) : null, query: Object.fromEntries(new URLSearchParams(query ?? '')) };
}

const App = {
  components: { VersionsView, FactsView, FactView, RunsView, RunView, DiffView, RollbackDialog },
  setup() {
    const route = ref(parse(location.hash));
    const overview = ref(null);
    const error = ref(null);
    const rollbackTarget = ref(null);
    const notice = ref(null);
    const refresh = async () => {
      try {
        overview.value = await get('/overview');
        error.value = null;
      } catch (e) {
        error.value = e.message;
      }
    };
    window.addEventListener('hashchange', () => { route.value = parse(location.hash); });
    onMounted(refresh);
    const rolledBack = async (run) => {
      rollbackTarget.value = null;
      notice.value = `Rollback run ${run.runId}: live ${run.from} → ${run.to}`;
      await refresh();
    };
    const tabs = [['versions', 'Versions'], ['facts', 'Facts'], ['runs', 'Runs'], ['diff', 'Diff']];
    const current = computed(() => route.value.view);
    return { route, overview, error, rollbackTarget, notice, rolledBack, tabs, current };
  },
  template: `
    <header>
      <h1>Somnus lineage</h1>
      <div v-if="overview" class="aliases" data-testid="aliases">
        model <b>{{ overview.model }}</b> · live <a class="mono" :href="'#/versions/' + overview.aliases.live" data-testid="live">{{ overview.aliases.live ?? 'none' }}</a>
        · previous <span class="mono">{{ overview.aliases.previous ?? 'none' }}</span> · {{ overview.versions.length }} versions
      </div>
      <nav><a v-for="[view, name] in tabs" :key="view" :href="'#/' + view" :class="{ active: current === view }">{{ name }}</a></nav>
    </header>
    <main>
      <p v-if="error" class="error">{{ error }}</p>
      <p v-if="notice" class="notice" data-testid="notice">{{ notice }}</p>
      <template v-if="overview">
        <VersionsView v-if="current === 'versions'" :overview="overview" :selected="route.id" @rollback="(id) => rollbackTarget = id" />
        <FactView v-else-if="current === 'facts' && route.id" :id="route.id" />
        <FactsView v-else-if="current === 'facts'" />
        <RunView v-else-if="current === 'runs' && route.id" :id="route.id" />
        <RunsView v-else-if="current === 'runs'" />
        <DiffView v-else-if="current === 'diff'" :overview="overview" :from="route.query.from" :to="route.query.to" />
        <RollbackDialog v-if="rollbackTarget" :target="rollbackTarget" :live="overview.aliases.live"
                        @done="rolledBack" @close="rollbackTarget = null" />
      </template>
    </main>`,
};

createApp(App).mount('#app');
