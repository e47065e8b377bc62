/*
 * Audit log page (administrators): who viewed a recording or scorecard, who decided, who changed the
 * configuration, newest first, filtered and paged with "Load more" over next_cursor. Read-only, as the
 * trail itself is: the API has no way to change or delete an event, and the page says so.
 */

import * as api from './api.js';
import { ADMIN_READ, deniedNotice, heldScopes, pageHead } from './admin-common.js';
import { actionLabel, apiQuery, auditFilters, resourceName } from './audit-filters.js';
import { announce, empty, errorBox, fill, h, loading, time } from './dom.js';

const PAGE_SIZE = 25;

// Targets the review pages can open; the others (a stage, a key, a recruiter) are shown by id.
const TARGET_PAGES = {
  session: (id) => api.sessionPath(id),
  participant: (id) => api.participantPath(id),
  template: (id) => `/review/templates/${encodeURIComponent(id)}`,
  agent_profile: (id) => `/review/profiles/${encodeURIComponent(id)}`,
  webhook_endpoint: (id) => `/review/webhooks/${encodeURIComponent(id)}`,
  company: () => '/review/company',
};

export async function render(root, ctx) {
  const held = heldScopes(ctx);
  const head = pageHead('Audit log', 'Who viewed a recording or a scorecard, who approved or rejected, and who '
    + 'changed your company’s configuration, with the time, newest first.');
  if (!held.has(ADMIN_READ)) {
    fill(root, ...head, deniedNotice('audit-denied', 'Your sign-in cannot read the audit log: it is for '
      + `administrators, and needs the ${ADMIN_READ} scope. Ask an administrator.`));
    return;
  }
  const readOnly = h('div', { class: 'notice audit-read-only', dataset: { kind: 'info' }, 'data-testid': 'audit-read-only' },
    h('p', { class: 'notice-title', text: 'Read-only' }),
    h('p', { class: 'notice-text', text: 'Events are recorded as things happen and can never be changed or deleted, '
      + 'by anyone, administrators included. Candidates’ names and emails are not kept here, only ids.' }));
  const summary = h('p', { class: 'list-summary muted', role: 'status', 'data-testid': 'audit-summary' });
  const results = h('div', { class: 'results' }, loading('Loading events…'));
  let listController = null;
  const filters = auditFilters(ctx.query, held, (values) => load(values).catch(showError));
  fill(root, ...head, readOnly,
    h('section', { class: 'card card-filters', 'aria-label': 'Filters' }, filters.node), summary, results);
  ctx.signal.addEventListener('abort', () => listController?.abort());

  async function load(values, { more = null } = {}) {
    listController?.abort();
    listController = new AbortController();
    const { signal } = listController;
    if (!more) fill(results, loading('Loading events…'));
    const page = await api.get('/v1/audit-events', { ...apiQuery(values), limit: PAGE_SIZE, cursor: more?.cursor },
      { signal });
    if (signal.aborted) return;
    const events = page?.data ?? [];
    if (!more && !events.length) {
      summary.textContent = '';
      fill(results, empty(Object.values(values).some(Boolean) ? 'No events match these filters.' : 'No events yet.'));
      return;
    }
    const wrap = more?.wrap ?? table();
    const body = wrap.querySelector('tbody');
    body.append(...events.map(row));
    const shown = body.rows.length;
    summary.textContent = `Showing ${shown} event${shown === 1 ? '' : 's'}${page.next_cursor ? '' : ' (all)'}`;
    const button = h('button', { type: 'button', class: 'button', 'data-testid': 'audit-more', text: 'Load more' });
    button.addEventListener('click', () => {
      button.disabled = true;
      button.textContent = 'Loading…';
      load(values, { more: { cursor: page.next_cursor, wrap } }).then(() => {
        announce(`${body.rows.length - shown} more events loaded.`);
        // Keyboard users go on where the new rows begin.
        body.rows[shown]?.querySelector('th')?.focus();
      }, (error) => showError(error, button));
    });
    fill(results, wrap, page.next_cursor ? h('div', { class: 'load-more' }, button) : null);
  }

  function showError(error, button = null) {
    if (api.isAbort(error) || ctx.signal.aborted) return;
    if (button) {
      button.disabled = false;
      button.textContent = 'Load more';
      button.after(errorBox(error, 'More events could not be loaded'));
      return;
    }
    summary.textContent = '';
    if (error.status === 422) {
      fill(results);
      filters.errors.fromApi(error);
      return;
    }
    fill(results, errorBox(error, 'The audit log could not be loaded'));
  }

  filters.actors(ctx.signal);
  await load(filters.values()).catch(showError);
}

function table() {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-audit', 'data-testid': 'audit-table' },
      h('caption', { class: 'visually-hidden', text: 'Audit events, newest first' }),
      h('thead', {}, h('tr', {}, ['Time', 'Who', 'Action', 'Target', 'Details']
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody')));
}

function row(event) {
  const page = TARGET_PAGES[event.target_type];
  const targetName = resourceName(event.target_type);
  return h('tr', { 'data-testid': 'audit-row', dataset: { action: event.action, eventId: event.id } },
    // The row's header: focusable so that "Load more" can take keyboard users to the first new row.
    h('th', { scope: 'row', tabindex: '-1', 'data-label': 'Time', 'data-testid': 'audit-time' }, time(event.at)),
    h('td', { 'data-label': 'Who', 'data-testid': 'audit-actor' },
      h('span', { class: 'audit-actor', text: event.actor_label }),
      h('span', { class: 'cell-sub', text: ACTOR_KINDS[event.actor_kind] ?? event.actor_kind })),
    h('td', { 'data-label': 'Action', 'data-testid': 'audit-action-cell' },
      h('span', { text: actionLabel(event.action) }), h('code', { class: 'cell-sub', text: event.action })),
    h('td', { 'data-label': 'Target', 'data-testid': 'audit-target-cell' },
      page ? h('a', { href: page(event.target_id), text: targetName }) : h('span', { text: targetName }),
      h('code', { class: 'cell-sub audit-id', text: event.target_id })),
    h('td', { 'data-label': 'Details', 'data-testid': 'audit-detail' }, detail(event.detail)));
}

const ACTOR_KINDS = { recruiter: 'Recruiter, signed in', api_key: 'API key', partner_key: 'Integrator’s partner key' };

// Ids and field names only (the API never records values): shown as text, one line per key.
function detail(value) {
  const entries = Object.entries(value ?? {});
  if (!entries.length) return h('span', { class: 'muted', text: '—' });
  return h('ul', { class: 'audit-detail' }, entries.map(([key, item]) => h('li', {},
    h('span', { class: 'audit-detail-key', text: `${key === 'fields' ? 'Changed' : humanKey(key)}: ` }),
    Array.isArray(item) ? item.join(', ') : typeof item === 'object' && item !== null ? JSON.stringify(item)
      : String(item))));
}

function humanKey(key) {
  const text = key.replace(/_/g, ' ');
  return text[0].toUpperCase() + text.slice(1);
}
