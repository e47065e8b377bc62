/*
 * Interviews page: the company's evaluation templates (name, use case, how many
 * stages, whether the public link is on), "New interview" from a preset
 * (template-new.js), and deleting one after a confirmation; the API refuses
 * (409) while participants or sessions use it, and the page says so.
 */

import * as api from './api.js';
import { confirmDialog, empty, errorBox, fill, h, loading, sentence } from './dom.js';
import { notify } from './forms.js';
import { newInterview } from './template-new.js';
import { USE_CASES, labelOf, takeFlash, templatePath, verdictText } from './template-vocab.js';

export function deniedNotice() {
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'templates-denied' },
    h('p', { class: 'notice-text', text: 'Your sign-in cannot see interviews: it needs the read:templates scope. '
      + 'Ask an administrator.' }));
}

export async function render(root, ctx) {
  document.title = 'Interviews · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const create = held.has('write:templates')
    ? h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'template-new',
      text: 'New interview' })
    : null;
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'Interviews' }), create);
  const intro = h('p', { class: 'muted page-intro', text: 'Each interview (an evaluation template) says what the '
    + 'conversation must determine and the bar to pass, and runs participants through its stages.' });
  if (!held.has('read:templates')) {
    fill(root, head, intro, deniedNotice());
    return;
  }
  const page = {
    ctx,
    held,
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'templates-notices' }),
    list: h('section', { class: 'card', 'aria-labelledby': 'templates-title', 'data-testid': 'templates' },
      listTitle(), loading('Loading interviews…')),
    refresh,
  };
  create?.addEventListener('click', () => newInterview(page));
  fill(root, head, intro, page.notices, page.list);
  const flash = takeFlash('templates');
  if (flash) notify(page.notices, 'success', flash, 'templates-flash', { focus: false });

  async function refresh() {
    let list;
    try {
      list = await api.listAll('/v1/templates', {}, { signal: ctx.signal });
    } catch (error) {
      if (api.isAbort(error) || ctx.signal.aborted) return;
      fill(page.list, listTitle(), errorBox(error, 'The interviews could not be loaded'));
      return;
    }
    const counts = held.has('read:stages') ? await stageCounts(list) : new Map();
    if (ctx.signal.aborted) return;
    fill(page.list, listTitle(), list.length ? templatesTable(list, counts, page)
      : empty('No interviews yet. Start one from a preset with “New interview”.'));
  }

  await refresh();
}

function listTitle() {
  return h('h2', { id: 'templates-title', class: 'section-title', tabindex: '-1', text: 'All interviews' });
}

/** Stage counts by template id; a template whose stages fail to load has none in the map. */
async function stageCounts(list) {
  const results = await Promise.allSettled(list.map((template) => api.stages(template.id)));
  const counts = new Map();
  results.forEach((result, index) => {
    if (result.status === 'fulfilled') counts.set(list[index].id, result.value.length);
  });
  return counts;
}

// ---- The list ---------------------------------------------------------------------

function templatesTable(list, counts, page) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-templates', 'data-testid': 'templates-table' },
      h('caption', { class: 'visually-hidden', text: 'Interviews' }),
      h('thead', {}, h('tr', {}, ['Name', 'Use case', 'Stages', 'Public link', 'Actions']
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, list.map((template) => templateRow(template, counts, page)))));
}

function templateRow(template, counts, page) {
  const count = counts.get(template.id);
  const on = Boolean(template.public_link?.enabled);
  const remove = page.held.has('delete:templates')
    ? h('button', { type: 'button', class: 'button button-small button-danger-outline', 'data-testid': 'template-delete',
      'aria-label': `Delete ${template.name}`, text: 'Delete' })
    : null;
  remove?.addEventListener('click', async () => {
    remove.disabled = true;
    try {
      await removeTemplate(template, page);
    } finally {
      if (remove.isConnected) {
        remove.disabled = false;
        if (document.activeElement === document.body) remove.focus();
      }
    }
  });
  return h('tr', { 'data-testid': 'template-row', dataset: { templateId: template.id } },
    h('td', { 'data-label': 'Name' },
      h('a', { class: 'row-name', href: templatePath(template.id), 'data-testid': 'template-link', text: template.name }),
      h('span', { class: 'cell-sub', 'data-testid': 'template-verdict', text: verdictText(template) })),
    h('td', { 'data-label': 'Use case', 'data-testid': 'template-use-case', text: labelOf(USE_CASES, template.use_case) }),
    h('td', { class: 'cell-number', 'data-label': 'Stages', 'data-testid': 'template-stages' },
      count === undefined ? h('span', { class: 'muted', text: '—' })
        : h('a', { href: templatePath(template.id, 'stages'), 'aria-label': `${count} stages of ${template.name}`,
          text: String(count) })),
    h('td', { 'data-label': 'Public link' }, h('span', { class: 'badge', dataset: { tone: on ? 'positive' : 'neutral' },
      'data-testid': 'template-public', text: on ? 'On' : 'Off' })),
    h('td', { class: 'cell-actions', 'data-label': 'Actions' },
      remove ? h('div', { class: 'actions' }, remove) : h('span', { class: 'muted', text: '—' })));
}

// ---- Deleting ------------------------------------------------------------------------------

async function removeTemplate(template, page) {
  const ok = await confirmDialog({
    title: `Delete ${template.name}?`,
    message: 'The interview and its stages are deleted, and its public link stops working. An interview that '
      + 'still has participants or sessions cannot be deleted. This cannot be undone.',
    confirmLabel: 'Delete interview',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.del(`/v1/templates/${encodeURIComponent(template.id)}`);
  } catch (error) {
    if (api.isAbort(error)) return;
    const text = error.status === 409
      ? `${template.name} was not deleted: it still has participants or sessions. Delete those first, or keep `
        + 'the interview.'
      : `${template.name} was not deleted: ${sentence(error.message)}`;
    notify(page.notices, 'error', text, 'template-delete-error');
    return;
  }
  api.forgetTemplates();
  await page.refresh();
  notify(page.notices, 'success', `${template.name} deleted.`, 'template-deleted');
}
