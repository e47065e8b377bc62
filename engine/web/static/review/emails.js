/*
 * "Emails": what the engine sent the participant about a session (invitation, reminder, notices of a
 * move or a cancellation), each with its status, and why when it was not sent or failed
 * (GET /v1/sessions/{id}/emails). Text only: every value goes in as a text node.
 */

import * as api from './api.js';
import { empty, errorBox, h, humanize, time } from './dom.js';

const STATUS = {
  queued: ['info', 'Queued'],
  sent: ['positive', 'Sent'],
  failed: ['negative', 'Failed'],
  not_sent: ['attention', 'Not sent'],
};

const KINDS = {
  invitation: 'Invitation',
  reminder: 'Reminder',
  reschedule: 'New time notice',
  cancellation: 'Cancellation notice',
};

function statusBadge(status) {
  const [tone, label] = STATUS[status] ?? ['neutral', humanize(status)];
  return h('span', { class: 'badge', dataset: { tone, emailStatus: status ?? 'unknown' }, text: label });
}

function detail(email) {
  if (email.status === 'sent') return email.sent_at ? h('span', {}, 'Accepted ', time(email.sent_at)) : null;
  const parts = [];
  if (email.last_error) parts.push(h('span', { class: 'email-reason', 'data-testid': 'email-reason', text: email.last_error }));
  if (email.status === 'queued' && email.next_attempt_at) {
    parts.push(h('span', { class: 'cell-sub' }, email.attempts ? 'Next try ' : 'Goes out ', time(email.next_attempt_at)));
  }
  return parts.length ? parts : null;
}

// One element per cell, so a phone's stacked layout (label, then value) has one value to place.
function cell(label, content, className) {
  return h('td', { 'data-label': label, class: className }, h('div', {}, content));
}

function row(email) {
  return h('tr', { 'data-testid': 'email', dataset: { kind: email.kind, status: email.status } },
    cell('Email', [KINDS[email.kind] ?? humanize(email.kind), email.subject ? h('span', { class: 'cell-sub', text: email.subject }) : null]),
    cell('To', email.to, 'cell-address'),
    cell('Status', statusBadge(email.status)),
    cell('Attempts', String(email.attempts), 'cell-number'),
    cell('Details', detail(email) ?? h('span', { class: 'muted', text: '—' })));
}

/** The section, filled once the list arrives; a failed load shows an error in its place. */
export function emailsSection(sessionId, signal) {
  const section = h('section', { class: 'card', 'data-testid': 'emails', 'aria-labelledby': 'emails-title',
    'aria-busy': 'true' },
  h('h2', { id: 'emails-title', class: 'section-title', text: 'Emails to the participant' }),
  h('p', { class: 'state state-loading', role: 'status', text: 'Loading emails…' }));
  api.get(`/v1/sessions/${encodeURIComponent(sessionId)}/emails`, {}, { signal }).then((page) => {
    const emails = [...(page?.data ?? [])].sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
    section.lastChild.replaceWith(emails.length ? h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-emails' },
        h('caption', { class: 'visually-hidden', text: 'Emails about this session, oldest first' }),
        h('thead', {}, h('tr', {}, ['Email', 'To', 'Status', 'Attempts', 'Details']
          .map((text) => h('th', { scope: 'col', text })))),
        h('tbody', {}, emails.map(row))))
      : empty('No emails for this session (test sessions and public-link sessions send none).'));
  }, (error) => {
    if (!api.isAbort(error)) section.lastChild.replaceWith(errorBox(error, 'Emails could not be loaded'));
  }).finally(() => section.removeAttribute('aria-busy'));
  return section;
}
