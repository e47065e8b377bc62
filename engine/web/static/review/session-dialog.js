/*
 * A modal dialog for the Sessions tab's multi-step flows (check a file, then import; parse resumes, then
 * invite), which forms.js's one-submit formDialog does not fit: the caller fills `body` and `actions`
 * step by step. Native <dialog>: focus stays inside and Escape closes, except while a request is in
 * flight (closing would hide its answer). Focus goes back to the opener.
 */

import { h } from './dom.js';

export function stepDialog({ title, testid }) {
  const opener = document.activeElement;
  const titleId = `${testid}-title`;
  const body = h('div', { class: 'form ts-dialog-body' });
  const actions = h('div', { class: 'dialog-actions' });
  const dialog = h('dialog', { class: 'dialog dialog-form ts-dialog', 'aria-labelledby': titleId,
    'data-testid': testid },
  h('h2', { id: titleId, class: 'dialog-title', text: title }), body, actions);
  let busy = false;
  let resolveDone;
  const done = new Promise((resolve) => { resolveDone = resolve; });
  dialog.addEventListener('cancel', (event) => { if (busy) event.preventDefault(); });
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (opener?.isConnected) opener.focus();
    resolveDone();
  });

  const api = {
    dialog,
    body,
    actions,
    /** Resolves once the dialog has closed. */
    done,
    close: () => dialog.close(),
    /** A button for the actions row; `primary` styles it as the next step. */
    button(label, testid_, onClick, { primary = false } = {}) {
      const node = h('button', { type: 'button', class: ['button', primary ? 'button-primary' : ''],
        'data-testid': testid_, text: label });
      node.addEventListener('click', onClick);
      return node;
    },
    /** Runs `work` with every action disabled and `button` saying `busyLabel`; Escape waits for it. */
    async busy(button, busyLabel, work) {
      const label = button.textContent;
      const controls = [...actions.querySelectorAll('button'), ...body.querySelectorAll('input, select, button')];
      const wasDisabled = new Map(controls.map((c) => [c, c.disabled]));
      busy = true;
      for (const control of controls) control.disabled = true;
      button.textContent = busyLabel;
      dialog.setAttribute('aria-busy', 'true');
      try {
        return await work();
      } finally {
        busy = false;
        dialog.removeAttribute('aria-busy');
        for (const control of controls) if (control.isConnected) control.disabled = wasDisabled.get(control);
        if (button.isConnected && button.textContent === busyLabel) button.textContent = label;
      }
    },
    open() {
      document.body.append(dialog);
      dialog.showModal();
      body.querySelector('input, select, button')?.focus();
      return done;
    },
  };
  return api;
}
