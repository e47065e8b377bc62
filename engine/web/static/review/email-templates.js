/*
 * "Emails": the company's email templates, one per kind (invitation, reminder, new time, cancellation),
 * each either the built-in text or the company's own. The chosen kind (?kind=) opens in the editor
 * (email-template-editor.js) beside a preview the server renders (email-template-preview.js).
 *
 * Edits that are not saved are not lost by accident: the router asks before any way out of the page
 * (ctx.guardLeave, app.js).
 */

import * as api from './api.js';
import { fill, h, humanize, loading, time } from './dom.js';
import { KINDS, kindName, originBadge, templateEditor } from './email-template-editor.js';

function deniedNotice() {
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'email-templates-denied' },
    h('p', { class: 'notice-text', text: 'Your sign-in cannot see the email templates: it needs the read:templates '
      + 'scope. Ask an administrator.' }));
}

export async function render(root, ctx) {
  document.title = 'Emails · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const head = h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: 'Email templates' }));
  const intro = h('p', { class: 'muted page-intro', text: 'What the engine emails participants about their '
    + 'sessions. Each email uses the built-in text until you save your own; a change applies to emails not sent yet.' });
  if (!held.has('read:templates')) {
    fill(root, head, intro, deniedNotice());
    return;
  }
  fill(root, head, intro, loading('Loading the templates…'));
  const list = (await api.get('/v1/email-templates', {}, { signal: ctx.signal }))?.data ?? [];
  if (ctx.signal.aborted) return;
  const asked = ctx.query.get('kind');
  const chosen = list.find((t) => t.kind === asked) ?? list[0];
  const page = {
    ctx,
    held,
    templates: new Map(list.map((t) => [t.kind, t])),
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'email-notices' }),
    kindList: h('ul', { class: 'email-kinds', 'data-testid': 'email-kinds' }),
    /** A template the server sent back (saved or reset): the list shows where it comes from now. */
    updated(template) {
      page.templates.set(template.kind, template);
      drawKinds(page, chosen.kind);
    },
  };
  drawKinds(page, chosen?.kind);
  const kinds = h('section', { class: 'card email-kinds-card', 'aria-labelledby': 'email-kinds-title' },
    h('h2', { id: 'email-kinds-title', class: 'section-title', text: 'Emails to participants' }), page.kindList);
  if (!chosen) {
    fill(root, head, intro, kinds);
    return;
  }
  page.editor = templateEditor(page, chosen);
  fill(root, head, intro, page.notices, kinds, page.editor.node);
  ctx.guardLeave({ dirty: page.editor.dirty, message: `Your changes to the ${kindName(chosen.kind).toLowerCase()} `
    + 'email are not saved. If you leave now, they are lost.' });
  page.editor.start();
}

function drawKinds(page, current) {
  fill(page.kindList, [...page.templates.values()].map((template) => {
    const [name, when] = KINDS[template.kind] ?? [humanize(template.kind), ''];
    const here = template.kind === current;
    return h('li', { class: 'email-kind', 'data-testid': 'email-kind', dataset: { kind: template.kind,
      origin: template.is_default ? 'default' : 'own' } },
    h('a', { class: 'email-kind-link', href: `/review/email-templates?kind=${encodeURIComponent(template.kind)}`,
      'aria-current': here ? 'page' : null, 'data-testid': 'email-kind-link', text: name }),
    when ? h('span', { class: 'email-kind-when', text: when }) : null,
    h('span', { class: 'email-kind-origin' }, originBadge(template),
      template.updated_at ? h('span', { class: 'cell-sub' }, 'Saved ', time(template.updated_at)) : null));
  }));
}
