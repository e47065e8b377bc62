/*
 * Team page (admins): the company's recruiter accounts, a form that adds one
 * (email, name, password, scopes), changing a name or scopes in a dialog, and
 * removing an account after a confirmation. The page hides what the sign-in may
 * not do; the server enforces it either way.
 */

import * as api from './api.js';
import { actionButton, confirmDialog, empty, errorBox, fill, h, loading, sentence, time } from './dom.js';
import { field, formDialog, formErrors, notify } from './forms.js';
import { REVIEWER_SCOPES, scopeGrid, scopePresets, scopeSummary, tickedScopes } from './scopes.js';

export async function render(root, ctx) {
  document.title = 'Team · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'Team' }));
  const intro = h('p', { class: 'muted page-intro', text: 'The recruiter accounts of your company: who can sign in '
    + 'to these pages, and what each of them may do.' });
  if (!held.has('read:recruiters')) {
    fill(root, head, intro, h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'team-denied' },
      h('p', { class: 'notice-text', text: 'Your sign-in cannot see the team: it needs the read:recruiters scope. '
        + 'Ask an administrator.' })));
    return;
  }
  const page = {
    ctx,
    held,
    me: ctx.identity?.recruiter?.id ?? null,
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'team-notices' }),
    list: h('section', { class: 'card', 'aria-labelledby': 'members-title', 'data-testid': 'members' },
      listTitle(), loading('Loading accounts…')),
    refresh,
  };
  fill(root, head, intro, page.notices, page.list, held.has('write:recruiters') ? createForm(page) : null);

  async function refresh() {
    let people;
    try {
      people = await api.listAll('/v1/recruiters', {}, { signal: ctx.signal });
    } catch (error) {
      if (api.isAbort(error) || ctx.signal.aborted) return;
      fill(page.list, listTitle(), errorBox(error, 'The accounts could not be loaded'));
      return;
    }
    if (ctx.signal.aborted) return;
    fill(page.list, listTitle(), people.length ? membersTable(people, page) : empty('No recruiter accounts yet.'));
  }

  await refresh();
}

function listTitle() {
  return h('h2', { id: 'members-title', class: 'section-title', tabindex: '-1', text: 'Recruiter accounts' });
}

function who(person) {
  return `${person.name} (${person.email})`;
}

// ---- The list ---------------------------------------------------------------------

function membersTable(people, page) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-members', 'data-testid': 'members-table' },
      h('caption', { class: 'visually-hidden', text: 'Recruiter accounts' }),
      h('thead', {}, h('tr', {}, ['Name', 'Email', 'Scopes', 'Last sign-in', 'Status', 'Actions']
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, people.map((person) => memberRow(person, page)))));
}

function memberRow(person, page) {
  const self = person.id === page.me;
  const locked = person.locked_until && new Date(person.locked_until) > new Date();
  const edit = page.held.has('write:recruiters')
    ? h('button', { type: 'button', class: 'button button-small', 'data-testid': 'member-edit',
      'aria-label': `Edit ${person.name}`, text: 'Edit', on: { click: () => editMember(person, page) } })
    : null;
  const unlock = locked && page.held.has('write:recruiters')
    ? actionButton({ class: 'button button-small', 'data-testid': 'member-unlock',
      'aria-label': `Unlock ${person.name}`, text: 'Unlock' }, () => unlockMember(person, page))
    : null;
  const remove = page.held.has('delete:recruiters') && !self
    ? h('button', { type: 'button', class: 'button button-small button-danger-outline', 'data-testid': 'member-remove',
      'aria-label': `Remove ${person.name}`, text: 'Remove' })
    : null;
  remove?.addEventListener('click', async () => {
    remove.disabled = true;
    try {
      await removeMember(person, page);
    } finally {
      if (remove.isConnected) {
        remove.disabled = false;
        if (document.activeElement === document.body) remove.focus();
      }
    }
  });
  return h('tr', { 'data-testid': 'member-row', dataset: { recruiterId: person.id, self: String(self) } },
    h('td', { 'data-label': 'Name' }, h('span', { class: 'key-name', 'data-testid': 'row-name', text: person.name }),
      self ? h('span', { class: 'badge member-you', dataset: { tone: 'info' }, 'data-testid': 'member-you', text: 'You' }) : null),
    h('td', { class: 'cell-email', 'data-label': 'Email', 'data-testid': 'row-email', text: person.email }),
    h('td', { 'data-label': 'Scopes', 'data-testid': 'row-scopes' }, scopeSummary(person.scopes)),
    h('td', { 'data-label': 'Last sign-in' },
      person.last_login_at ? time(person.last_login_at) : h('span', { class: 'muted', text: 'Never' })),
    h('td', { 'data-label': 'Status' }, locked
      ? h('span', {}, h('span', { class: 'badge', dataset: { tone: 'attention' }, text: 'Locked' }),
        h('span', { class: 'cell-sub' }, 'until ', time(person.locked_until)))
      : h('span', { class: 'badge', dataset: { tone: 'positive' }, text: 'Active' })),
    h('td', { class: 'cell-actions', 'data-label': 'Actions' },
      edit || remove ? h('div', { class: 'actions' }, unlock, edit, remove) : h('span', { class: 'muted', text: '—' })));
}

