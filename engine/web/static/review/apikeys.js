/*
 * API keys page: the company's keys (never their secrets), a form that creates
 * one and shows its key once, and revoking with a confirmation. The page hides
 * what the sign-in may not do; the server enforces it either way.
 */

import * as api from './api.js';
import { announce, confirmDialog, empty, errorBox, fill, h, loading, sentence, time, writeClipboard } from './dom.js';
import { scopeGrid, scopePresets, scopeSummary, tickedScopes } from './scopes.js';


export async function render(root, ctx) {
  document.title = 'API keys · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'API keys' }));
  const intro = h('p', { class: 'muted page-intro', text: 'Keys let your other systems (an ATS, an LMS, scripts) '
    + 'use the API for your company. Each key can do only what its scopes allow.' });
  if (!held.has('read:api_keys')) {
    fill(root, head, intro, h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'keys-denied' },
      h('p', { class: 'notice-text', text: 'Your sign-in cannot see API keys: it needs the read:api_keys scope. '
        + 'Ask an administrator.' })));
    return;
  }
  const page = {
    signal: ctx.signal,
    held,
    canRevoke: held.has('delete:api_keys'),
    notices: h('div', { class: 'notices key-notices', tabindex: '-1', 'data-testid': 'key-notices' }),
    list: h('section', { class: 'card', 'aria-labelledby': 'keys-title', 'data-testid': 'keys' },
      h('h2', { id: 'keys-title', class: 'section-title', tabindex: '-1', text: 'Keys' }), loading('Loading keys…')),
    refresh,
  };
  fill(root, head, intro, page.notices, page.list, held.has('write:api_keys') ? createForm(page) : null);

  async function refresh() {
    let keys;
    try {
      keys = await api.listAll('/v1/api-keys', {}, { signal: ctx.signal });
    } catch (error) {
      if (api.isAbort(error) || ctx.signal.aborted) return;
      fill(page.list, errorBox(error, 'The keys could not be loaded'));
      return;
    }
    if (ctx.signal.aborted) return;
    fill(page.list, h('h2', { id: 'keys-title', class: 'section-title', tabindex: '-1', text: 'Keys' }),
      keys.length ? keysTable(keys, page) : empty('No API keys yet.'));
  }

  await refresh();
}

// ---- Creating a key -------------------------------------------------------------

function createForm(page) {
  const nameError = h('p', { id: 'key-name-error', class: 'form-error', 'data-testid': 'key-name-error' });
  const name = h('input', { id: 'key-name', name: 'name', type: 'text', maxlength: 200, autocomplete: 'off',
    required: true, 'aria-describedby': 'key-name-hint key-name-error', 'data-testid': 'key-name' });
  const scopesError = h('p', { id: 'key-scopes-error', class: 'form-error', 'data-testid': 'key-scopes-error' });
  const formError = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'key-form-error' });
  const boxes = new Map();
  const grid = scopeGrid(page.held, boxes);
  const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'key-create',
    text: 'Create key' });
  const form = h('form', { class: 'form key-form', novalidate: true, 'data-testid': 'key-form' },
    h('div', { class: 'field' },
      h('label', { for: 'key-name', text: 'Name' }), name,
      h('p', { id: 'key-name-hint', class: 'hint', text: 'What the key is for, e.g. “ATS integration”.' }),
      nameError),
    h('fieldset', { class: 'scopes', 'aria-describedby': 'key-scopes-hint key-scopes-error',
      'data-testid': 'key-scopes' },
    h('legend', { text: 'Scopes' }),
    h('p', { id: 'key-scopes-hint', class: 'hint',
      text: 'What the key may do. You can grant only what your own sign-in may do.' }),
    scopePresets(boxes, [
      ['Read only', 'scopes-read', (scope) => scope.startsWith('read:')],
      ['Everything I can grant', 'scopes-all', () => true],
      ['None', 'scopes-none', () => false]]),
    grid, scopesError),
    formError, h('div', { class: 'form-actions' }, submit));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const errors = { name: nameError, scopes: scopesError };
    const show = (field, text) => {
      errors[field].textContent = text;
      if (field === 'name') name.setAttribute('aria-invalid', text ? 'true' : 'false');
    };
    const focusFirstError = () => {
      if (nameError.textContent) name.focus();
      else if (scopesError.textContent) grid.querySelector('input:not(:disabled)')?.focus();
    };
    show('name', '');
    show('scopes', '');
    formError.textContent = '';
    const body = { name: name.value.trim(), scopes: tickedScopes(boxes) };
    if (!body.name) show('name', 'Enter a name.');
    if (!body.scopes.length) show('scopes', 'Choose at least one scope.');
    if (!body.name || !body.scopes.length) {
      focusFirstError();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Creating…';
    let created;
    try {
      created = await api.post('/v1/api-keys', body);
    } catch (error) {
      if (api.isAbort(error)) return;
      // Each error next to the field it names: `scopes[2]` is the scopes; scopes the sign-in may not
      // grant (403, details.missing_scopes) too. Anything else goes above the button.
      const owner = (path) => String(path ?? '').split(/[[.]/)[0];
      const fields = (error.details?.fields ?? []).filter((item) => Object.hasOwn(errors, owner(item.path)));
      for (const item of fields) show(owner(item.path), sentence(item.message));
      if (error.details?.missing_scopes && error.status === 403) show('scopes', sentence(error.message));
      if (!nameError.textContent && !scopesError.textContent) formError.textContent = sentence(error.message);
      focusFirstError();
      return;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create key';
    }
    form.reset();
    showSecret(page, created);
    await page.refresh();
  });

  return h('section', { class: 'card', 'aria-labelledby': 'create-key-title', 'data-testid': 'create-key' },
    h('h2', { id: 'create-key-title', class: 'section-title', text: 'Create a key' }), form);
}

