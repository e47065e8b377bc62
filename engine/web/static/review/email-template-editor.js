/*
 * One email template in an editor: its subject, HTML body and plain-text body, buttons that insert a
 * placeholder at the cursor, saving (PUT: the API's 422 shows next to the field it names) and going back
 * to the built-in text (DELETE, after a confirmation). Beside it, the server's preview of what is typed.
 *
 * The placeholders and their meanings come from the API (each template lists them), not from this file.
 */

import * as api from './api.js';
import { confirmDialog, fill, h, humanize, time } from './dom.js';
import { previewPane } from './email-template-preview.js';
import { formErrors, notify } from './forms.js';

/** Each kind's name and when the engine sends it (docs/email.md). */
export const KINDS = {
  invitation: ['Invitation', 'Sent when a session is booked, with the join link.'],
  reminder: ['Reminder', 'Sent before the session’s time (a day before, unless your engine says otherwise).'],
  reschedule: ['New time notice', 'Sent when a session’s time changes; the join link stays the same.'],
  cancellation: ['Cancellation notice', 'Sent when a session is cancelled, to a participant who was told about it.'],
};

export function kindName(kind) {
  return KINDS[kind]?.[0] ?? humanize(kind);
}

export function originBadge(template) {
  return template.is_default
    ? h('span', { class: 'badge', dataset: { tone: 'neutral' }, 'data-testid': 'template-origin', text: 'Built-in' })
    : h('span', { class: 'badge', dataset: { tone: 'info' }, 'data-testid': 'template-origin', text: 'Your own' });
}

const FIELDS = [
  { name: 'subject', label: 'Subject', maxlength: 300, hint: 'One line.', missing: 'Enter a subject.' },
  { name: 'html', label: 'HTML body', rows: 14, maxlength: 100000, code: true, missing: 'Enter the HTML body.',
    hint: 'What most mail programs show. Placeholder values are HTML-escaped, so a name with markup in it '
      + 'arrives as text.' },
  { name: 'text', label: 'Plain text body', rows: 10, maxlength: 50000, missing: 'Enter the plain text body.',
    hint: 'For mail programs that show no HTML.' },
];

const NAMES = FIELDS.map((f) => f.name);

function valuesOf(template) {
  return Object.fromEntries(NAMES.map((name) => [name, template[name] ?? '']));
}

// A name directly followed by a letter, digit or underscore would read as a longer (unknown) name.
const IDENTIFIER_CHAR = /[A-Za-z0-9_]/;

/**
 * `$name` at the cursor (over any selection), or `${name}` where text runs straight on after it. Goes
 * through the browser's editing command where it can, so Undo takes it back; that fires `input` too.
 */
function insertPlaceholder(input, name) {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  const text = IDENTIFIER_CHAR.test(input.value.charAt(end)) ? `\${${name}}` : `$${name}`;
  input.focus();
  input.setSelectionRange(start, end);
  // execCommand is deprecated but still the one way to edit a field and keep its undo history.
  if (!document.execCommand?.('insertText', false, text)) {
    input.setRangeText(text, start, end, 'end');
    input.dispatchEvent(new Event('input', { bubbles: true }));
  }
}

function placeholderHelp(placeholders) {
  return h('details', { class: 'placeholder-help', 'data-testid': 'placeholder-help' },
    h('summary', { text: 'What the placeholders stand for' }),
    h('p', { class: 'hint' }, 'Write ', h('code', { text: '$name' }), ' or ', h('code', { text: '${name}' }),
      '; ', h('code', { text: '$$' }), ' is a dollar sign. Nothing else in a template is ever run.'),
    h('dl', { class: 'placeholder-list' }, Object.entries(placeholders).map(([name, meaning]) =>
      h('div', { class: 'placeholder-item' }, h('dt', {}, h('code', { text: `$${name}` })),
        h('dd', { id: `placeholder-${name}`, text: meaning })))));
}

function placeholderPicker(spec, input, placeholders) {
  return h('details', { class: 'placeholder-picker', 'data-testid': `${spec.name}-placeholders` },
    h('summary', {}, 'Insert a placeholder',
      h('span', { class: 'visually-hidden', text: ` into the ${spec.label.toLowerCase()}` })),
    h('div', { class: 'placeholder-buttons', role: 'group', 'aria-label': `Placeholders for the ${spec.label.toLowerCase()}` },
      Object.keys(placeholders).map((name) => h('button', {
        type: 'button', class: 'button button-small placeholder-button', 'aria-describedby': `placeholder-${name}`,
        'data-testid': `insert-${spec.name}-${name}`, text: `$${name}`,
        on: { click: () => insertPlaceholder(input, name) } }))));
}