// ---- Adding an account ----------------------------------------------------------------

function scopesFieldset(prefix, held, boxes, checked) {
  const error = h('p', { id: `${prefix}-scopes-error`, class: 'form-error', 'data-testid': `${prefix}-scopes-error` });
  const grid = scopeGrid(held, boxes, { testid: `${prefix}-scope-`, checked });
  const node = h('fieldset', { class: 'scopes', 'aria-describedby': `${prefix}-scopes-hint ${prefix}-scopes-error`,
    'data-testid': `${prefix}-scopes` },
  h('legend', { text: 'Scopes' }),
  h('p', { id: `${prefix}-scopes-hint`, class: 'hint',
    text: 'What the account may do. You can grant only what your own sign-in may do.' }),
  scopePresets(boxes, [
    ['Reviewer', `${prefix}-scopes-reviewer`, (scope) => REVIEWER_SCOPES.includes(scope)],
    ['Read only', `${prefix}-scopes-read`, (scope) => scope.startsWith('read:')],
    ['Everything I can grant', `${prefix}-scopes-all`, () => true],
    ['None', `${prefix}-scopes-none`, () => false]]),
  grid, error);
  return { node, error, input: null, focus: { focus: () => grid.querySelector('input:not(:disabled)')?.focus() } };
}

function createForm(page) {
  const email = field({ id: 'member-email', label: 'Email', type: 'email', required: true, maxlength: 320,
    spellcheck: false, hint: 'They sign in with it. Each email has one account across the engine.' });
  const name = field({ id: 'member-name', label: 'Name', required: true, maxlength: 200 });
  const password = field({ id: 'member-password', label: 'Password', type: 'password', required: true,
    autocomplete: 'new-password', maxlength: 1024,
    hint: 'At least 12 characters. Give it to them safely; they cannot change it themselves yet.' });
  const reviewer = REVIEWER_SCOPES.filter((scope) => page.held.has(scope));
  const boxes = new Map();
  const scopes = scopesFieldset('member', page.held, boxes, reviewer);
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'member-form-error' });
  const errors = formErrors({ email, name, password, scopes }, general);
  const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'member-create',
    text: 'Add account' });
  const form = h('form', { class: 'form key-form', novalidate: true, 'data-testid': 'member-form' },
    email.wrap, name.wrap, password.wrap, scopes.node, general, h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const body = { email: email.input.value.trim(), name: name.input.value.trim(), password: password.input.value,
      scopes: tickedScopes(boxes) };
    if (errors.check({
      email: body.email ? '' : 'Enter their email.',
      name: body.name ? '' : 'Enter their name.',
      password: body.password ? '' : 'Choose a password for them.',
      scopes: body.scopes.length ? '' : 'Choose at least one scope.',
    })) return;
    submit.disabled = true;
    submit.textContent = 'Adding…';
    let made;
    try {
      made = await api.post('/v1/recruiters', body);
    } catch (error) {
      if (!api.isAbort(error)) errors.fromApi(error);
      return;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Add account';
    }
    for (const input of [email.input, name.input, password.input]) input.value = '';
    for (const [scope, box] of boxes) box.checked = reviewer.includes(scope);
    await page.refresh();
    notify(page.notices, 'success', `${who(made)} added. They can sign in now with the password you chose.`,
      'member-added');
  });

  return h('section', { class: 'card', 'aria-labelledby': 'add-member-title', 'data-testid': 'add-member' },
    h('h2', { id: 'add-member-title', class: 'section-title', text: 'Add a recruiter' }), form);
}