/** The new key, once: copy it now or never. Dismissing it takes it out of the page. */
function showSecret(page, created) {
  const status = h('p', { class: 'notice-text copy-status', role: 'status', 'data-testid': 'copy-status' });
  const field = h('input', { type: 'text', class: 'link-field', readonly: true, value: created.key,
    autocomplete: 'off', 'aria-label': 'New API key', 'aria-describedby': 'new-key-warning',
    'data-testid': 'new-key' });
  field.spellcheck = false; // no spelling service ever sees the key
  field.addEventListener('focus', () => field.select());
  const copy = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'copy-key', text: 'Copy',
    on: { click: async () => {
      status.textContent = (await writeClipboard(created.key)) ? 'Copied' : 'Select the key and copy it.';
      if (!status.textContent.startsWith('Copied')) field.focus();
    } } });
  const done = h('button', { type: 'button', class: 'button button-small button-primary', 'data-testid': 'dismiss-key',
    text: 'I have copied it', on: { click: () => { fill(page.notices); page.list.querySelector('h2')?.focus(); } } });
  fill(page.notices, h('div', { class: 'notice secret-notice', dataset: { kind: 'attention' },
    'data-testid': 'new-key-notice' },
  h('h2', { class: 'notice-title', tabindex: '-1', text: `Key “${created.name}” created` }),
  h('p', { id: 'new-key-warning', class: 'notice-text', text: 'Copy it now: it will not be shown again. Only a hash '
    + 'of it is kept, so a lost key cannot be recovered; revoke it and create another.' }),
  h('div', { class: 'link-row' }, field, copy), status,
  h('div', {}, done)));
  announce(`Key ${created.name} created. Copy it now: it will not be shown again.`);
  field.focus();
}

// ---- The list ---------------------------------------------------------------------

function keysTable(keys, page) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-keys', 'data-testid': 'keys-table' },
      h('caption', { class: 'visually-hidden', text: 'API keys' }),
      h('thead', {}, h('tr', {}, ['Name', 'Scopes', 'Created', 'Last used', 'Status', 'Actions']
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, keys.map((key) => keyRow(key, page)))));
}

function keyRow(key, page) {
  const revoked = Boolean(key.revoked_at);
  const status = h('p', { class: 'row-status', role: 'status', 'data-testid': 'row-status' });
  const revoke = page.canRevoke && !revoked
    ? h('button', { type: 'button', class: 'button button-small button-danger-outline', 'data-testid': 'revoke',
      'aria-label': `Revoke ${key.name}`, text: 'Revoke' })
    : null;
  revoke?.addEventListener('click', async () => {
    revoke.disabled = true;
    try {
      await revokeKey(key, page, status);
    } finally {
      if (revoke.isConnected) revoke.disabled = false;
    }
  });
  return h('tr', { 'data-testid': 'key-row', dataset: { keyId: key.id, revoked: String(revoked) } },
    h('td', { 'data-label': 'Name' },
      h('span', { class: 'key-name', text: key.name }),
      h('code', { class: 'cell-sub key-prefix', 'data-testid': 'key-prefix', text: `${key.prefix}…` })),
    h('td', { 'data-label': 'Scopes' }, scopeSummary(key.scopes)),
    h('td', { 'data-label': 'Created' }, time(key.created_at),
      key.created_by ? h('span', { class: 'cell-sub', text: creator(key.created_by) }) : null),
    h('td', { 'data-label': 'Last used', 'data-testid': 'last-used' },
      key.last_used_at ? time(key.last_used_at) : h('span', { class: 'muted', text: 'Never' })),
    h('td', { 'data-label': 'Status' },
      h('span', { class: 'badge', dataset: { tone: revoked ? 'negative' : 'positive' }, 'data-testid': 'key-status',
        text: revoked ? 'Revoked' : 'Active' }),
      revoked ? h('span', { class: 'cell-sub' }, time(key.revoked_at)) : null),
    h('td', { class: 'cell-actions', 'data-label': 'Actions' },
      revoke ?? h('span', { class: 'muted', text: '—' }), status));
}

function creator(createdBy) {
  if (createdBy.startsWith('recruiter:')) return 'by a recruiter';
  if (createdBy.startsWith('api_key:')) return `by key ${createdBy.slice('api_key:'.length)}`;
  if (createdBy === 'cli') return 'from the command line';
  if (createdBy === 'first-run') return 'at first start';
  return `by ${createdBy}`;
}

async function revokeKey(key, page, status) {
  const ok = await confirmDialog({
    title: `Revoke “${key.name}”?`,
    message: `Requests made with ${key.prefix}… are refused from now on, and browsers signed in with it are `
      + 'signed out. This cannot be undone.',
    confirmLabel: 'Revoke key',
    danger: true,
  });
  if (!ok) return;
  status.textContent = 'Revoking…';
  try {
    await api.del(`/v1/api-keys/${encodeURIComponent(key.id)}`);
  } catch (error) {
    status.textContent = '';
    if (api.isAbort(error)) return;
    fill(page.notices, h('div', { class: 'notice', dataset: { kind: 'error' }, role: 'alert',
      'data-testid': 'key-error' }, h('p', { class: 'notice-text', text: sentence(error.message) })));
    page.notices.focus();
    return;
  }
  const text = `Key “${key.name}” revoked.`;
  fill(page.notices, h('div', { class: 'notice', dataset: { kind: 'success' }, role: 'status',
    'data-testid': 'key-revoked' }, h('p', { class: 'notice-text', text })));
  announce(text);
  await page.refresh();
  page.notices.focus();
}
