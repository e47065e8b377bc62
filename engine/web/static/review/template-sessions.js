/*
 * The Sessions tab of an interview template (seed 002): the template's sessions filtered by seed 002's
 * states (Not started / In progress / Completed, mapped from the API's statuses; cancelled and failed
 * ones show under All with their own badge) and the results waiting for a person's decision, the filter
 * kept in the URL, counts per filter, and per row
 * the actions its status allows (template-sessions-actions.js). "+ Add" opens a menu of the three ways
 * to add candidates (session-add.js, session-import-excel.js, session-import-resumes.js); "Schedule"
 * books sessions for participants of the template that have none open (template-sessions-schedule.js).
 * A retake is listed beside the session it retakes: rows are grouped by participant.
 */

import * as api from './api.js';
import {
  empty, errorBox, fill, h, loading, outcomeBadge, ratingText, recommendationBadge, statusBadge, time,
} from './dom.js';
import { notify } from './forms.js';
import { addIndividually } from './session-add.js';
import { importExcel } from './session-import-excel.js';
import { importResumes } from './session-import-resumes.js';
import { rowActions } from './template-sessions-actions.js';
import { scheduleParticipants } from './template-sessions-schedule.js';

// Seed 002's states; the API's statuses each belong to at most one (config/enums.py SessionStatus).
export const FILTERS = [
  { key: 'all', label: 'All', statuses: null },
  { key: 'not_started', label: 'Not started', statuses: ['scheduled'] },
  { key: 'in_progress', label: 'In progress', statuses: ['in_progress'] },
  { key: 'completed', label: 'Completed', statuses: ['completed'] },
  // The recruiter's queue: stage results to approve or reject (engine/services/pipeline.py).
  { key: 'awaiting', label: 'Waiting for a decision', statuses: null, outcome: 'awaiting_approval' },
];

function filterOf(query) {
  const wanted = query?.get('state');
  return FILTERS.find((f) => f.key === wanted) ?? FILTERS[0];
}

function matches(filter, session) {
  return (!filter.statuses || filter.statuses.includes(session.status))
    && (!filter.outcome || session.stage_result?.outcome === filter.outcome);
}

/**
 * Sessions grouped by participant (so a retake sits beside the session it retakes), the participant whose
 * newest session is newest first; within a participant, newest first.
 */
export function grouped(sessions) {
  const groups = new Map();
  for (const session of sessions) {
    if (!groups.has(session.participant_id)) groups.set(session.participant_id, []);
    groups.get(session.participant_id).push(session);
  }
  const newestFirst = (a, b) => String(b.created_at).localeCompare(String(a.created_at)) || b.id.localeCompare(a.id);
  const lists = [...groups.values()].map((list) => list.sort(newestFirst));
  lists.sort((a, b) => newestFirst(a[0], b[0]));
  return lists.flat();
}

