/*
 * One webhook endpoint: what it receives and whether it is enabled, with editing,
 * a test event and its result, rotating the signing secret (shown once), deleting
 * after a confirmation, and its delivery log (deliveries.js).
 */

import * as api from './api.js';
import { actionButton, confirmDialog, facts, fill, formatDateTime, h, loading, sentence, time } from './dom.js';
import { deliveryLog, describe, waitForDelivery } from './deliveries.js';
import { field, formDialog, formErrors, notify, secretNotice } from './forms.js';
import { deniedNotice, enabledBadge, eventPicker, eventSummary, setFlash } from './webhooks.js';

export async function render(root, ctx) {
  const [id] = ctx.params;
  document.title = 'Webhook endpoint · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const back = h('p', { class: 'back-link' }, h('a', { href: '/review/webhooks', text: '← All webhook endpoints' }));
  const title = h('h1', { class: 'title', tabindex: '-1', text: 'Webhook endpoint' });
  if (!held.has('read:webhooks')) {
    fill(root, back, title, deniedNotice());
    return;
  }
  fill(root, back, title, loading('Loading the endpoint…'));
  const path = `/v1/webhook-endpoints/${encodeURIComponent(id)}`;
  const endpoint = await api.get(path, {}, { signal: ctx.signal });
  if (ctx.signal.aborted) return;
  const page = {
    ctx,
    held,
    path,
    endpoint,
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'webhook-notices' }),
    summary: h('section', { class: 'card', 'aria-labelledby': 'endpoint-title', 'data-testid': 'endpoint-summary' }),
  };
  page.log = deliveryLog(page);
  fill(root, back, title, page.notices, page.summary, page.log.node);
  drawSummary(page);
  await page.log.refresh();
}

function drawSummary(page) {
  const endpoint = page.endpoint;
  const rotating = endpoint.secret_rotating_until;
  fill(page.summary,
    h('h2', { id: 'endpoint-title', class: 'section-title', text: 'Endpoint' }),
    facts([
      ['URL', h('code', { class: 'endpoint-url', 'data-testid': 'endpoint-url', text: endpoint.url })],
      ['Note', endpoint.description ? h('span', { 'data-testid': 'endpoint-note', text: endpoint.description }) : null],
      ['Events', eventSummary(endpoint.event_types)],
      ['Status', enabledBadge(endpoint)],
      ['Created', time(endpoint.created_at)],
      ['Previous secret', rotating ? h('span', {}, 'Also signs until ', time(rotating)) : null],
    ]),
    actions(page));
}

function actions(page) {
  const write = page.held.has('write:webhooks');
  const button = (testid, text, run, extra = {}) => actionButton({ class: 'button button-small', 'data-testid': testid,
    text, ...extra }, run);
  const list = [
    write ? button('endpoint-edit', 'Edit', () => edit(page)) : null,
    write ? button('endpoint-test', 'Send test event', () => sendTest(page)) : null,
    write ? button('endpoint-rotate', 'Rotate secret', () => rotate(page)) : null,
    page.held.has('delete:webhooks')
      ? button('endpoint-delete', 'Delete', () => remove(page), { class: 'button button-small '
        + 'button-danger-outline' })
      : null,
  ].filter(Boolean);
  return list.length ? h('div', { class: 'form-actions endpoint-actions' }, list) : null;
}

// ---- Edit -----------------------------------------------------------------------------

