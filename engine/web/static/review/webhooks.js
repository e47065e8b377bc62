/*
 * Webhooks page: the company's endpoints (never their secrets) and a form that adds
 * one and shows its signing secret once. Each endpoint's own page (webhook.js)
 * edits, rotates, tests and deletes it and shows its deliveries.
 */

import * as api from './api.js';
import { empty, errorBox, fill, h, loading, time } from './dom.js';
import { field, formErrors, notify, secretNotice } from './forms.js';

// Mirrors config/webhooks.py EVENT_TYPES (tests/engine/test_api_team_webhooks.py checks that it does).
export const EVENT_TYPES = [
  'participant.created',
  'participant.erased',
  'session.scheduled',
  'session.started',
  'session.completed',
  'session.failed',
  'session.cancelled',
  'analysis.completed',
  'analysis.failed',
  'recording.ready',
  'stage.advanced',
  'stage.passed',
  'stage.failed',
  'stage.awaiting_approval',
  'stage.rejected',
  'webhook.test',
];

// A message for the list page from the endpoint page it was sent back from (after a delete).
let flash = '';

export function setFlash(text) {
  flash = text;
}

export function endpointPath(id) {
  return `/review/webhooks/${encodeURIComponent(id)}`;
}

export function deniedNotice() {
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'webhooks-denied' },
    h('p', { class: 'notice-text', text: 'Your sign-in cannot see webhooks: it needs the read:webhooks scope. '
      + 'Ask an administrator.' }));
}

export async function render(root, ctx) {
  document.title = 'Webhooks · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'Webhooks' }));
  const intro = h('p', { class: 'muted page-intro', text: 'Webhook endpoints receive the events of your company '
    + '(a session completed, an analysis ready, …) as signed POST requests, retried until they answer 2xx.' });
  if (!held.has('read:webhooks')) {
    fill(root, head, intro, deniedNotice());
    return;
  }
  const page = {
    signal: ctx.signal,
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'webhook-notices' }),
    list: h('section', { class: 'card', 'aria-labelledby': 'endpoints-title', 'data-testid': 'endpoints' },
      listTitle(), loading('Loading endpoints…')),
    refresh,
  };
  fill(root, head, intro, page.notices, page.list, held.has('write:webhooks') ? createForm(page) : null);
  if (flash) {
    notify(page.notices, 'success', flash, 'webhook-flash');
    flash = '';
  }

  async function refresh() {
    let endpoints;
    try {
      endpoints = await api.listAll('/v1/webhook-endpoints', {}, { signal: ctx.signal });
    } catch (error) {
      if (api.isAbort(error) || ctx.signal.aborted) return;
      fill(page.list, listTitle(), errorBox(error, 'The endpoints could not be loaded'));
      return;
    }
    if (ctx.signal.aborted) return;
    fill(page.list, listTitle(), endpoints.length ? endpointsTable(endpoints) : empty('No webhook endpoints yet.'));
  }

  await refresh();
}

function listTitle() {
  return h('h2', { id: 'endpoints-title', class: 'section-title', tabindex: '-1', text: 'Endpoints' });
}

// ---- The list ---------------------------------------------------------------------

function endpointsTable(endpoints) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-endpoints', 'data-testid': 'endpoints-table' },
      h('caption', { class: 'visually-hidden', text: 'Webhook endpoints' }),
      h('thead', {}, h('tr', {}, ['Endpoint', 'Events', 'Status', 'Created']
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, endpoints.map((endpoint) => h('tr', { 'data-testid': 'endpoint-row',
        dataset: { endpointId: endpoint.id, enabled: String(endpoint.enabled) } },
      h('td', { class: 'cell-endpoint', 'data-label': 'Endpoint' },
        h('a', { class: 'endpoint-url', href: endpointPath(endpoint.id), 'data-testid': 'endpoint-link',
          text: endpoint.url }),
        endpoint.description ? h('span', { class: 'cell-sub', 'data-testid': 'endpoint-note',
          text: endpoint.description }) : null),
      h('td', { 'data-label': 'Events' }, eventSummary(endpoint.event_types)),
      h('td', { 'data-label': 'Status' }, enabledBadge(endpoint)),
      h('td', { 'data-label': 'Created' }, time(endpoint.created_at)))))));
}

export function eventSummary(types) {
  if (!types?.length) return h('span', { class: 'badge', dataset: { tone: 'info' }, text: 'All events' });
  return h('ul', { class: 'tags' }, types.map((type) => h('li', { class: 'tag', text: type })));
}