export async function render(container, ctx, template) {
  const held = new Set(ctx.identity?.scopes ?? []);
  let filter = filterOf(ctx.query);
  const page = {
    ctx,
    template,
    held,
    signal: ctx.signal,
    stages: [],
    sessions: [],
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'ts-notices' }),
    refresh,
    /** The stages as they are now: the Stages tab may have changed them since this tab loaded. */
    async currentStages() {
      page.stages = await api.stages(template.id).catch(() => page.stages);
      return page.stages;
    },
    notify: (kind, text, testid, options) => notify(page.notices, kind, text, testid, options),
  };

  const filterBar = h('div', { class: 'ts-filters', role: 'group', 'aria-label': 'Show sessions',
    'data-testid': 'ts-filters' });
  const summary = h('p', { class: 'list-summary muted', role: 'status', 'data-testid': 'ts-summary' });
  const results = h('div', { class: 'ts-results' }, loading('Loading sessions…'));
  const toolbar = h('div', { class: 'ts-toolbar' }, filterBar, tools(page));
  fill(container,
    h('h2', { class: 'visually-hidden', text: 'Sessions' }),
    toolbar, page.notices, summary, results);

  function drawFilters() {
    fill(filterBar, FILTERS.map((item) => {
      const count = page.sessions.filter((s) => matches(item, s)).length;
      const button = h('button', { type: 'button', class: 'ts-filter', 'aria-pressed': String(item === filter),
        'data-testid': `ts-filter-${item.key}`, dataset: { count: String(count) } },
      item.label, ' ', h('span', { class: 'ts-count', 'data-testid': 'ts-count', text: String(count) }));
      button.addEventListener('click', () => {
        if (item === filter) return;
        filter = item;
        syncUrl();
        drawFilters();
        drawList();
        filterBar.querySelector('[aria-pressed=true]')?.focus();
      });
      return button;
    }));
  }

  // replaceState keeps other parameters (the page's tab) and history.state (the router's index of this
  // entry), and does not re-render the page.
  function syncUrl() {
    const url = new URL(window.location.href);
    if (filter.key === 'all') url.searchParams.delete('state');
    else url.searchParams.set('state', filter.key);
    if (!url.searchParams.has('tab')) url.searchParams.set('tab', 'sessions');
    if (url.href !== window.location.href) window.history.replaceState(window.history.state, '', url);
  }

  function drawList() {
    const shown = grouped(page.sessions.filter((s) => matches(filter, s)));
    if (!page.sessions.length) {
      summary.textContent = '';
      fill(results, empty(page.held.has('write:participants')
        ? 'No sessions yet. Add candidates with “+ Add”.' : 'No sessions yet.'));
      return;
    }
    summary.textContent = `${shown.length} of ${page.sessions.length} session${page.sessions.length === 1 ? '' : 's'}`
      + (filter.key === 'all' ? '' : ` · ${filter.label}`);
    if (!shown.length) {
      fill(results, empty(`No sessions are ${filter.label.toLowerCase()}.`));
      return;
    }
    const stageNames = new Map(page.stages.map((s) => [s.id, s.name]));
    fill(results, h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-stack table-template-sessions', 'data-testid': 'ts-table' },
        h('caption', { class: 'visually-hidden', text: `Sessions of ${template.name}: ${filter.label}` }),
        h('thead', {}, h('tr', {}, ['Participant', 'Stage', 'Status', 'Scheduled', 'Result', 'Actions']
          .map((text) => h('th', { scope: 'col', text })))),
        h('tbody', {}, shown.map((session) => row(session, stageNames, page))))));
  }

  async function refresh() {
    let sessions;
    let stages;
    try {
      [sessions, stages] = await Promise.all([
        api.listAll('/v1/sessions', { template_id: template.id }, { signal: ctx.signal }),
        api.stages(template.id).catch(() => []),
      ]);
    } catch (error) {
      if (api.isAbort(error) || ctx.signal.aborted) return;
      summary.textContent = '';
      fill(results, errorBox(error, 'The sessions could not be loaded'));
      return;
    }
    if (ctx.signal.aborted) return;
    page.sessions = sessions;
    page.stages = stages;
    drawFilters();
    drawList();
  }

  drawFilters();
  await refresh();
}

// ---- Rows -------------------------------------------------------------------------------

function result(session) {
  if (session.status !== 'completed') return h('span', { class: 'muted', text: '—' });
  if (['PENDING', 'PROCESSING'].includes(session.analysis_status)) {
    return h('span', { class: 'muted', text: 'Analysing…' });
  }
  if (session.analysis_status === 'FAILED') return h('span', { class: 'muted', text: 'Analysis failed' });
  const outcome = session.stage_result?.outcome;
  return h('span', { class: 'ts-result' },
    h('span', { class: 'rating', 'data-testid': 'ts-rating', text: ratingText(session.analysis) }),
    recommendationBadge(session.analysis?.recommendation, { 'data-testid': 'ts-recommendation' }),
    outcome ? outcomeBadge(outcome, { 'data-testid': 'ts-outcome' }) : null);
}

