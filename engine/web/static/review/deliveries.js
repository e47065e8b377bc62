/*
 * An endpoint's delivery log: each delivery's status, attempts, the last response
 * code, when, and what went wrong, with every attempt folded below, and a button
 * that sends it again. Also waits for a delivery just sent to be tried.
 */

import * as api from './api.js';
import { empty, errorBox, fill, formatDateTime, h, humanize, loading, time } from './dom.js';
import { notify } from './forms.js';

const LOG_LIMIT = 100;
const POLL_MS = 400;
const WAIT_MS = 20000;

export function deliveryBadge(delivery) {
  const [label, tone] = {
    succeeded: ['Delivered', 'positive'],
    failed: ['Failed', 'negative'],
    pending: delivery.attempts ? ['Retrying', 'attention'] : ['Queued', 'info'],
  }[delivery.status] ?? [humanize(delivery.status), 'neutral'];
  return h('span', { class: 'badge', dataset: { tone }, 'data-testid': 'delivery-status', text: label });
}

/** What happened to a delivery, as the end of a sentence. */
export function describe(delivery) {
  const last = delivery.attempt_log?.[0];
  if (delivery.status === 'succeeded') {
    const took = last ? ` in ${last.duration_ms} ms` : '';
    return `delivered: the endpoint answered HTTP ${delivery.last_status_code}${took}.`;
  }
  if (delivery.status === 'pending' && !delivery.attempts) {
    return 'queued, not tried yet. Refresh the deliveries to follow it.';
  }
  const why = delivery.last_error || 'no answer';
  if (delivery.status === 'pending') {
    return `not delivered yet (${why}). It will be tried again ${formatDateTime(delivery.next_attempt_at)}.`;
  }
  return `failed (${why}). It will not be tried again; redeliver it once the endpoint is fixed.`;
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      window.clearTimeout(timer);
      reject(new DOMException('left the page', 'AbortError'));
    }, { once: true });
  });
}

/**
 * Polls the endpoint's deliveries until `delivery` has been tried more than `attemptsBefore` times or is
 * no longer pending, for up to 20 s; returns it as last seen.
 */
export async function waitForDelivery(page, delivery, attemptsBefore = 0) {
  let seen = delivery;
  const deadline = Date.now() + WAIT_MS;
  while (seen.status === 'pending' && seen.attempts <= attemptsBefore && Date.now() < deadline) {
    await sleep(POLL_MS, page.ctx.signal);
    const body = await api.get(`${page.path}/deliveries`, { event_id: delivery.event_id },
      { signal: page.ctx.signal });
    seen = (body?.data ?? []).find((item) => item.id === delivery.id) ?? seen;
  }
  return seen;
}

export function deliveryLog(page) {
  const status = h('p', { class: 'row-status log-status', role: 'status', 'data-testid': 'log-status' });
  const body = h('div', { class: 'log-body' }, loading('Loading deliveries…'));
  const reload = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'log-refresh',
    text: 'Refresh' });
  const node = h('section', { class: 'card', 'aria-labelledby': 'deliveries-title', 'data-testid': 'deliveries' },
    h('div', { class: 'head-row' },
      h('h2', { id: 'deliveries-title', class: 'section-title', tabindex: '-1', text: 'Deliveries' }), reload),
    h('p', { class: 'hint', text: `The latest ${LOG_LIMIT} deliveries to this endpoint, newest first. Each is `
      + 'retried until the endpoint answers 2xx or the retry schedule runs out.' }),
    status, body);
  const log = { node, status, refresh };
  reload.addEventListener('click', async () => {
    reload.disabled = true;
    try {
      if (await refresh()) status.textContent = 'Deliveries updated.';
    } finally {
      reload.disabled = false;
    }
  });

  async function refresh() {
    status.textContent = '';
    let list;
    try {
      list = (await api.get(`${page.path}/deliveries`, { limit: LOG_LIMIT }, { signal: page.ctx.signal }))?.data;
    } catch (error) {
      if (api.isAbort(error) || page.ctx.signal.aborted) return false;
      fill(body, errorBox(error, 'The deliveries could not be loaded'));
      return false;
    }
    if (page.ctx.signal.aborted) return false;
    fill(body, list?.length ? table(page, log, list) : empty('No deliveries yet. Send a test event to see one.'));
    return true;
  }

  return log;
}

