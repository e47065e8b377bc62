/*
 * The audit log's filters: what GET /v1/audit-events filters on (action, actor, target id, a time
 * range), mirrored in the address so a reload or a shared link shows the same events, with the API's
 * 422 placed by the field it names.
 */

import * as api from './api.js';
import { h, humanize } from './dom.js';
import { formErrors } from './forms.js';

// Mirrors engine/services/audit.py Action (tests/engine/test_browser_company_pages.py checks that it does).
export const ACTIONS = [
  'recording.viewed', 'transcript.viewed', 'scorecard.viewed', 'analysis.rerun',
  'session.approved', 'session.rejected', 'session.cancelled', 'session.retake',
  'agent_profile.created', 'agent_profile.updated', 'agent_profile.deleted',
  'template.created', 'template.updated', 'template.deleted', 'template.public_link_changed',
  'template.stages_reordered',
  'stage.created', 'stage.updated', 'stage.deleted',
  'api_key.created', 'api_key.revoked',
  'recruiter.created', 'recruiter.updated', 'recruiter.deleted',
  'webhook_endpoint.created', 'webhook_endpoint.updated', 'webhook_endpoint.deleted',
  'webhook_endpoint.secret_rotated',
  'participant.deleted', 'participant.erased', 'participant.exported',
  'company.updated',
];

const RESOURCE_NAMES = { agent_profile: 'Interviewer', template: 'Interview', company: 'Company settings',
  webhook_endpoint: 'Webhook endpoint', api_key: 'API key' };

/** `company.updated` -> "Company settings updated"; `template.public_link_changed` -> "Interview public link changed". */
export function actionLabel(action) {
  const [resource, verb = ''] = String(action).split('.');
  return `${RESOURCE_NAMES[resource] ?? humanize(resource)} ${verb.replace(/_/g, ' ')}`.trim();
}

export function resourceName(type) {
  return RESOURCE_NAMES[type] ?? humanize(type);
}

// What the API takes as an actor's or a target's id (engine/api/audit.py IdQuery).
const ID = /^[A-Za-z0-9_-]{1,64}$/;

// URL parameter -> API parameter; the days stay as YYYY-MM-DD in the address.
const PARAMS = ['action', 'actor', 'target', 'from', 'to'];

// A day picked in the recruiter's own time zone: from its midnight to the next one.
function dayStart(day, plusDays = 0) {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return '';
  const date = new Date(`${day}T00:00:00`);
  if (Number.isNaN(date.getTime())) return '';
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
}

export function apiQuery(values) {
  return { action: values.action, actor_id: values.actor, target_id: values.target.trim(),
    after: dayStart(values.from), before: dayStart(values.to, 1) };
}

function control(id, label, input, error) {
  return h('div', { class: 'field' }, h('label', { for: id, text: label }), input, error);
}

function errorLine(id) {
  return h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${id}-error` });
}

/**
 * The form. `onApply(values)` runs on each change; `actors()` fills the actor list (API keys, and the
 * team where the sign-in may read it) after the page is on screen.
 */
export function auditFilters(query, held, onApply) {
  const start = Object.fromEntries(PARAMS.map((name) => [name, query.get(name) ?? '']));
  const described = (id) => ({ id, name: id, 'aria-describedby': `${id}-error`, 'data-testid': id });
  const action = h('select', described('audit-action'), h('option', { value: '', text: 'Any action' }),
    ACTIONS.map((value) => h('option', { value, text: actionLabel(value), selected: value === start.action })));
  const actor = h('select', described('audit-actor'), h('option', { value: '', text: 'Anyone' }),
    start.actor ? h('option', { value: start.actor, selected: true, text: start.actor }) : null);
  const target = h('input', { ...described('audit-target'), type: 'text', value: start.target, autocomplete: 'off',
    spellcheck: false, maxlength: 64, placeholder: 'e.g. a session’s ID' });
  const from = h('input', { ...described('audit-from'), type: 'date', value: start.from });
  const to = h('input', { ...described('audit-to'), type: 'date', value: start.to });
  const lines = Object.fromEntries(['audit-action', 'audit-actor', 'audit-target', 'audit-from', 'audit-to']
    .map((id) => [id, errorLine(id)]));
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'audit-filters-error' });
  const errors = formErrors({
    action: { error: lines['audit-action'], input: action },
    actor_id: { error: lines['audit-actor'], input: actor },
    target_id: { error: lines['audit-target'], input: target },
    after: { error: lines['audit-from'], input: from },
    before: { error: lines['audit-to'], input: to },
  }, general);
  const clearButton = h('button', { type: 'button', class: 'button button-quiet', 'data-testid': 'audit-clear',
    text: 'Clear filters' });
  const form = h('form', { class: 'filters audit-filters', role: 'search', 'aria-label': 'Filter the audit log',
    novalidate: true, 'data-testid': 'audit-filters' },
  control('audit-action', 'Action', action, lines['audit-action']),
  control('audit-actor', 'Who', actor, lines['audit-actor']),
  control('audit-target', 'Target ID', target, lines['audit-target']),
  control('audit-from', 'From', from, lines['audit-from']),
  control('audit-to', 'To', to, lines['audit-to']),
  h('div', { class: 'filters-actions' },
    h('button', { type: 'submit', class: 'button button-small', 'data-testid': 'audit-apply', text: 'Apply' }),
    clearButton));
  const node = h('div', {}, form, general);

  const values = () => ({ action: action.value, actor: actor.value, target: target.value, from: from.value,
    to: to.value });
  const apply = () => {
    errors.clear();
    const now = values();
    const target = now.target.trim();
    if (errors.check({
      target_id: target && !ID.test(target) ? 'An ID has only letters, digits, “-” and “_”.' : '',
      before: now.from && now.to && now.to < now.from ? 'Choose a day on or after “From”.' : '',
    })) return;
    const url = new URL(window.location.href);
    for (const name of PARAMS) {
      if (now[name].trim()) url.searchParams.set(name, now[name].trim());
      else url.searchParams.delete(name);
    }
    // replaceState, not pushState: Back leaves the log rather than replaying each filter; the state (the
    // router's index of this entry) stays.
    if (url.href !== window.location.href) window.history.replaceState(window.history.state, '', url);
    onApply(now);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  for (const select of [action, actor, from, to]) select.addEventListener('change', apply);
  clearButton.addEventListener('click', () => {
    for (const input of [action, actor, target, from, to]) input.value = '';
    apply();
  });

  return {
    node,
    errors,
    values,
    /** Who can act: the company's API keys (the page's own scope reads them) and its recruiters. */
    async actors(signal) {
      const [keys, people] = await Promise.all([
        api.listAll('/v1/api-keys', {}, { signal }).catch(() => []),
        held.has('read:recruiters') ? api.listAll('/v1/recruiters', {}, { signal }).catch(() => []) : [],
      ]);
      if (signal.aborted) return;
      const chosen = actor.value;
      const known = new Set([...people.map((p) => p.id), ...keys.map((k) => k.id)]);
      if (chosen && known.has(chosen)) actor.querySelector(`option[value="${CSS.escape(chosen)}"]`)?.remove();
      const group = (label, items) => (items.length ? h('optgroup', { label }, items) : null);
      actor.append(
        group('Recruiters', people.map((p) => h('option', { value: p.id, selected: p.id === chosen,
          text: `${p.name} (${p.email})` }))),
        group('API keys', keys.map((k) => h('option', { value: k.id, selected: k.id === chosen,
          text: `${k.name} (${k.prefix}…)` }))));
    },
  };
}