/** A labelled input or textarea with its hint, placeholder buttons and error line. */
function templateField(spec, value, { writable, placeholders }) {
  const id = `email-${spec.name}`;
  const error = h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${id}-error` });
  const attrs = { id, name: spec.name, maxlength: spec.maxlength, value, readOnly: !writable, spellcheck: !spec.code,
    autocomplete: 'off', 'aria-describedby': `${id}-hint ${id}-error`, 'data-testid': id };
  const input = spec.rows
    ? h('textarea', { ...attrs, rows: spec.rows, class: ['email-body', spec.code ? 'mono' : ''] })
    : h('input', { ...attrs, type: 'text' });
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: spec.label }), input,
    h('p', { id: `${id}-hint`, class: 'hint', text: spec.hint }),
    writable ? placeholderPicker(spec, input, placeholders) : null, error);
  return { wrap, input, error };
}

/**
 * The editor of `template` (one kind): `{node, kind, start(), dirty()}`. `page` gives the
 * router context, the scopes held, the notices area and `updated(template)` for the kinds list.
 */
export function templateEditor(page, template) {
  const { kind } = template;
  const name = kindName(kind);
  const writable = page.held.has('write:templates');
  const mayReset = page.held.has('delete:templates');
  let current = template;
  let saved = valuesOf(template);

  const fields = Object.fromEntries(FIELDS.map((spec) => [spec.name,
    templateField(spec, saved[spec.name], { writable, placeholders: template.placeholders ?? {} })]));
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'email-form-error' });
  const errors = formErrors(fields, general);
  const preview = previewPane(kind, page.ctx.signal);
  const origin = h('span', { class: 'email-origin' });
  const unsaved = h('span', { class: 'email-unsaved', 'data-testid': 'email-unsaved' });
  const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'email-save',
    text: 'Save' });
  const restore = h('button', { type: 'button', class: 'button button-danger-outline', 'data-testid': 'email-restore',
    text: 'Restore default', on: { click: () => restoreDefault() } });

  const values = () => Object.fromEntries(NAMES.map((n) => [n, fields[n].input.value]));
  const dirty = () => NAMES.some((n) => fields[n].input.value !== saved[n]);

  function drawState() {
    fill(origin, originBadge(current),
      current.updated_at ? h('span', { class: 'cell-sub' }, 'Saved ', time(current.updated_at)) : null);
    unsaved.textContent = dirty() ? 'Unsaved changes' : '';
    restore.hidden = !mayReset || current.is_default;
  }

  /**
   * A template from the server (saved, or back to the default): the fields hold what it holds now, except
   * a field typed in since `sent` went out (while a save was on its way), which keeps the newer text.
   */
  function load(next, sent = null) {
    current = next;
    saved = valuesOf(next);
    for (const n of NAMES) {
      if (!sent || fields[n].input.value === sent[n]) fields[n].input.value = saved[n];
    }
    page.updated(next);
    drawState();
    preview.now(values());
  }

  const form = h('form', { class: 'form email-form', novalidate: true, 'data-testid': 'email-form',
    'aria-labelledby': 'email-editor-title' },
  FIELDS.map((spec) => fields[spec.name].wrap), general,
  writable || mayReset ? h('div', { class: 'form-actions email-actions' }, writable ? submit : null, restore,
    unsaved) : unsaved);
  form.addEventListener('input', () => {
    drawState();
    preview.schedule(values());
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!writable || submit.disabled) return;
    errors.clear();
    const body = values();
    if (errors.check(Object.fromEntries(FIELDS.map((spec) =>
      [spec.name, body[spec.name].trim() ? '' : spec.missing])))) return;
    submit.disabled = true;
    submit.textContent = 'Saving…';
    let stored;
    try {
      stored = await api.put(`/v1/email-templates/${encodeURIComponent(kind)}`, body);
    } catch (error) {
      if (!api.isAbort(error)) errors.fromApi(error);
      return;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Save';
    }
    if (page.ctx.signal.aborted) return;
    load(stored, body);
    notify(page.notices, 'success', `${name} email saved. Emails not sent yet will use it.`, 'email-saved',
      { focus: false });
  });

  async function restoreDefault() {
    const ok = await confirmDialog({
      title: `Restore the built-in ${name.toLowerCase()} email?`,
      message: `Your own subject and bodies of this email are deleted${dirty() ? ', with the changes not saved yet' : ''}. `
        + 'Emails not sent yet will use the built-in text.',
      confirmLabel: 'Restore default',
      danger: true,
    });
    if (!ok) return;
    const path = `/v1/email-templates/${encodeURIComponent(kind)}`;
    let builtIn;
    try {
      await api.del(path);
      builtIn = await api.get(path, {}, { signal: page.ctx.signal });
    } catch (error) {
      if (!api.isAbort(error)) notify(page.notices, 'error', error.message, 'email-restore-error');
      return;
    }
    if (page.ctx.signal.aborted) return;
    errors.clear();
    load(builtIn);
    // The button is gone with the company's own template: the message takes focus instead.
    notify(page.notices, 'success', `The built-in ${name.toLowerCase()} email is back.`, 'email-restored');
  }

  const [, when] = KINDS[kind] ?? ['', ''];
  const editor = h('section', { class: 'card email-editor', 'aria-labelledby': 'email-editor-title',
    'data-testid': 'email-editor', dataset: { kind } },
  h('div', { class: 'email-editor-head' },
    h('h2', { id: 'email-editor-title', class: 'section-title', text: `${name} email` }), origin),
  when ? h('p', { class: 'hint', text: when }) : null,
  writable ? null : h('div', { class: 'notice email-read-only', dataset: { kind: 'attention' },
    'data-testid': 'email-read-only' }, h('p', { class: 'notice-text',
    text: 'Your sign-in can read this template but not change it: that needs the write:templates scope.' })),
  placeholderHelp(template.placeholders ?? {}),
  form);
  drawState();

  return {
    node: h('div', { class: 'email-workspace' }, editor, preview.node),
    kind,
    dirty,
    start() {
      preview.now(values());
    },
  };
}
