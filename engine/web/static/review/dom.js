/*
 * Element builders and formatters for the review pages.
 *
 * Server data only ever reaches the page as text nodes or attribute values:
 * nothing here (or anywhere in the review UI) assigns innerHTML, so a name or
 * transcript line containing markup stays inert text.
 */

/**
 * Builds an element. `attrs` keys: `class`, `text`, `dataset`, `on` (event
 * listeners), `style` (CSS custom properties, set through the CSSOM, which the
 * CSP allows), DOM properties (`hidden`, `disabled`, `value`, ...) and plain
 * attributes (anything with a dash, `aria-*`, `role`, `href`, ...).
 * Children may be nodes, strings, numbers, arrays, or null/false (skipped).
 */
export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'text') node.textContent = String(value);
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'on') for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === 'style') for (const [prop, v] of Object.entries(value)) node.style.setProperty(prop, v);
    else if (key in node && !key.includes('-') && key !== 'role' && key !== 'list') node[key] = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** Replaces a node's content, e.g. a section that re-renders after a refresh. */
export function fill(node, ...children) {
  clear(node);
  return append(node, children);
}

// ---- Formatting -------------------------------------------------------------

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const DATE_ONLY = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

function parseDate(iso) {
  if (!iso) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** A `<time>` element, or an em dash when there is no date. */
export function time(iso, { dateOnly = false } = {}) {
  const date = parseDate(iso);
  if (!date) return h('span', { class: 'muted', text: '—' });
  return h('time', { datetime: date.toISOString(), title: DATE_TIME.format(date) },
    (dateOnly ? DATE_ONLY : DATE_TIME).format(date));
}

export function formatDateTime(iso) {
  const date = parseDate(iso);
  return date ? DATE_TIME.format(date) : '—';
}

/** Seconds as mm:ss (h:mm:ss from an hour). */
export function clock(seconds) {
  const total = Math.max(0, Math.floor(Number(seconds) || 0));
  const hours = Math.floor(total / 3600);
  const mm = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const ss = String(total % 60).padStart(2, '0');
  return hours ? `${hours}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** `pause_then_fluent` -> `Pause then fluent`. */
export function humanize(value) {
  const text = String(value ?? '').replace(/[_-]+/g, ' ').trim();
  return text ? text[0].toUpperCase() + text.slice(1) : '';
}

/** "0-10" -> 10; anything unreadable -> 10, the scorer's usual scale. */
export function scaleMax(scale) {
  const match = /(-?\d+(?:\.\d+)?)\s*$/.exec(String(scale ?? ''));
  const max = match ? Number(match[1]) : NaN;
  return max > 0 ? max : 10;
}

export function formatNumber(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return '—';
  return Number(value).toFixed(digits).replace(/\.0+$/, '');
}

// ---- Badges -----------------------------------------------------------------

const STATUS_LABELS = {
  scheduled: 'Not started',
  in_progress: 'In progress',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

export const FINAL_STATUSES = new Set(['completed', 'cancelled', 'failed']);

export function statusBadge(status) {
  return h('span', { class: 'badge', dataset: { status: status ?? 'unknown' },
    text: STATUS_LABELS[status] ?? humanize(status) });
}

// Built-in vocabularies (config/enums.py); a template's custom labels get a neutral badge.
const POSITIVE = new Set(['hire', 'admit', 'pass', 'ready', 'certified', 'positive']);
const NEGATIVE = new Set(['no_hire', 'reject', 'fail', 'needs_training', 'not_certified', 'negative']);

// Any vocabulary may say "needs_review": the scorer would not decide (too little assessed, interview cut
// short, a close call near the pass mark), so a human must. It is never a verdict either way.
export const NEEDS_REVIEW = 'needs_review';

function recommendationKey(label) {
  return String(label ?? '').toLowerCase().replace(/[\s-]+/g, '_');
}

export function recommendationTone(label) {
  const key = recommendationKey(label);
  if (key === NEEDS_REVIEW) return 'attention';
  if (POSITIVE.has(key)) return 'positive';
  if (NEGATIVE.has(key)) return 'negative';
  return 'neutral';
}

export function recommendationBadge(label, attrs = {}) {
  if (!label) return h('span', { class: 'muted', text: '—', ...attrs });
  const key = recommendationKey(label);
  return h('span', { class: 'badge', dataset: { tone: recommendationTone(label), recommendation: key },
    text: key === NEEDS_REVIEW ? 'Needs human review' : humanize(label), ...attrs });
}

/** An analysis's overall rating as text: the number, "Not rated" when nothing could be assessed, or a dash. */
export function ratingText(analysis) {
  const rating = analysis?.general?.overallRating;
  if (rating === null && analysis) return 'Not rated';
  return formatNumber(rating, 0);
}

/** A dimension without enough evidence has no score (older analyses have no status: assessed). */
export function isAssessed(dimension) {
  return dimension?.status !== 'insufficient_evidence' && dimension?.score !== null;
}

// Stage outcomes and pipeline statuses (engine/services/pipeline.py).
const OUTCOME_TONES = {
  passed: 'positive', advanced: 'positive', approved: 'positive',
  failed: 'negative', rejected: 'negative', cancelled: 'negative',
  awaiting_approval: 'attention', retry_scheduled: 'attention',
  scheduled: 'info', in_progress: 'info', analysing: 'info', not_started: 'neutral',
};

export function outcomeBadge(outcome, attrs = {}) {
  if (!outcome) return h('span', { class: 'muted', text: '—', ...attrs });
  return h('span', { class: 'badge', dataset: { tone: OUTCOME_TONES[outcome] ?? 'neutral', outcome },
    text: humanize(outcome), ...attrs });
}

// ---- Page states --------------------------------------------------------------

export function loading(text = 'Loading…') {
  return h('p', { class: 'state state-loading', role: 'status', text });
}

export function empty(text) {
  return h('p', { class: 'state state-empty', text });
}

/** The API's messages start in lower case ("wrong email or password"); on screen they are sentences. */
export function sentence(text) {
  const value = String(text ?? '').trim();
  return value ? value[0].toUpperCase() + value.slice(1) : value;
}

export function errorBox(error, title = 'Something went wrong') {
  return h('div', { class: 'notice', dataset: { kind: 'error' }, role: 'alert' },
    h('p', { class: 'notice-title', text: title }),
    h('p', { class: 'notice-text', text: sentence(error?.message || String(error)) }));
}

/** Copies text; false where the browser will not (an insecure origin, a refused permission). */
export async function writeClipboard(text) {
  if (!navigator.clipboard?.writeText || !window.isSecureContext) return false;
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A row's or a page's action button (`attrs` as for h()): disabled while its async `run` goes, so a double
 * click does not do it twice; then enabled again, with focus back on it when what it did left focus
 * nowhere (it was disabled meanwhile, and a disabled button loses focus).
 */
export function actionButton(attrs, run) {
  const node = h('button', { type: 'button', ...attrs });
  node.addEventListener('click', async () => {
    node.disabled = true;
    try {
      await run();
    } finally {
      if (node.isConnected) {
        node.disabled = false;
        if (!document.activeElement || document.activeElement === document.body) node.focus();
      }
    }
  });
  return node;
}

/** Says something to screen readers through the page's polite live region. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeat of the same words ("Link copied") be read again.
  region.textContent = '';
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** Key/value list; rows with an empty value are left out. */
export function facts(rows, className = 'facts') {
  const list = h('dl', { class: className });
  for (const [label, value] of rows) {
    if (value === null || value === undefined || value === '') continue;
    list.append(h('div', { class: 'fact' }, h('dt', { text: label }), h('dd', {}, value)));
  }
  return list;
}

/**
 * A modal confirmation (native <dialog>: focus is trapped and Escape cancels).
 * Resolves true only when the confirm button was pressed.
 */
export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'submit', value: 'ok', class: ['button', danger ? 'button-danger' : 'button-primary'],
      'data-testid': 'confirm-ok', text: confirmLabel });
    const cancel = h('button', { type: 'submit', value: 'cancel', class: 'button', 'data-testid': 'confirm-cancel',
      text: 'Cancel' });
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title', 'data-testid': 'confirm-dialog' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dialog-title', class: 'dialog-title', text: title }),
        h('p', { text: message }),
        h('div', { class: 'dialog-actions' }, cancel, ok)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}
