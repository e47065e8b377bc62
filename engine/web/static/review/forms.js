/*
 * Form pieces shared by the Webhooks and Team pages: a labelled field with its hint
 * and error line, the API's errors put next to the fields they name, a form in a
 * modal <dialog>, and a secret shown once with a copy button.
 */

import { announce, fill, h, sentence, writeClipboard } from './dom.js';

/** A labelled input with a hint and an error line, tied to it by aria-describedby. */
export function field({ id, label, hint = '', testid = id, ...attrs }) {
  const error = h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${testid}-error` });
  const input = h('input', { id, name: id, type: 'text', autocomplete: 'off', ...attrs,
    'aria-describedby': [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '), 'data-testid': testid });
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: label }), input,
    hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null, error);
  return { wrap, input, error };
}

/** Pydantic's "Value error, must be ..." reads as "Must be ...". */
export function cleanMessage(text) {
  return sentence(String(text ?? '').replace(/^Value error,\s*/i, ''));
}

/**
 * Errors for a form's fields. `fields`: name -> { error (element), input (gets aria-invalid; may be null),
 * focus (what to focus when it is the first in error) }. `general` takes what names no field.
 */
export function formErrors(fields, general) {
  const set = (name, text) => {
    const entry = fields[name];
    entry.error.textContent = text;
    entry.input?.setAttribute('aria-invalid', text ? 'true' : 'false');
  };
  return {
    clear() {
      for (const name of Object.keys(fields)) set(name, '');
      general.textContent = '';
    },
    /** Problems found before sending, `{name: text}` (empty texts skipped); true when there were any. */
    check(problems) {
      let found = false;
      for (const [name, text] of Object.entries(problems)) {
        if (!text) continue;
        set(name, text);
        found = true;
      }
      if (found) this.focusFirst();
      return found;
    },
    /**
     * An API error next to the field it names: 422 `details.fields[].path` (`event_types[2]` is the
     * event types), 409 `details.field`, 403 `details.missing_scopes` (the scopes). Anything else above
     * the buttons.
     */
    fromApi(error) {
      const owner = (path) => String(path ?? '').split(/[[.]/)[0];
      let placed = false;
      for (const item of error.details?.fields ?? []) {
        const name = owner(item.path);
        if (!Object.hasOwn(fields, name) || fields[name].error.textContent) continue;
        set(name, cleanMessage(item.message));
        placed = true;
      }
      const named = error.details?.field;
      if (!placed && typeof named === 'string' && Object.hasOwn(fields, named)) {
        set(named, sentence(error.message));
        placed = true;
      }
      if (!placed && error.status === 403 && error.details?.missing_scopes && fields.scopes) {
        set('scopes', sentence(error.message));
        placed = true;
      }
      if (!placed) general.textContent = sentence(error.message);
      this.focusFirst();
    },
    focusFirst() {
      const first = Object.values(fields).find((entry) => entry.error.textContent);
      (first?.focus ?? first?.input)?.focus();
    },
  };
}

/**
 * A form in a modal dialog (native <dialog>: focus stays inside, Escape cancels). `onSubmit()` runs on
 * submit and returns true to close. Resolves true when it closed after a submit, false when cancelled.
 * Focus goes back to what had it before, if that is still on the page.
 */
export function formDialog({ title, testid, content, submitLabel, busyLabel = 'Saving…', onSubmit }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const titleId = `${testid}-title`;
    const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': `${testid}-save`,
      text: submitLabel });
    const cancel = h('button', { type: 'button', class: 'button', 'data-testid': `${testid}-cancel`, text: 'Cancel' });
    const form = h('form', { class: 'form', novalidate: true },
      h('h2', { id: titleId, class: 'dialog-title', text: title }), content,
      h('div', { class: 'dialog-actions' }, cancel, submit));
    const dialog = h('dialog', { class: 'dialog dialog-form', 'aria-labelledby': titleId, 'data-testid': testid },
      form);
    let saved = false;
    let busy = false;
    cancel.addEventListener('click', () => dialog.close());
    // While a save is in flight, Escape waits for it: closing would hide its answer.
    dialog.addEventListener('cancel', (event) => { if (busy) event.preventDefault(); });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (busy) return;
      busy = true;
      submit.disabled = true;
      submit.textContent = busyLabel;
      try {
        saved = Boolean(await onSubmit());
      } finally {
        busy = false;
        submit.disabled = false;
        submit.textContent = submitLabel;
      }
      if (saved) dialog.close();
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(saved);
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector('input:not([type=radio]):not(:disabled), input:checked, button')?.focus();
  });
}

/**
 * A notice in `container`, which then takes focus (it has tabindex -1) unless `focus` is false: then it is
 * only announced, and focus stays on the button that was pressed.
 */
export function notify(container, kind, text, testid, { focus = true } = {}) {
  fill(container, h('div', { class: 'notice', dataset: { kind }, role: kind === 'error' ? 'alert' : 'status',
    'data-testid': testid }, h('p', { class: 'notice-text', text })));
  if (kind !== 'error') announce(text);
  if (focus) container.focus();
}

/**
 * A secret, shown once in `container`: copy it now or never. "I have copied it" takes it off the page
 * and calls `onDone` (to move focus somewhere sensible).
 */
export function secretNotice(container, { title, secret, label, warning, onDone }) {
  const status = h('p', { class: 'notice-text copy-status', role: 'status', 'data-testid': 'copy-status' });
  const input = h('input', { type: 'text', class: 'link-field', readonly: true, value: secret, autocomplete: 'off',
    'aria-label': label, 'aria-describedby': 'secret-warning', 'data-testid': 'new-secret' });
  input.spellcheck = false; // no spelling service ever sees the secret
  input.addEventListener('focus', () => input.select());
  const copy = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'copy-secret', text: 'Copy',
    on: { click: async () => {
      const copied = await writeClipboard(secret);
      status.textContent = copied ? 'Copied' : 'Select the secret and copy it.';
      if (!copied) input.focus();
    } } });
  const done = h('button', { type: 'button', class: 'button button-small button-primary',
    'data-testid': 'dismiss-secret', text: 'I have copied it', on: { click: () => {
      fill(container);
      onDone?.();
    } } });
  fill(container, h('div', { class: 'notice secret-notice', dataset: { kind: 'attention' },
    'data-testid': 'secret-notice' },
  h('h2', { class: 'notice-title', text: title }),
  h('p', { id: 'secret-warning', class: 'notice-text', text: warning }),
  h('div', { class: 'link-row' }, input, copy), status, h('div', {}, done)));
  announce(`${title}. ${warning}`);
  input.focus();
}
