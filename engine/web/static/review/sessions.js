/*
 * Sessions list: filters mirrored in the query string (so reload, back and a
 * shared link show the same list), a table, and "Load more" over next_cursor.
 */

import * as api from './api.js';
import { announce, empty, errorBox, fill, h, loading, outcomeBadge, ratingText, recommendationBadge, statusBadge, time }
  from './dom.js';

const PAGE_SIZE = 25;
const TYPING_DELAY_MS = 350;
const STATUSES = [
  ['', 'Any status'],
  ['scheduled', 'Not started'],
  ['in_progress', 'In progress'],
  ['completed', 'Completed'],
  ['cancelled', 'Cancelled'],
  ['failed', 'Failed'],
];
// The stage pipeline's outcomes (config/stage_results.py); "waiting for a decision" is the recruiter's queue.
const OUTCOMES = [
  ['', 'Any result'],
  ['awaiting_approval', 'Waiting for a decision'],
  ['advanced', 'Advanced'],
  ['passed', 'Passed'],
  ['approved', 'Approved'],
  ['failed', 'Failed'],
  ['retry_scheduled', 'Retry scheduled'],
  ['rejected', 'Rejected'],
];
// URL parameter -> form field; dates stay as YYYY-MM-DD in the URL to keep it readable.
const FILTERS = ['status', 'outcome', 'template', 'stage', 'tag', 'from', 'to', 'q'];

function readFilters(query) {
  return Object.fromEntries(FILTERS.map((name) => [name, query.get(name) ?? '']));
}

// A day picked in the recruiter's own time zone: from its midnight to the next one.
function dayStart(day, plusDays = 0) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return '';
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return '';
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
}

function apiQuery(filters) {
  return {
    status: filters.status,
    stage_outcome: filters.outcome,
    template_id: filters.template,
    stage_id: filters.stage,
    tag: filters.tag.trim(),
    created_after: dayStart(filters.from),
    created_before: dayStart(filters.to, 1),
    q: filters.q.trim(),
  };
}

function field(label, control) {
  return h('div', { class: 'field' }, h('label', { for: control.id, text: label }), control);
}

function select(id, testid, options, value) {
  return h('select', { id, name: id, 'data-testid': testid },
    options.map(([v, text]) => h('option', { value: v, text, selected: v === value })));
}

