/*
 * The Stages tab of an interview: its pipeline as an ordered list. A stage moves
 * by dragging its handle (pointer events, so mouse, pen and touch alike) or with
 * its Move up / Move down buttons, after which focus stays on the moved stage and
 * the new position is announced; each new order is saved at once with
 * PUT /v1/templates/{id}/stages/order. Stages are added and edited in a dialog
 * (stage-form.js) and deleted after a confirmation (409 while sessions are open).
 */

import * as api from './api.js';
import { confirmDialog, empty, fill, h, sentence } from './dom.js';
import { notify } from './forms.js';
import { stageDialog } from './stage-form.js';
import { makeSortable } from './sortable.js';
import { STAGE_TYPES, labelOf, profilePath } from './template-vocab.js';

export async function render(panel, page) {
  const stagesPath = `${page.path}/stages`;
  const write = page.held.has('write:stages');
  const [stages, profiles] = await Promise.all([
    api.listAll(stagesPath, {}, { signal: page.ctx.signal }),
    page.held.has('read:agent_profiles')
      ? api.listAll('/v1/agent-profiles', {}, { signal: page.ctx.signal }).catch((error) => {
        if (api.isAbort(error)) throw error;
        return null;
      })
      : null,
  ]);
  const state = {
    page,
    write,
    remove: page.held.has('delete:stages'),
    stages: stages.sort((a, b) => a.order - b.order),
    profiles,
    // Templates may use a profile this sign-in cannot list (or a generic one of old): names come from here.
    profileNames: new Map((profiles ?? []).map((p) => [p.id, p.name])),
    list: h('ol', { class: 'stage-list', 'aria-labelledby': 'stages-title', 'data-testid': 'stage-list' }),
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'stage-notices' }),
    live: h('p', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite', 'data-testid': 'stage-announcer' }),
    saving: Promise.resolve(),
  };
  state.selectable = (profiles ?? []).filter((p) => p.focus !== 'generic')
    .sort((a, b) => a.name.localeCompare(b.name));
  state.emptyNote = empty('No stages yet. Add the first step participants go through, e.g. a phone screen.');
  const add = write
    ? h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'stage-add', text: 'Add stage',
      on: { click: () => addStage(state) } })
    : null;
  state.addButton = add;
  state.sortable = makeSortable(state.list, {
    handle: '.drag-handle',
    onDrop: (ids, movedId) => {
      const from = state.stages.findIndex((s) => s.id === movedId);
      const byId = new Map(state.stages.map((s) => [s.id, s]));
      state.stages = ids.map((id) => byId.get(id));
      const to = ids.indexOf(movedId);
      if (from === to) return;
      fill(state.notices);
      draw(state);
      said(state, movedId, to);
      saveOrder(state);
    },
  });
  fill(panel,
    h('section', { class: 'card', 'aria-labelledby': 'stages-title', 'data-testid': 'stages' },
      h('div', { class: 'page-head' }, h('h2', { id: 'stages-title', class: 'section-title', tabindex: '-1',
        text: 'Stages' }), add),
      h('p', { class: 'hint', id: 'stages-hint', text: write
        ? 'The steps a participant goes through, in order. Drag a stage by its handle, or use Move up and Move '
          + 'down, to change the order; it is saved at once.'
        : 'The steps a participant goes through, in order.' }),
      state.notices, state.live, state.emptyNote, state.list));
  draw(state);
}

// ---- The list ---------------------------------------------------------------------------------

function draw(state) {
  const count = state.stages.length;
  state.emptyNote.hidden = count > 0;
  state.list.hidden = count === 0;
  fill(state.list, state.stages.map((stage, index) => stageItem(stage, index, count, state)));
}