function row(session, stageNames, page) {
  const name = session.participant_name || session.participant_email || 'Unnamed participant';
  return h('tr', { 'data-testid': 'ts-row', dataset: { sessionId: session.id, status: session.status,
    participantId: session.participant_id } },
  h('td', { class: 'ts-participant', 'data-label': 'Participant' },
    h('span', { class: 'ts-name' },
      h('a', { href: api.sessionPath(session.id), 'data-testid': 'ts-name', text: name })),
    session.participant_name && session.participant_email
      ? h('span', { class: 'cell-sub', 'data-testid': 'ts-email', text: session.participant_email }) : null,
    session.retake_of || session.is_test ? h('span', { class: 'badges ts-badges' },
      session.retake_of ? h('span', { class: 'badge', dataset: { tone: 'info' }, 'data-testid': 'ts-retake',
        text: 'Retake' }) : null,
      session.is_test ? h('span', { class: 'badge badge-test', text: 'Test' }) : null) : null),
  h('td', { 'data-label': 'Stage', text: stageNames.get(session.stage_id) ?? '—' }),
  h('td', { 'data-label': 'Status' }, statusBadge(session.status)),
  h('td', { 'data-label': 'Scheduled' }, time(session.schedule_time)),
  h('td', { 'data-label': 'Result' }, result(session)),
  h('td', { class: 'cell-actions', 'data-label': 'Actions' }, rowActions(session, name, page)));
}

// ---- "+ Add" and "Schedule" -----------------------------------------------------------

function tools(page) {
  const canAdd = page.held.has('write:participants') && page.held.has('write:sessions');
  const canSchedule = page.held.has('write:sessions') && page.held.has('read:participants');
  if (!canAdd && !canSchedule) return null;
  const wrap = h('div', { class: 'ts-tools' });
  if (canAdd) {
    wrap.append(addMenu(page, [
      ['Create individually', 'ts-add-one', () => addIndividually(page)],
      ['Import by Excel', 'ts-add-excel', () => importExcel(page)],
      ['Import by resumes', 'ts-add-resumes', () => importResumes(page)],
    ]));
  }
  if (canSchedule) {
    wrap.append(h('button', { type: 'button', class: 'button', 'data-testid': 'ts-schedule', text: 'Schedule',
      on: { click: () => scheduleParticipants(page) } }));
  }
  return wrap;
}

/**
 * A disclosure menu: the button opens a list of actions. Arrow keys move between them, Escape (or Tab
 * out, or a click elsewhere) closes it, and focus goes back to the button before an action runs, so a
 * dialog it opens returns focus there.
 */
function addMenu(page, items) {
  const toggle = h('button', { type: 'button', class: 'button button-primary', 'aria-expanded': 'false',
    'aria-controls': 'ts-add-menu', 'data-testid': 'ts-add' },
  h('span', { 'aria-hidden': 'true', text: '+' }), ' Add',
  h('span', { class: 'visually-hidden', text: ' candidates' }));
  const buttons = items.map(([label, testid, run]) => {
    const button = h('button', { type: 'button', class: 'ts-menu-item', 'data-testid': testid, text: label });
    button.addEventListener('click', () => {
      close(true);
      run().catch((error) => {
        if (!api.isAbort(error)) page.notify('error', error.message, 'ts-error');
      });
    });
    return button;
  });
  const list = h('ul', { id: 'ts-add-menu', class: 'ts-menu-list', hidden: true, 'aria-label': 'Ways to add candidates' },
    buttons.map((b) => h('li', {}, b)));
  const wrap = h('div', { class: 'ts-menu' }, toggle, list);

  function open() {
    list.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    document.addEventListener('click', outside, true);
  }
  function close(focusToggle) {
    list.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    document.removeEventListener('click', outside, true);
    if (focusToggle) toggle.focus();
  }
  function outside(event) {
    if (!wrap.contains(event.target)) close(false);
  }
  toggle.addEventListener('click', () => {
    if (list.hidden) {
      open();
      buttons[0].focus();
    } else {
      close(false);
    }
  });
  wrap.addEventListener('keydown', (event) => {
    if (list.hidden) {
      if (event.key === 'ArrowDown' && event.target === toggle) {
        event.preventDefault();
        open();
        buttons[0].focus();
      }
      return;
    }
    const at = buttons.indexOf(document.activeElement);
    if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      const from = at === -1 && step < 0 ? 0 : at;
      buttons[(from + step + buttons.length) % buttons.length].focus();
    } else if (event.key === 'Home' || event.key === 'End') {
      event.preventDefault();
      buttons[event.key === 'Home' ? 0 : buttons.length - 1].focus();
    }
  });
  wrap.addEventListener('focusout', (event) => {
    if (!list.hidden && event.relatedTarget && !wrap.contains(event.relatedTarget)) close(false);
  });
  page.signal.addEventListener('abort', () => document.removeEventListener('click', outside, true));
  return wrap;
}
