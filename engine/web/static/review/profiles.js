/*
 * Interviewers page: the company's agent profiles (name, use, scoring, when last changed), a link to
 * create one, and per profile Duplicate (a copy named "<name> (copy)", opened in the editor) and Delete
 * (after a confirmation; a profile still conducting stages or open sessions is refused by the API with a
 * 409, shown with what uses it). The editor is profile.js.
 */

import * as api from './api.js';
import { actionButton, confirmDialog, empty, errorBox, fill, h, humanize, loading, sentence, time } from './dom.js';
import { notify } from './forms.js';
import { optionText } from './profile-fields.js';

// A message for the next page drawn (after a create, a duplicate or a delete).
let flash = '';

export function setFlash(text) {
  flash = text;
}

export function takeFlash() {
  const text = flash;
  flash = '';
  return text;
}

export function editorPath(id) {
  return `/review/profiles/${encodeURIComponent(id)}`;
}

export function deniedNotice() {
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'profiles-denied' },
    h('p', { class: 'notice-text', text: 'Your sign-in cannot see interviewers: it needs the read:agent_profiles '
      + 'scope. Ask an administrator.' }));
}

export async function render(root, ctx) {
  document.title = 'Interviewers · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'Interviewers' }),
    held.has('write:agent_profiles') ? h('a', { class: 'button button-primary', href: '/review/profiles/new',
      'data-testid': 'profile-new', text: 'New interviewer' }) : null);
  const intro = h('p', { class: 'muted page-intro', text: 'Agent profiles: how the AI interviewer introduces '
    + 'itself, how it converses, and the rubric it scores against. A stage of an interview uses one.' });
  if (!held.has('read:agent_profiles')) {
    fill(root, head, intro, deniedNotice());
    return;
  }
  const page = {
    ctx,
    held,
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'profiles-notices' }),
    list: h('section', { class: 'card', 'aria-labelledby': 'profiles-title', 'data-testid': 'profiles' },
      listTitle(), loading('Loading interviewers…')),
  };
  page.refresh = async () => {
    let profiles;
    try {
      profiles = await api.listAll('/v1/agent-profiles', {}, { signal: ctx.signal });
    } catch (error) {
      if (api.isAbort(error) || ctx.signal.aborted) return;
      fill(page.list, listTitle(), errorBox(error, 'The interviewers could not be loaded'));
      return;
    }
    if (ctx.signal.aborted) return;
    profiles.sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
    fill(page.list, listTitle(), profiles.length ? profilesTable(profiles, page)
      : empty('No interviewers yet. Create one to use it in an interview’s stages.'));
  };
  fill(root, head, intro, page.notices, page.list);
  const text = takeFlash();
  if (text) notify(page.notices, 'success', text, 'profiles-flash');
  await page.refresh();
}

function listTitle() {
  return h('h2', { id: 'profiles-title', class: 'section-title', tabindex: '-1', text: 'Agent profiles' });
}

function profilesTable(profiles, page) {
  const actions = page.held.has('write:agent_profiles') || page.held.has('delete:agent_profiles');
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-profiles', 'data-testid': 'profiles-table' },
      h('caption', { class: 'visually-hidden', text: 'Interviewers' }),
      h('thead', {}, h('tr', {}, ['Name', 'Use', 'Scoring', 'Updated', actions ? 'Actions' : null].filter(Boolean)
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, profiles.map((profile) => h('tr', { 'data-testid': 'profile-row',
        dataset: { profileId: profile.id } },
      h('td', { class: 'cell-name', 'data-label': 'Name' },
        h('a', { class: 'row-name', href: editorPath(profile.id), 'data-testid': 'profile-link', text: profile.name }),
        profile.intro ? h('span', { class: 'cell-sub profile-intro', text: profile.intro }) : null),
      h('td', { 'data-label': 'Use' }, h('span', { 'data-testid': 'profile-use', text: humanize(profile.use_case) }),
        h('span', { class: 'cell-sub', text: humanize(profile.focus) })),
      h('td', { 'data-label': 'Scoring' },
        h('span', { 'data-testid': 'profile-method', text: humanize(profile.scoring?.scoringMethod) }),
        h('span', { class: 'cell-sub',
          text: `${dimensionCount(profile)}, scored ${optionText(profile.scoring?.scale ?? '0-10')}` })),
      h('td', { 'data-label': 'Updated' }, time(profile.updated_at)),
      actions ? h('td', { class: 'cell-actions', 'data-label': 'Actions' }, rowActions(profile, page)) : null)))));
}