function stageItem(stage, index, count, state) {
  const button = (action, text, label, run, extra = {}) => h('button', { type: 'button',
    class: ['button', 'button-small', extra.class], 'data-action': action, 'data-testid': `stage-${action}`,
    'aria-label': label, text, disabled: extra.disabled, on: { click: run } });
  const profileId = stage.agent_profile_id;
  const profileName = profileId ? (state.profileNames.get(profileId) ?? 'Agent profile') : null;
  const actions = [
    state.write ? button('up', 'Move up', `Move ${stage.name} up`, () => move(state, stage.id, -1),
      { disabled: index === 0 }) : null,
    state.write ? button('down', 'Move down', `Move ${stage.name} down`, () => move(state, stage.id, 1),
      { disabled: index === count - 1 }) : null,
    state.write ? button('edit', 'Edit', `Edit ${stage.name}`, () => editStage(state, stage)) : null,
    state.remove ? button('delete', 'Delete', `Delete ${stage.name}`, (event) => removeStage(state, stage, event),
      { class: 'button-danger-outline' }) : null,
  ].filter(Boolean);
  return h('li', { class: 'stage-item', 'data-testid': 'stage-item', dataset: { stageId: stage.id } },
    state.write ? h('span', { class: 'drag-handle', 'aria-hidden': 'true', title: 'Drag to reorder',
      'data-testid': 'stage-drag' }) : null,
    h('span', { class: 'stage-position', 'aria-hidden': 'true', text: String(index + 1) }),
    h('div', { class: 'stage-body' },
      h('h3', { class: 'stage-title', 'data-testid': 'stage-title' },
        h('span', { class: 'visually-hidden', text: `Stage ${index + 1} of ${count}: ` }), stage.name),
      h('dl', { class: 'stage-facts' },
        fact('Type', labelOf(STAGE_TYPES, stage.type)),
        fact('Interviewer', profileId
          ? h('a', { href: profilePath(profileId), 'data-testid': 'stage-profile-name', text: profileName })
          : h('span', { class: 'muted', text: 'None (people run it)' })),
        fact('Pass threshold', h('span', { 'data-testid': 'stage-threshold-value', text: String(stage.pass_threshold) })),
        fact('Retry', stage.allow_retry ? 'Allowed' : 'Not allowed'),
        fact('When passed', stage.on_complete === 'human_approval' ? 'Waits for approval' : 'Advances'),
        fact('Embedded scorer', h('span', { 'data-testid': 'stage-embedded-decides-value',
          text: stage.embedded_scorer_decides ? 'Decides alone' : 'A person confirms its verdicts' })),
        fact('Length', stage.duration_minutes ? `${stage.duration_minutes} min`
          : `${state.page.template.duration_minutes} min (the interview’s)`)),
      actions.length ? h('div', { class: 'stage-actions' }, actions) : null));
}

function fact(label, value) {
  return h('div', { class: 'stage-fact' }, h('dt', { text: label }), h('dd', {}, value));
}

function focusIn(state, stageId, action) {
  const item = state.list.querySelector(`[data-stage-id="${CSS.escape(stageId)}"]`);
  const target = item?.querySelector(`[data-action="${action}"]:not(:disabled)`)
    ?? item?.querySelector('[data-action]:not(:disabled)');
  target?.focus();
}

function said(state, stageId, to) {
  const stage = state.stages.find((s) => s.id === stageId);
  const text = `Moved ${stage?.name ?? 'the stage'} to position ${to + 1} of ${state.stages.length}.`;
  // Cleared first, so the same words twice are read twice.
  state.live.textContent = '';
  window.setTimeout(() => { state.live.textContent = text; }, 50);
}

// ---- Reordering --------------------------------------------------------------------------------

async function move(state, stageId, delta) {
  const from = state.stages.findIndex((s) => s.id === stageId);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= state.stages.length) return;
  const [stage] = state.stages.splice(from, 1);
  state.stages.splice(to, 0, stage);
  fill(state.notices); // an earlier "added" or "deleted" is old news now
  draw(state);
  // Focus follows the stage; at an end its other button takes it.
  focusIn(state, stageId, delta < 0 ? 'up' : 'down');
  said(state, stageId, to);
  await saveOrder(state);
}