async function edit(page) {
  const endpoint = page.endpoint;
  const url = field({ id: 'edit-url', label: 'URL', type: 'url', required: true, maxlength: 2000, spellcheck: false,
    value: endpoint.url });
  const note = field({ id: 'edit-description', label: 'Note (optional)', maxlength: 500,
    value: endpoint.description });
  const events = eventPicker('edit', endpoint.event_types);
  const enabled = h('input', { type: 'checkbox', id: 'edit-enabled', checked: endpoint.enabled,
    'aria-describedby': 'edit-enabled-hint edit-enabled-error', 'data-testid': 'edit-enabled' });
  const enabledError = h('p', { id: 'edit-enabled-error', class: 'form-error' });
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'edit-form-error' });
  const errors = formErrors({
    url,
    description: note,
    event_types: { error: events.error, input: null, focus: events.focus },
    enabled: { error: enabledError, input: enabled },
  }, general);
  const saved = await formDialog({
    title: 'Edit the endpoint',
    testid: 'edit-endpoint',
    submitLabel: 'Save',
    content: [url.wrap, note.wrap, events.node,
      h('div', { class: 'field' },
        h('label', { class: 'choice', for: 'edit-enabled' }, enabled, h('span', { text: 'Enabled' })),
        h('p', { id: 'edit-enabled-hint', class: 'hint', text: endpoint.disabled_reason
          ? `Disabled because ${endpoint.disabled_reason}. Enabling it sends new events again.`
          : 'A disabled endpoint receives nothing until it is enabled again.' }),
        enabledError),
      general],
    onSubmit: async () => {
      errors.clear();
      const types = events.value();
      const body = { url: url.input.value.trim(), description: note.input.value.trim(), event_types: types ?? [],
        enabled: enabled.checked };
      if (errors.check({ url: body.url ? '' : 'Enter the URL to send events to.',
        event_types: types ? '' : 'Tick at least one event, or choose every event.' })) return false;
      try {
        page.endpoint = await api.request('PATCH', page.path, { body });
      } catch (error) {
        if (!api.isAbort(error)) errors.fromApi(error);
        return false;
      }
      return true;
    },
  });
  if (!saved) return;
  drawSummary(page);
  notify(page.notices, 'success', 'Endpoint saved.', 'endpoint-saved');
}

// ---- Test event ----------------------------------------------------------------------

async function sendTest(page) {
  notify(page.notices, 'info', 'Sending a test event…', 'test-result', { focus: false });
  let delivery;
  try {
    delivery = await api.post(`${page.path}/test`);
    delivery = await waitForDelivery(page, delivery);
  } catch (error) {
    if (api.isAbort(error) || page.ctx.signal.aborted) return;
    notify(page.notices, 'error', `The test event could not be sent: ${error.message}`, 'test-result',
      { focus: false });
    return;
  }
  await page.log.refresh();
  const kind = { succeeded: 'success', failed: 'error' }[delivery.status] ?? 'attention';
  notify(page.notices, kind, sentence(`Test event ${describe(delivery)}`), 'test-result', { focus: false });
  page.notices.firstElementChild.dataset.status = delivery.status;
}

// ---- Rotate ----------------------------------------------------------------------------

async function rotate(page) {
  const ok = await confirmDialog({
    title: 'Rotate the signing secret?',
    message: 'A new secret is made and shown once. For a while the engine signs each delivery with both the new '
      + 'and the old secret, so your receiver can switch over without missing any.',
    confirmLabel: 'Rotate secret',
  });
  if (!ok) return;
  let rotated;
  try {
    rotated = await api.post(`${page.path}/rotate-secret`);
  } catch (error) {
    if (!api.isAbort(error)) notify(page.notices, 'error', sentence(error.message), 'rotate-error');
    return;
  }
  const { secret, ...endpoint } = rotated;
  page.endpoint = endpoint;
  drawSummary(page);
  const until = rotated.secret_rotating_until;
  secretNotice(page.notices, {
    title: 'New signing secret',
    secret,
    label: 'New signing secret',
    warning: 'Copy it now: it will not be shown again. '
      + (until ? `The previous secret also signs deliveries until ${formatDateTime(until)}.`
        : 'The previous secret no longer signs deliveries.'),
    onDone: () => page.summary.querySelector('[data-testid=endpoint-rotate]')?.focus(),
  });
}

// ---- Delete ----------------------------------------------------------------------------

async function remove(page) {
  const ok = await confirmDialog({
    title: 'Delete this endpoint?',
    message: `Events stop going to ${page.endpoint.url}, and deliveries still waiting are dropped. `
      + 'This cannot be undone.',
    confirmLabel: 'Delete endpoint',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.del(page.path);
  } catch (error) {
    if (!api.isAbort(error)) notify(page.notices, 'error', sentence(error.message), 'delete-error');
    return;
  }
  setFlash(`Endpoint ${page.endpoint.url} deleted.`);
  page.ctx.navigate('/review/webhooks');
}
