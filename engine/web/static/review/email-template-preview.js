/*
 * The preview of a template as a participant would get it: the server renders what is typed with sample
 * values (POST /v1/email-templates/{kind}/preview, the sender's own renderer, so escaping and the
 * subject's one-line rule are the server's, not a copy of them).
 *
 * The HTML goes into an <iframe sandbox=""> through srcdoc: a document of its own with an opaque origin
 * and no scripts, so markup in a template (even <script> or onerror=) can neither run nor reach this page.
 * Nothing it holds is ever put into this page's DOM as markup.
 */

import * as api from './api.js';
import { fill, h } from './dom.js';

const DELAY_MS = 350;

const LABELS = { subject: 'Subject', html: 'HTML body', text: 'Plain text body' };

/** "HTML body: unknown placeholder $x" from a 422's first field, else the message. */
function problem(error) {
  const first = error.details?.fields?.[0];
  if (!first) return error.message;
  const field = String(first.path ?? '').split(/[[.]/)[0];
  const message = String(first.message ?? '').replace(/^Value error,\s*/i, '');
  return `${LABELS[field] ?? field}: ${message}`;
}

/** `{node, schedule(values), now(values)}`: `schedule` waits for a pause in typing, `now` does not. */
export function previewPane(kind, signal) {
  const path = `/v1/email-templates/${encodeURIComponent(kind)}/preview`;
  const subject = h('p', { class: 'email-preview-subject', 'data-testid': 'preview-subject' });
  const frame = h('iframe', { class: 'email-frame', sandbox: '', referrerpolicy: 'no-referrer',
    title: 'The HTML email, as a participant would see it (sample values)', 'data-testid': 'preview-html' });
  const text = h('pre', { class: 'email-preview-text', 'data-testid': 'preview-text' });
  const samples = h('dl', { class: 'placeholder-list', 'data-testid': 'preview-values' });
  const status = h('div', { class: 'email-preview-status', 'data-testid': 'preview-status' });
  const node = h('section', { class: 'card email-preview', 'aria-labelledby': 'email-preview-title',
    'data-testid': 'email-preview', 'aria-busy': 'true' },
  h('h2', { id: 'email-preview-title', class: 'section-title', text: 'Preview' }),
  h('p', { class: 'hint', text: 'Rendered by the server with sample values, the way it will send the email. '
    + 'Scripts never run here, links do not open, and pictures from other sites are not loaded.' }),
  status,
  h('h3', { class: 'email-preview-heading', text: 'Subject' }), subject,
  h('h3', { class: 'email-preview-heading', text: 'HTML version' }), frame,
  h('h3', { class: 'email-preview-heading', text: 'Plain text version' }), text,
  h('details', { class: 'placeholder-help' }, h('summary', { text: 'Sample values' }), samples));

  let timer = null;
  let asked = 0; // each request's number: an answer that is not the latest is dropped

  function show(rendered) {
    subject.textContent = rendered.subject;
    // A property, not markup in this page: the frame parses it as its own sandboxed document.
    if (frame.srcdoc !== rendered.html) frame.srcdoc = rendered.html;
    text.textContent = rendered.text;
    fill(samples, Object.entries(rendered.values ?? {}).map(([name, value]) =>
      h('div', { class: 'placeholder-item' }, h('dt', {}, h('code', { text: `$${name}` })), h('dd', { text: value }))));
    fill(status);
    node.dataset.state = 'ready';
  }

  function failed(error) {
    const invalid = error.status === 422;
    fill(status, h('div', { class: 'notice', dataset: { kind: invalid ? 'attention' : 'error' },
      'data-testid': 'preview-problem' },
    h('p', { class: 'notice-text', text: invalid
      ? `Showing the last version that could be rendered. ${problem(error)}`
      : `The preview could not be updated: ${error.message}` })));
    node.dataset.state = 'stale';
  }

  async function now(values) {
    window.clearTimeout(timer);
    const mine = ++asked;
    node.setAttribute('aria-busy', 'true');
    try {
      const rendered = await api.post(path, values, { signal });
      if (mine === asked) show(rendered);
    } catch (error) {
      if (!api.isAbort(error) && mine === asked) failed(error);
    } finally {
      if (mine === asked) node.removeAttribute('aria-busy');
    }
  }

  return {
    node,
    now,
    schedule(values) {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => now(values), DELAY_MS);
    },
  };
}