/** Saves the order on screen; saves run one after another, each sending the order of its own moment. */
function saveOrder(state) {
  state.list.dataset.saving = 'true';
  const run = state.saving.then(async () => {
    const ids = state.stages.map((s) => s.id);
    try {
      const saved = await api.put(`${state.page.path}/stages/order`, { stage_ids: ids });
      const byId = new Map((saved?.data ?? []).map((s) => [s.id, s]));
      state.stages = state.stages.map((s) => byId.get(s.id) ?? s);
      api.forgetTemplates();
    } catch (error) {
      if (api.isAbort(error)) return;
      notify(state.notices, 'error', `The new order was not saved: ${sentence(error.message)}`, 'stage-order-error',
        { focus: false });
      await reload(state);
    }
  });
  state.saving = run;
  run.finally(() => {
    if (state.saving === run) delete state.list.dataset.saving;
  });
  return run;
}

async function reload(state) {
  const focusedId = document.activeElement?.closest?.('[data-stage-id]')?.dataset.stageId;
  const action = document.activeElement?.dataset?.action;
  try {
    state.stages = (await api.listAll(`${state.page.path}/stages`, {}, { signal: state.page.ctx.signal }))
      .sort((a, b) => a.order - b.order);
  } catch (error) {
    if (!api.isAbort(error)) notify(state.notices, 'error', sentence(error.message), 'stage-load-error');
    return;
  }
  draw(state);
  if (focusedId && action) focusIn(state, focusedId, action);
}

// ---- Adding, editing, deleting -----------------------------------------------------------------

async function addStage(state) {
  const created = await stageDialog(state.page, null, state.profiles && state.selectable);
  if (!created) return;
  await state.saving;
  state.stages.push(created);
  state.stages.sort((a, b) => a.order - b.order);
  api.forgetTemplates();
  draw(state);
  notify(state.notices, 'success', `${created.name} added as stage ${state.stages.length}.`, 'stage-added',
    { focus: false });
  focusIn(state, created.id, 'edit');
}

async function editStage(state, stage) {
  const updated = await stageDialog(state.page, stage, state.profiles && withCurrent(state, stage));
  if (!updated) return;
  state.stages = state.stages.map((s) => (s.id === updated.id ? updated : s));
  api.forgetTemplates();
  draw(state);
  notify(state.notices, 'success', `${updated.name} saved.`, 'stage-saved', { focus: false });
  focusIn(state, updated.id, 'edit');
}

/** The selectable profiles, plus the one the stage uses now if it is not among them. */
function withCurrent(state, stage) {
  const current = state.profiles.find((p) => p.id === stage.agent_profile_id);
  return current && !state.selectable.includes(current) ? [...state.selectable, current] : state.selectable;
}

async function removeStage(state, stage, event) {
  const trigger = event.currentTarget;
  const ok = await confirmDialog({
    title: `Delete ${stage.name}?`,
    message: 'The stage leaves the pipeline; the stages after it move up. Sessions it already ran are kept. A '
      + 'stage with sessions not yet finished cannot be deleted.',
    confirmLabel: 'Delete stage',
    danger: true,
  });
  if (!ok) {
    if (trigger.isConnected) trigger.focus();
    return;
  }
  try {
    await api.del(`/v1/stages/${encodeURIComponent(stage.id)}`);
  } catch (error) {
    if (api.isAbort(error)) return;
    const text = error.status === 409
      ? `${stage.name} was not deleted: it has sessions that are scheduled or in progress. Finish or cancel `
        + 'them first.'
      : `${stage.name} was not deleted: ${sentence(error.message)}`;
    notify(state.notices, 'error', text, 'stage-delete-error', { focus: false });
    if (trigger.isConnected) trigger.focus();
    return;
  }
  const index = state.stages.findIndex((s) => s.id === stage.id);
  state.stages = state.stages.filter((s) => s.id !== stage.id);
  api.forgetTemplates();
  draw(state);
  notify(state.notices, 'success', `${stage.name} deleted.`, 'stage-deleted', { focus: false });
  // Focus to the stage that took its place, else the one before it, else the Add button.
  const next = state.stages[Math.min(index, state.stages.length - 1)];
  if (next) focusIn(state, next.id, 'delete');
  else (state.addButton ?? state.list.closest('section').querySelector('h2')).focus();
}