function dimensionCount(profile) {
  const count = profile.rubric?.length ?? 0;
  return count === 1 ? '1 dimension' : `${count} dimensions`;
}

function rowActions(profile, page) {
  const button = (testid, text, run, extraClass = '') => actionButton({ class: ['button', 'button-small', extraClass],
    'data-testid': testid, text, 'aria-label': `${text} ${profile.name}` }, run);
  return h('div', { class: 'actions' },
    page.held.has('write:agent_profiles') ? button('profile-duplicate', 'Duplicate', () => duplicate(profile, page))
      : null,
    page.held.has('delete:agent_profiles')
      ? button('profile-delete', 'Delete', () => remove(profile, page), 'button-danger-outline') : null);
}

// ---- Duplicate ----------------------------------------------------------------------------------

/** The stored profile (fresh, not the row's copy), posted again under a new name, then opened. */
async function duplicate(profile, page) {
  const path = `/v1/agent-profiles/${encodeURIComponent(profile.id)}`;
  let created;
  try {
    const { id: _id, created_at: _created, updated_at: _updated, ...spec } = await api.get(path);
    const suffix = ' (copy)';
    const name = `${spec.name.slice(0, 200 - suffix.length)}${suffix}`; // names are at most 200 characters
    created = await api.post('/v1/agent-profiles', { ...spec, name });
  } catch (error) {
    if (!api.isAbort(error)) {
      notify(page.notices, 'error', `“${profile.name}” could not be duplicated: ${sentence(error.message)}`,
        'profile-duplicate-error');
    }
    return;
  }
  setFlash(`Copy created: you are editing “${created.name}”.`);
  page.ctx.navigate(editorPath(created.id));
}

// ---- Delete ---------------------------------------------------------------------------------------

async function remove(profile, page) {
  const ok = await confirmDialog({
    title: 'Delete this interviewer?',
    message: `“${profile.name}” will no longer be offered for stages. Sessions it already conducted keep it. `
      + 'This cannot be undone.',
    confirmLabel: 'Delete interviewer',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.del(`/v1/agent-profiles/${encodeURIComponent(profile.id)}`);
  } catch (error) {
    if (api.isAbort(error)) return;
    if (error.status === 409) {
      await showInUse(profile, page, error);
      return;
    }
    notify(page.notices, 'error', `“${profile.name}” could not be deleted: ${sentence(error.message)}`,
      'profile-delete-error');
    return;
  }
  notify(page.notices, 'success', `Interviewer “${profile.name}” deleted.`, 'profiles-flash');
  await page.refresh();
}

/** The API's "in use" refusal, with the stages (by name, where the sign-in may read templates) that use it. */
async function showInUse(profile, page, error) {
  const stageIds = new Set(error.details?.stage_ids ?? []);
  const sessions = error.details?.session_ids?.length ?? 0;
  const users = await stageLabels(stageIds, page.held);
  const items = [...users];
  const unnamed = stageIds.size - users.length;
  if (unnamed > 0) items.push(unnamed === 1 ? '1 stage' : `${unnamed} stages`);
  if (sessions) items.push(sessions === 1 ? '1 open session' : `${sessions} open sessions`);
  fill(page.notices, h('div', { class: 'notice', dataset: { kind: 'error' }, role: 'alert',
    'data-testid': 'profile-delete-error' },
  h('p', { class: 'notice-title', text: `“${profile.name}” was not deleted: it is in use.` }),
  h('p', { class: 'notice-text', text: asSentence(error.message) }),
  items.length ? h('p', { class: 'notice-label', text: 'Used by' }) : null,
  items.length ? h('ul', { class: 'in-use-list', 'data-testid': 'profile-in-use' },
    items.map((text) => h('li', { text }))) : null));
  page.notices.focus();
}

function asSentence(text) {
  const said = sentence(text);
  return /[.!?]$/.test(said) ? said : `${said}.`;
}

async function stageLabels(stageIds, held) {
  if (!stageIds.size || !held.has('read:templates')) return [];
  try {
    api.forgetTemplates(); // the stages that use it may be newer than this sign-in's cached lists
    const templates = await api.templates();
    const labels = [];
    for (const template of templates.values()) {
      for (const stage of await api.stages(template.id)) {
        if (stageIds.has(stage.id)) labels.push(`Stage “${stage.name}” of “${template.name}”`);
      }
    }
    return labels;
  } catch {
    return []; // the counts still say how much uses it
  }
}