export function enabledBadge(endpoint) {
  return h('span', { class: 'endpoint-status' },
    h('span', { class: 'badge', dataset: { tone: endpoint.enabled ? 'positive' : 'negative' },
      'data-testid': 'endpoint-status', text: endpoint.enabled ? 'Enabled' : 'Disabled' }),
    endpoint.disabled_reason ? h('span', { class: 'cell-sub', text: endpoint.disabled_reason }) : null);
}

// ---- Event types: every event, or those ticked -------------------------------------

/** Radio buttons "every event" / "only these", and a checkbox per type. `value()` is null when none is ticked. */
export function eventPicker(prefix, selected = []) {
  const error = h('p', { id: `${prefix}-events-error`, class: 'form-error', 'data-testid': `${prefix}-events-error` });
  const radio = (value, label) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: `${prefix}-events-mode`, value, 'data-testid': `${prefix}-events-${value}`,
      checked: (value === 'some') === selected.length > 0 }), h('span', { text: label }));
  const all = radio('all', 'Every event, including types added later');
  const some = radio('some', 'Only the events ticked below');
  const boxes = new Map(EVENT_TYPES.map((type) => [type, h('input', { type: 'checkbox', value: type,
    checked: selected.includes(type), 'data-testid': `${prefix}-event-${type}` })]));
  const list = h('div', { class: 'event-types', 'data-testid': `${prefix}-event-types` },
    [...boxes].map(([type, box]) => h('label', { class: 'choice' }, box, h('code', { text: type }))));
  const sync = () => { list.hidden = !some.querySelector('input').checked; };
  all.querySelector('input').addEventListener('change', sync);
  some.querySelector('input').addEventListener('change', sync);
  sync();
  const node = h('fieldset', { class: 'scopes events-fieldset', 'aria-describedby': `${prefix}-events-error`,
    'data-testid': `${prefix}-events` }, h('legend', { text: 'Events' }), all, some, list, error);
  return {
    node,
    error,
    reset() {
      all.querySelector('input').checked = true;
      for (const box of boxes.values()) box.checked = false;
      sync();
    },
    focus: { focus: () => (list.hidden ? all : list).querySelector('input').focus() },
    value() {
      if (!some.querySelector('input').checked) return [];
      const types = [...boxes].filter(([, box]) => box.checked).map(([type]) => type);
      return types.length ? types : null;
    },
  };
}

// ---- Adding an endpoint -------------------------------------------------------------

function createForm(page) {
  const url = field({ id: 'endpoint-url', label: 'URL', type: 'url', required: true, maxlength: 2000,
    spellcheck: false, hint: 'Where events are POSTed, e.g. https://ats.example.com/hooks/interviews.' });
  const note = field({ id: 'endpoint-description', label: 'Note (optional)', maxlength: 500,
    hint: 'For you, e.g. “Greenhouse production”.' });
  const events = eventPicker('new');
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'endpoint-form-error' });
  const errors = formErrors({
    url: url,
    description: note,
    event_types: { error: events.error, input: null, focus: events.focus },
  }, general);
  const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'endpoint-create',
    text: 'Add endpoint' });
  const form = h('form', { class: 'form key-form', novalidate: true, 'data-testid': 'endpoint-form' },
    url.wrap, note.wrap, events.node, general, h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const types = events.value();
    const body = { url: url.input.value.trim(), description: note.input.value.trim(), event_types: types ?? [] };
    if (errors.check({ url: body.url ? '' : 'Enter the URL to send events to.',
      event_types: types ? '' : 'Tick at least one event, or choose every event.' })) return;
    submit.disabled = true;
    submit.textContent = 'Adding…';
    let created;
    try {
      created = await api.post('/v1/webhook-endpoints', body);
    } catch (error) {
      if (!api.isAbort(error)) errors.fromApi(error);
      return;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Add endpoint';
    }
    url.input.value = '';
    note.input.value = '';
    events.reset();
    await page.refresh();
    secretNotice(page.notices, {
      title: 'Endpoint added: its signing secret',
      secret: created.secret,
      label: 'Signing secret of the new endpoint',
      warning: 'Copy it now: it will not be shown again. Your receiver verifies each delivery’s signature with '
        + 'it; if it is lost, rotate the secret on the endpoint’s page.',
      onDone: () => page.list.querySelector(`[data-endpoint-id="${CSS.escape(created.id)}"] a`)?.focus(),
    });
  });

  return h('section', { class: 'card', 'aria-labelledby': 'add-endpoint-title', 'data-testid': 'add-endpoint' },
    h('h2', { id: 'add-endpoint-title', class: 'section-title', text: 'Add an endpoint' }), form);
}
