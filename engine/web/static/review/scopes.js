/*
 * Scopes as the API keys and Team pages show and pick them: a grid of resources by
 * read/write/delete, presets above it, and a compact summary for lists.
 */

import { h } from './dom.js';

// Mirrors engine/auth.py RESOURCES and ACTIONS (tests/engine/test_api_keys.py checks that it does).
export const RESOURCES = [
  ['agent_profiles', 'Agent profiles'],
  ['templates', 'Templates'],
  ['stages', 'Stages'],
  ['participants', 'Participants'],
  ['sessions', 'Sessions'],
  ['events', 'Events'],
  ['webhooks', 'Webhooks'],
  ['recruiters', 'Recruiters'],
  ['api_keys', 'API keys'],
];
export const ACTIONS = [['read', 'Read'], ['write', 'Write'], ['delete', 'Delete']];
export const ALL_SCOPES = RESOURCES.flatMap(([resource]) => ACTIONS.map(([action]) => `${action}:${resource}`));
// A new recruiter's scopes when none are chosen (config/recruiters.py REVIEWER_SCOPES).
export const REVIEWER_SCOPES = ['read:agent_profiles', 'read:templates', 'read:stages', 'read:participants',
  'read:sessions', 'write:sessions'];
const SHORT_LIST = 4;

/**
 * A row per resource, a checkbox per action; scopes the sign-in lacks are shown but cannot be ticked.
 * `boxes` (a Map) receives each checkbox by scope; `checked` ticks some from the start.
 */
export function scopeGrid(held, boxes, { testid = 'scope-', checked = [] } = {}) {
  const ticked = new Set(checked);
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-scopes' },
      h('caption', { class: 'visually-hidden', text: 'Scopes by resource' }),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Resource' }),
        ACTIONS.map(([, label]) => h('th', { scope: 'col', text: label })))),
      h('tbody', {}, RESOURCES.map(([resource, label]) => h('tr', {},
        h('th', { scope: 'row', text: label }),
        ACTIONS.map(([action, actionLabel]) => {
          const scope = `${action}:${resource}`;
          const box = h('input', { type: 'checkbox', value: scope, disabled: !held.has(scope),
            checked: ticked.has(scope), 'data-testid': `${testid}${scope}` });
          boxes.set(scope, box);
          return h('td', { 'data-label': actionLabel },
            h('label', { class: 'scope-box', title: held.has(scope) ? scope : `${scope}: your sign-in lacks it` },
              box, h('span', { class: 'visually-hidden', text: `${actionLabel} ${label.toLowerCase()}` })));
        }))))));
}

/** Buttons that tick a set of scopes at once (only those the sign-in may grant). `presets`: [label, testid, pick]. */
export function scopePresets(boxes, presets) {
  return h('div', { class: 'scope-presets' }, presets.map(([label, testid, pick]) => h('button', {
    type: 'button', class: 'button button-small button-quiet', 'data-testid': testid, text: label,
    on: { click: () => {
      for (const [scope, box] of boxes) if (!box.disabled) box.checked = pick(scope);
    } } })));
}

/** The ticked scopes, in grid order. */
export function tickedScopes(boxes) {
  return [...boxes].filter(([, box]) => box.checked).map(([scope]) => scope);
}

export function scopeSummary(scopes) {
  const list = [...(scopes ?? [])];
  if (ALL_SCOPES.every((scope) => list.includes(scope))) {
    return h('span', { class: 'badge', dataset: { tone: 'attention' }, text: 'All scopes' });
  }
  if (!list.length) return h('span', { class: 'muted', text: 'None' });
  const items = h('ul', { class: 'tags' }, list.map((scope) => h('li', { class: 'tag', text: scope })));
  if (list.length <= SHORT_LIST) return items;
  return h('details', { class: 'scope-details' }, h('summary', { text: `${list.length} scopes` }), items);
}