export async function render(root, ctx) {
  document.title = 'Sessions · Interview review';
  const filters = readFilters(ctx.query);
  let templates = new Map();
  let stageNames = new Map();
  let listController = null;
  let typingTimer = null;

  const status = select('filter-status', 'filter-status', STATUSES, filters.status);
  const outcome = select('filter-outcome', 'filter-outcome', OUTCOMES, filters.outcome);
  const template = select('filter-template', 'filter-template', [['', 'Any template']], filters.template);
  const stage = select('filter-stage', 'filter-stage', [['', 'Any stage']], filters.stage);
  stage.disabled = true;
  const tag = h('input', { id: 'filter-tag', type: 'text', value: filters.tag, 'data-testid': 'filter-tag',
    autocomplete: 'off', spellcheck: false });
  const from = h('input', { id: 'filter-from', type: 'date', value: filters.from, 'data-testid': 'filter-from' });
  const to = h('input', { id: 'filter-to', type: 'date', value: filters.to, 'data-testid': 'filter-to' });
  const search = h('input', { id: 'filter-search', type: 'search', value: filters.q, 'data-testid': 'filter-search',
    placeholder: 'Name, email or external ID', autocomplete: 'off', spellcheck: false });
  const reset = h('button', { type: 'reset', class: 'button button-quiet', 'data-testid': 'filter-clear',
    text: 'Clear filters' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter sessions', 'data-testid': 'filters' },
    h('div', { class: 'field field-search' }, h('label', { for: 'filter-search', text: 'Search' }), search),
    field('Status', status), field('Stage result', outcome), field('Template', template), field('Stage', stage), field('Tag', tag),
    field('Created from', from), field('Created to', to),
    h('div', { class: 'filters-actions' }, reset));

  const summary = h('p', { class: 'list-summary muted', role: 'status' });
  const results = h('div', { class: 'results' }, loading('Loading sessions…'));
  root.append(
    h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'Sessions' })),
    h('section', { class: 'card card-filters', 'aria-label': 'Filters' }, form),
    summary, results);

  function current() {
    return { status: status.value, outcome: outcome.value, template: template.value, stage: stage.value, tag: tag.value,
      from: from.value, to: to.value, q: search.value };
  }

  // replaceState, not pushState: back should leave the list, not replay each keystroke. The state stays
  // (the router's index of this entry).
  function syncUrl(values) {
    const query = api.queryString(values);
    if (query === window.location.search) return;
    window.history.replaceState(window.history.state, '', `/review${query}`);
  }

  async function fillStages(templateId, selected) {
    fill(stage, h('option', { value: '', text: 'Any stage' }));
    stage.disabled = !templateId;
    if (!templateId) return;
    try {
      for (const item of await api.stages(templateId)) {
        stage.append(h('option', { value: item.id, text: item.name, selected: item.id === selected }));
      }
    } catch {
      stage.disabled = true;
    }
  }

  function row(session) {
    const rating = session.analysis?.general?.overallRating;
    const analysing = ['PENDING', 'PROCESSING'].includes(session.analysis_status);
    const name = session.participant_name || session.participant_email || 'Unnamed participant';
    return h('tr', { 'data-testid': 'session-row', dataset: { sessionId: session.id } },
      h('td', { class: 'cell-participant', 'data-label': 'Participant' },
        h('a', { class: 'row-link', href: api.sessionPath(session.id), text: name }),
        session.participant_email && session.participant_name
          ? h('span', { class: 'cell-sub', text: session.participant_email }) : null,
        session.is_test ? h('span', { class: 'badge badge-test', text: 'Test' }) : null),
      h('td', { 'data-label': 'External ID', text: session.external_id || '—' }),
      h('td', { 'data-label': 'Template', text: templates.get(session.template_id)?.name ?? '—' }),
      h('td', { 'data-label': 'Stage', text: stageNames.get(session.stage_id) ?? '—' }),
      h('td', { 'data-label': 'Status' }, statusBadge(session.status)),
      h('td', { class: 'cell-number', 'data-label': 'Rating' },
        rating !== undefined && rating !== null
          ? h('span', { class: 'rating', text: ratingText(session.analysis) })
          : h('span', { class: 'muted', text: analysing ? 'Analysing…' : ratingText(session.analysis) })),
      h('td', { 'data-label': 'Recommendation' }, recommendationBadge(session.analysis?.recommendation)),
      h('td', { 'data-label': 'Stage result' },
        outcomeBadge(session.stage_result?.outcome, { 'data-testid': 'session-outcome' })),
      h('td', { 'data-label': 'Created' }, time(session.created_at)));
  }

  function table() {
    return h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-sessions', 'data-testid': 'sessions-table' },
        h('caption', { class: 'visually-hidden', text: 'Sessions' }),
        h('thead', {}, h('tr', {}, ['Participant', 'External ID', 'Template', 'Stage', 'Status', 'Rating',
          'Recommendation', 'Stage result', 'Created'].map((text) => h('th', { scope: 'col', text })))),
        h('tbody')));
  }

  async function load(values, { more = null } = {}) {
    listController?.abort();
    listController = new AbortController();
    const { signal } = listController; // also fired when the page is left (below)
    if (!more) fill(results, loading('Loading sessions…'));
    const page = await api.get('/v1/sessions', { ...apiQuery(values), limit: PAGE_SIZE, cursor: more?.cursor },
      { signal });
    const sessions = page?.data ?? [];
    stageNames = new Map([...stageNames, ...await api.stageNames(sessions.map((s) => s.template_id))]);
    if (signal.aborted) return;
    if (!more && !sessions.length) {
      fill(results, empty(Object.values(values).some(Boolean)
        ? 'No sessions match these filters.' : 'No sessions yet.'));
      summary.textContent = '';
      return;
    }
    const wrap = more?.wrap ?? table();
    const body = wrap.querySelector('tbody');
    body.append(...sessions.map(row));
    const shown = body.rows.length;
    summary.textContent = `Showing ${shown} session${shown === 1 ? '' : 's'}${page.next_cursor ? '' : ' (all)'}`;
    const button = h('button', { type: 'button', class: 'button', 'data-testid': 'load-more', text: 'Load more' });
    button.addEventListener('click', () => {
      button.disabled = true;
      button.textContent = 'Loading…';
      load(values, { more: { cursor: page.next_cursor, wrap } }).then(() => {
        announce(`${body.rows.length - shown} more sessions loaded.`);
        // Keep keyboard users where the new rows begin.
        body.rows[shown]?.querySelector('a')?.focus();
      }, (error) => showError(error, button));
    });
    fill(results, wrap, page.next_cursor ? h('div', { class: 'load-more' }, button) : null);
  }

  function showError(error, button = null) {
    if (api.isAbort(error) || ctx.signal.aborted) return;
    if (button) {
      button.disabled = false;
      button.textContent = 'Load more';
      button.after(errorBox(error, 'More sessions could not be loaded'));
      return;
    }
    summary.textContent = '';
    fill(results, errorBox(error, 'Sessions could not be loaded'));
  }

  function apply() {
    const values = current();
    syncUrl(values);
    load(values).catch((error) => showError(error));
  }

  function applySoon() {
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(apply, TYPING_DELAY_MS);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    window.clearTimeout(typingTimer);
    apply();
  });
  form.addEventListener('reset', () => {
    // After the browser has reset the fields.
    window.setTimeout(() => {
      for (const input of [tag, from, to, search]) input.value = '';
      fillStages('', '');
      apply();
    });
  });
  template.addEventListener('change', async () => {
    await fillStages(template.value, '');
    apply();
  });
  for (const control of [status, outcome, stage, from, to]) control.addEventListener('change', apply);
  for (const control of [tag, search]) control.addEventListener('input', applySoon);
  ctx.signal.addEventListener('abort', () => {
    window.clearTimeout(typingTimer);
    listController?.abort();
  });

  try {
    templates = await api.templates();
  } catch {
    templates = new Map();
  }
  if (ctx.signal.aborted) return;
  for (const item of [...templates.values()].sort((a, b) => a.name.localeCompare(b.name))) {
    template.append(h('option', { value: item.id, text: item.name, selected: item.id === filters.template }));
  }
  await fillStages(template.value, filters.stage);
  await load(filters).catch((error) => showError(error));
}
