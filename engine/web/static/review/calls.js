/*
 * "Phone calls": the call attempts logged on a session (GET /v1/sessions/{id}/call-attempts): each call's
 * start, length and outcome, including calls that never reached the interview (busy, no answer), which
 * the provider reports. Shown only when the session had calls; text only, every value a text node.
 */

import * as api from './api.js';
import { clock, errorBox, h, humanize, time } from './dom.js';

const OUTCOMES = {
  completed: ['positive', 'Completed the interview'],
  hung_up: ['attention', 'Hung up before the end'],
  answered: ['info', 'Answered'],
  no_answer: ['neutral', 'No answer'],
  busy: ['neutral', 'Busy'],
  failed: ['negative', 'Failed'],
};

function outcomeBadge(outcome) {
  const [tone, label] = OUTCOMES[outcome] ?? ['neutral', humanize(outcome)];
  return h('span', { class: 'badge', dataset: { tone, callOutcome: outcome ?? 'unknown' }, text: label });
}

// One element per cell, so a phone's stacked layout (label, then value) has one value to place.
function cell(label, content, className) {
  return h('td', { 'data-label': label, class: className }, h('div', {}, content));
}

function row(call) {
  const length = call.duration_seconds == null ? 'Still on the call' : clock(call.duration_seconds);
  return h('tr', { 'data-testid': 'call', dataset: { outcome: call.outcome } },
    cell('Started', time(call.started_at)),
    cell('Length', length, 'cell-number'),
    cell('Outcome', outcomeBadge(call.outcome)),
    cell('Call id', call.call_sid, 'cell-address'));
}

/** A slot that becomes the section once the calls arrive, and stays empty when there were none. */
export function callsSection(sessionId, signal) {
  const slot = h('div', { 'data-testid': 'calls-slot' });
  api.get(`/v1/sessions/${encodeURIComponent(sessionId)}/call-attempts`, {}, { signal }).then((body) => {
    const calls = body?.call_attempts ?? [];
    if (!calls.length) return;
    slot.replaceWith(h('section', { class: 'card', 'data-testid': 'calls', 'aria-labelledby': 'calls-title' },
      h('h2', { id: 'calls-title', class: 'section-title', text: 'Phone calls' }),
      h('div', { class: 'table-wrap' },
        h('table', { class: 'table table-emails' },
          h('caption', { class: 'visually-hidden', text: 'Phone calls to this interview, oldest first' }),
          h('thead', {}, h('tr', {}, ['Started', 'Length', 'Outcome', 'Call id']
            .map((text) => h('th', { scope: 'col', text })))),
          h('tbody', {}, calls.map(row))))));
  }, (error) => {
    if (!api.isAbort(error)) slot.replaceWith(errorBox(error, 'Phone calls could not be loaded'));
  });
  return slot;
}
