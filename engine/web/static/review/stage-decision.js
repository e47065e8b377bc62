/*
 * Approving or rejecting a stage result that waits for a person, after a confirmation. The same decision
 * is offered on the participant page (each session's row) and on the session page, next to the scorecard
 * and evidence it is made on.
 */

import * as api from './api.js';
import { actionButton, announce, confirmDialog } from './dom.js';

const enc = encodeURIComponent;

/**
 * The Approve and Reject buttons for `session`, or [] when its result is not waiting for a person.
 * `name`: the participant's, for the confirmation. `status`: a live region for "Approving…".
 * `onDone(text)` after the API accepted the decision; `onError(error)` when it did not.
 */
export function decisionButtons(session, name, { status, onDone, onError }) {
  if (session.stage_result?.outcome !== 'awaiting_approval') return [];
  const decide = (action) => async () => {
    const approve = action === 'approve';
    const ok = await confirmDialog({
      title: approve ? 'Approve this result?' : 'Reject this result?',
      message: approve
        ? `${name} will advance to the next stage of the pipeline.`
        : `${name} will stop at this stage. This cannot be undone here.`,
      confirmLabel: approve ? 'Approve' : 'Reject',
      danger: !approve,
    });
    if (!ok) return;
    status.textContent = approve ? 'Approving…' : 'Rejecting…';
    try {
      await api.post(`/v1/sessions/${enc(session.id)}/${action}`);
    } catch (error) {
      status.textContent = '';
      if (!api.isAbort(error)) onError(error);
      return;
    }
    const text = approve ? `Approved: ${name} advances to the next stage.` : `Rejected: ${name} stops at this stage.`;
    status.textContent = '';
    announce(text);
    await onDone(text);
  };
  return [
    actionButton({ class: ['button', 'button-small', 'button-primary'], 'data-testid': 'approve', text: 'Approve' },
      decide('approve')),
    actionButton({ class: ['button', 'button-small', 'button-danger-outline'], 'data-testid': 'reject',
      text: 'Reject' }, decide('reject')),
  ];
}