function table(page, log, deliveries) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack table-deliveries', 'data-testid': 'deliveries-table' },
      h('caption', { class: 'visually-hidden', text: 'Deliveries, newest first' }),
      h('thead', {}, h('tr', {}, ['Event', 'Status', 'Attempts', 'Response', 'Time', 'Error', 'Actions']
        .map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, deliveries.map((delivery) => row(page, log, delivery)))));
}

function row(page, log, delivery) {
  const canWrite = page.held.has('write:webhooks');
  const redeliver = canWrite ? h('button', { type: 'button', class: 'button button-small', 'data-testid': 'redeliver',
    'aria-label': `Redeliver ${delivery.event_type} (${delivery.event_id})`, text: 'Redeliver' }) : null;
  const rowStatus = h('p', { class: 'row-status', role: 'status', 'data-testid': 'row-status' });
  redeliver?.addEventListener('click', () => send(page, log, delivery, redeliver, rowStatus));
  const last = delivery.attempt_log?.[0];
  return h('tr', { 'data-testid': 'delivery-row', dataset: { deliveryId: delivery.id, status: delivery.status } },
    h('td', { 'data-label': 'Event' }, h('code', { class: 'event-type', text: delivery.event_type }),
      h('span', { class: 'cell-sub mono', text: delivery.event_id })),
    h('td', { 'data-label': 'Status' }, deliveryBadge(delivery)),
    h('td', { 'data-label': 'Attempts', class: 'cell-number' },
      h('span', { 'data-testid': 'delivery-attempts', text: String(delivery.attempts) }), attempts(delivery)),
    h('td', { 'data-label': 'Response', class: 'cell-number', 'data-testid': 'delivery-code' },
      delivery.last_status_code ?? h('span', { class: 'muted', text: '—' })),
    h('td', { 'data-label': 'Time' }, time(delivery.created_at),
      last ? h('span', { class: 'cell-sub' }, 'Last try ', time(last.attempted_at)) : null),
    h('td', { 'data-label': 'Error', 'data-testid': 'delivery-error' },
      delivery.last_error ? h('span', { class: 'delivery-error', text: delivery.last_error })
        : h('span', { class: 'muted', text: '—' })),
    h('td', { class: 'cell-actions', 'data-label': 'Actions' },
      redeliver ?? h('span', { class: 'muted', text: '—' }), rowStatus));
}

function attempts(delivery) {
  if (!delivery.attempt_log?.length) return null;
  return h('details', { class: 'attempts' },
    h('summary', { text: 'Each attempt', 'aria-label': `Each attempt of ${delivery.event_type}` }),
    h('ol', { class: 'attempt-list' }, delivery.attempt_log.map((attempt) => h('li', {},
      time(attempt.attempted_at), ': ',
      attempt.status_code === null ? 'no response' : `HTTP ${attempt.status_code}`,
      `, ${attempt.duration_ms} ms`, attempt.error ? ` (${attempt.error})` : ''))));
}

async function send(page, log, delivery, button, rowStatus) {
  button.disabled = true;
  rowStatus.textContent = 'Sending again…';
  let done;
  try {
    const queued = await api.post(`/v1/webhook-deliveries/${encodeURIComponent(delivery.id)}/redeliver`);
    done = await waitForDelivery(page, queued, delivery.attempts);
  } catch (error) {
    if (api.isAbort(error) || page.ctx.signal.aborted) return;
    rowStatus.textContent = '';
    button.disabled = false;
    notify(page.notices, 'error', `Could not redeliver: ${error.message}`, 'redeliver-error');
    return;
  }
  if (!(await log.refresh())) {
    button.disabled = false;
    rowStatus.textContent = '';
    return;
  }
  log.status.textContent = `${delivery.event_type} sent again: ${describe(done)}`;
  const again = log.node.querySelector(`[data-delivery-id="${CSS.escape(delivery.id)}"] [data-testid=redeliver]`);
  (again ?? log.node.querySelector('h2')).focus();
}
