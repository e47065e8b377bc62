/*
 * A Sessions-tab row's actions, as its status allows: copy the invite link (the API answers 409 once a
 * session is final), resend the invitation, reschedule and cancel a session not started yet, cancel one
 * in progress, and retake the participant's newest finished session (the earlier one is kept and listed
 * beside the new one). Quick answers show in the row; changes refresh the list and say what happened in
 * the tab's notices, which take focus (the row's button is gone after the refresh).
 */

import * as api from './api.js';
import { FINAL_STATUSES, actionButton, confirmDialog, h, sentence } from './dom.js';
import { formDialog, formErrors } from './forms.js';
import { copyInviteLink } from './invite-link.js';
import { isoWithOffset, localInput, placeError, scheduleField, scheduleProblem } from './session-fields.js';

const enc = encodeURIComponent;

/** Retake only the participant's newest real session, once final: a newer one means the pipeline moved on. */
function canRetake(session, sessions) {
  if (!FINAL_STATUSES.has(session.status) || session.is_test) return false;
  return !sessions.some((other) => other.participant_id === session.participant_id && !other.is_test
    && other.id !== session.id && String(other.created_at) > String(session.created_at));
}

export function rowActions(session, name, page) {
  const status = h('p', { class: 'row-status', role: 'status', 'data-testid': 'ts-row-status' });
  const extra = h('div', { class: 'row-extra' });
  const write = page.held.has('write:sessions');
  const open = !FINAL_STATUSES.has(session.status);
  const scheduled = session.status === 'scheduled';
  const actions = [
    open ? button('Copy link', `Copy invite link for ${name}`, 'ts-copy',
      () => copyInviteLink(session, { status, extra, testid: 'ts-link' })) : null,
    open && scheduled && write
      ? button('Resend invite', `Resend invitation to ${name}`, 'ts-resend', () => resend(session, name, status))
      : null,
    scheduled && write
      ? button('Reschedule', `Reschedule ${name}`, 'ts-reschedule', () => reschedule(session, name, page)) : null,
    open && write
      ? button('Cancel', `Cancel the session of ${name}`, 'ts-cancel', () => cancel(session, name, page),
        'button-danger-outline') : null,
    write && canRetake(session, page.sessions)
      ? button('Retake', `Retake for ${name}`, 'ts-retake-button', () => retake(session, name, page)) : null,
  ].filter(Boolean);
  return [actions.length ? h('div', { class: 'actions' }, actions) : h('span', { class: 'muted', text: '—' }),
    status, extra];
}

function button(label, accessibleName, testid, onClick, variant = '') {
  return actionButton({ class: ['button', 'button-small', variant], 'data-testid': testid,
    'aria-label': accessibleName, text: label }, onClick);
}

async function resend(session, name, status) {
  status.textContent = 'Sending…';
  let email;
  try {
    email = await api.post(`/v1/sessions/${enc(session.id)}/invitation`);
  } catch (error) {
    status.textContent = api.isAbort(error) ? '' : sentence(error.message);
    return;
  }
  const to = email?.to || session.participant_email || name;
  // A new invitation is still queued when the answer comes; one already sent is the API answering a
  // second click within seconds with the earlier email instead of sending another.
  if (email?.status === 'not_sent') status.textContent = `Not sent: ${sentence(email.last_error)}`;
  else if (email?.status === 'sent') status.textContent = `An invitation went to ${to} moments ago; not sent twice.`;
  else status.textContent = `Invitation sent again to ${to}`;
}

async function cancel(session, name, page) {
  const ok = await confirmDialog({
    title: `Cancel ${name}'s session?`,
    message: `${name} is told by email, and the invite link stops working. The session stays in the list `
      + 'as cancelled; a retake can book a new one.',
    confirmLabel: 'Cancel session',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.post(`/v1/sessions/${enc(session.id)}/cancel`);
  } catch (error) {
    if (!api.isAbort(error)) page.notify('error', sentence(error.message), 'ts-error');
    return;
  }
  await page.refresh();
  page.notify('success', `${name}'s session is cancelled.`, 'ts-cancelled');
}

async function retake(session, name, page) {
  const ok = await confirmDialog({
    title: `Retake for ${name}?`,
    message: `A new session at the same stage is booked and ${name} is emailed its link. This session is kept `
      + 'beside it for comparison.',
    confirmLabel: 'Book retake',
  });
  if (!ok) return;
  try {
    await api.post(`/v1/sessions/${enc(session.id)}/retake`);
  } catch (error) {
    if (!api.isAbort(error)) page.notify('error', sentence(error.message), 'ts-error');
    return;
  }
  await page.refresh();
  page.notify('success', `Retake booked for ${name}; the earlier session is kept.`, 'ts-retaken');
}

async function reschedule(session, name, page) {
  const current = new Date(session.schedule_time);
  const when = scheduleField('ts-reschedule-time', { required: true, label: 'New time',
    value: current > new Date() ? localInput(current) : '' });
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'ts-reschedule-error' });
  const errors = formErrors({ schedule: when }, general);
  let moved = false;
  const saved = await formDialog({
    title: `Reschedule ${name}`,
    testid: 'ts-reschedule-dialog',
    submitLabel: 'Reschedule',
    content: [h('p', { class: 'hint', text: `${name} is emailed the new time.` }), when.wrap, general],
    onSubmit: async () => {
      errors.clear();
      if (errors.check({ schedule: scheduleProblem(when.input.value, { required: true }) })) return false;
      try {
        await api.patch(`/v1/sessions/${enc(session.id)}`, { schedule_time: isoWithOffset(when.input.value) });
      } catch (error) {
        if (!api.isAbort(error)) placeError(errors, general, error, ['schedule']);
        return false;
      }
      moved = true;
      return true;
    },
  });
  if (!saved || !moved) return;
  await page.refresh();
  page.notify('success', `${name}'s session is moved; they are emailed the new time.`, 'ts-rescheduled');
}