// ---- Editing and removing ----------------------------------------------------------------

async function editMember(person, page) {
  const self = person.id === page.me;
  const name = field({ id: 'edit-member-name', label: 'Name', required: true, maxlength: 200, value: person.name });
  // An admin sets a new password here (there is no reset by email yet); left empty, it stays as it is.
  const password = field({ id: 'edit-member-password', label: 'New password (optional)', type: 'password',
    autocomplete: 'new-password', maxlength: 1024,
    hint: 'Leave empty to keep the current one. A new one signs them out everywhere; give it to them safely.' });
  const boxes = new Map();
  const scopes = scopesFieldset('edit', page.held, boxes, person.scopes);
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'edit-member-form-error' });
  const errors = formErrors({ name, password, scopes }, general);
  let updated = null;
  const saved = await formDialog({
    title: `Edit ${person.name}`,
    testid: 'edit-member',
    submitLabel: 'Save',
    content: [
      h('p', { class: 'hint', text: self ? `${person.email}: your own account. Scopes you take away from it `
        + 'apply to this sign-in at once.' : person.email }),
      name.wrap, self ? null : password.wrap, scopes.node, general],
    onSubmit: async () => {
      errors.clear();
      const body = {};
      const newName = name.input.value.trim();
      const newScopes = tickedScopes(boxes);
      if (newName !== person.name) body.name = newName;
      if (!self && password.input.value) body.password = password.input.value;
      const before = [...person.scopes].sort().join(' ');
      if (newScopes.slice().sort().join(' ') !== before) body.scopes = newScopes;
      if (errors.check({ name: newName ? '' : 'Enter a name.',
        scopes: newScopes.length ? '' : 'Choose at least one scope.' })) return false;
      if (!Object.keys(body).length) return true;
      try {
        updated = await api.request('PATCH', `/v1/recruiters/${encodeURIComponent(person.id)}`, { body });
      } catch (error) {
        if (!api.isAbort(error)) errors.fromApi(error);
        return false;
      }
      return true;
    },
  });
  if (!saved || !updated) return;
  if (self && page.ctx.identity) page.ctx.identity.scopes = updated.scopes;
  await page.refresh();
  notify(page.notices, 'success', `${who(updated)} saved.`, 'member-saved');
}

async function unlockMember(person, page) {
  let updated;
  try {
    updated = await api.request('PATCH', `/v1/recruiters/${encodeURIComponent(person.id)}`, { body: { unlock: true } });
  } catch (error) {
    if (!api.isAbort(error)) notify(page.notices, 'error', sentence(error.message), 'member-error');
    return;
  }
  await page.refresh();
  notify(page.notices, 'success', `${who(updated)} can sign in again.`, 'member-unlocked');
}

async function removeMember(person, page) {
  const ok = await confirmDialog({
    title: `Remove ${person.name}?`,
    message: `${person.email} is signed out everywhere at once and can no longer sign in. The decisions they `
      + 'recorded are kept. This cannot be undone.',
    confirmLabel: 'Remove account',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.del(`/v1/recruiters/${encodeURIComponent(person.id)}`);
  } catch (error) {
    if (!api.isAbort(error)) notify(page.notices, 'error', sentence(error.message), 'member-error');
    return;
  }
  await page.refresh();
  notify(page.notices, 'success', `${who(person)} removed.`, 'member-removed');
}
