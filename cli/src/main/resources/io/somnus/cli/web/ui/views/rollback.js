// Rollback, confirmed: the dialog names both versions and asks why; the server starts the same RollbackWorkflow as
// `somnus rollback`, refusing if live moved since the page showed it.
import { post } from '../api.js';

const { ref, watch, nextTick } = Vue;

export default {
  props: { target: String, live: String },
  emits: ['done', 'close'],
  setup(props, { emit }) {
    const dialog = ref(null);
    const reason = ref('');
    const busy = ref(false);
    const error = ref(null);
    watch(() => props.target, async (t) => {
      if (!t) return;
      reason.value = '';
      error.value = null;
      await nextTick();
      dialog.value.showModal();
    }, { immediate: true });
    const close = () => { dialog.value.close(); emit('close'); };
    const confirm = async () => {
      busy.value = true;
      error.value = null;
      try {
        const run = await post('/rollback', { to: props.target, reason: reason.value, expectedLive: props.live });
        dialog.value.close();
        emit('done', run);
      } catch (e) {
        error.value = e.message;
      } finally {
        busy.value = false;
      }
    };
    return { dialog, reason, busy, error, close, confirm };
  },
  template: `
    <dialog ref="dialog" data-testid="rollback-dialog" @cancel.prevent="close">
      <h2>Make {{ target }} live?</h2>
      <p>Live now: <span class="mono">{{ live }}</span>. This starts a rollback run (RollbackWorkflow, as
         <span class="mono">somnus rollback --to</span> does), recorded in tracking and lineage. Nothing is deleted;
         you can roll forward the same way.</p>
      <label>Reason (recorded with the run)<input v-model="reason" data-testid="rollback-reason" placeholder="e.g. bad fuse: lost recall"></label>
      <p v-if="error" class="error" data-testid="rollback-error">{{ error }}</p>
      <p class="actions">
        <button @click="close" :disabled="busy">Cancel</button>
        <button class="danger" data-testid="rollback-confirm" @click="confirm" :disabled="busy || !reason.trim()">Roll back</button>
      </p>
    </dialog>`,
};
