/*
 * Usage page: the interview minutes of a calendar month (UTC), what booked sessions reserve, the
 * company's monthly limit and how close the month is to it, and the minutes per day. The month is in
 * the address (?month=YYYY-MM) so a reload or a shared link shows the same one.
 */

import * as api from './api.js';
import { ADMIN_WRITE, count, currentMonth, deniedNotice, heldScopes, monthName, pageHead, plural, utcDay }
  from './admin-common.js';
import { announce, empty, errorBox, fill, h, loading } from './dom.js';
import { field, formErrors } from './forms.js';

// From this share of the limit (used and reserved) on, the page warns that the month is close to it.
const NEAR = 0.8;

export async function render(root, ctx) {
  const held = heldScopes(ctx);
  const head = pageHead('Usage', 'Interview minutes your company uses per calendar month (UTC), and its monthly '
    + 'limit. Test sessions never count.');
  if (!held.has('read:sessions')) {
    fill(root, ...head, deniedNotice('usage-denied', 'Your sign-in cannot see usage: it needs the read:sessions '
      + 'scope. Ask an administrator.'));
    return;
  }
  const month = field({ id: 'usage-month', label: 'Month', type: 'month', required: true,
    value: ctx.query.get('month') || currentMonth(), hint: 'A calendar month, e.g. 2026-03.' });
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'usage-month-form-error' });
  const errors = formErrors({ month }, general);
  const step = (by, label, name, testid) => h('button', { type: 'button', class: 'button button-small', text: label,
    'aria-label': name, 'data-testid': testid, on: { click: () => {
      month.input.value = shift(month.input.value || currentMonth(), by);
      show();
    } } });
  const form = h('form', { class: 'usage-picker', novalidate: true, 'aria-label': 'Choose a month',
    'data-testid': 'usage-picker' }, month.wrap,
  h('div', { class: 'usage-picker-actions' },
    h('button', { type: 'submit', class: 'button button-primary button-small', 'data-testid': 'usage-show',
      text: 'Show' }),
    step(-1, '‹ Previous', 'Previous month', 'usage-previous'), step(1, 'Next ›', 'Next month', 'usage-next')),
  general);
  const results = h('div', { class: 'results', 'data-testid': 'usage-results' }, loading('Loading usage…'));
  fill(root, ...head, h('section', { class: 'card', 'aria-label': 'Month' }, form), results);

  let loads = null;
  ctx.signal.addEventListener('abort', () => loads?.abort());

  async function show({ announceIt = true } = {}) {
    errors.clear();
    const value = month.input.value.trim();
    if (errors.check({ month: value ? '' : 'Choose a month.' })) return;
    loads?.abort();
    loads = new AbortController();
    const { signal } = loads;
    fill(results, loading('Loading usage…'));
    let usage;
    try {
      usage = await api.get('/v1/usage', { month: value }, { signal });
    } catch (error) {
      if (api.isAbort(error) || signal.aborted) return;
      if (error.status === 422) {
        errors.fromApi(error);
        fill(results);
      } else {
        fill(results, errorBox(error, 'Usage could not be loaded'));
      }
      return;
    }
    if (signal.aborted) return;
    month.input.value = usage.month;
    const url = new URL(window.location.href);
    url.searchParams.set('month', usage.month);
    if (url.href !== window.location.href) window.history.replaceState(window.history.state, '', url);
    fill(results, summary(usage, held), daysTable(usage));
    if (announceIt) announce(`Usage of ${monthName(usage.month)} shown.`);
  }

  // A month picked in the browser's own picker shows at once; typed, it shows when complete.
  month.input.addEventListener('change', () => show());
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    show();
  });
  await show({ announceIt: false });
}

/** `2026-01` shifted by -1 -> `2025-12`. */
function shift(value, by) {
  const [year, number] = value.split('-').map(Number);
  if (!year || !number) return currentMonth();
  const date = new Date(Date.UTC(year, number - 1 + by, 1));
  return date.toISOString().slice(0, 7);
}

function stat(label, value, sub, testid) {
  return h('div', { class: 'usage-stat', 'data-testid': testid },
    h('dt', { text: label }), h('dd', {}, h('span', { class: 'usage-stat-value', text: value }),
      sub ? h('span', { class: 'cell-sub', text: sub }) : null));
}

function summary(usage, held) {
  const limited = usage.limit !== null && usage.limit !== undefined;
  const stats = h('dl', { class: 'usage-stats' },
    stat('Used', `${count(usage.minutes_used)} min`, `${plural(usage.sessions_counted, 'session')} held`,
      'usage-used'),
    stat('Reserved', `${count(usage.minutes_reserved)} min`,
      `${plural(usage.sessions_reserved, 'booked session')} not yet finished`, 'usage-reserved'),
    stat('Monthly limit', limited ? `${count(usage.limit)} min` : 'No limit', null, 'usage-limit'),
    stat('Remaining', limited ? `${count(usage.remaining)} min` : '—', limited ? 'for new sessions' : null,
      'usage-remaining'));
  return h('section', { class: 'card', 'aria-labelledby': 'usage-title', 'data-testid': 'usage-summary' },
    h('h2', { id: 'usage-title', class: 'section-title', tabindex: '-1', text: monthName(usage.month) }),
    stats, limited ? meter(usage) : noLimit(), resets(usage),
    held.has(ADMIN_WRITE) ? h('p', { class: 'usage-change' }, h('a', { href: '/review/company',
      'data-testid': 'usage-change-limit', text: limited ? 'Change the limit' : 'Set a limit' })) : null);
}

/** How close the month is to the limit: a bar for the eye, the same in words for everyone. */
function meter(usage) {
  const share = (minutes) => Math.min(1, Math.max(0, minutes / usage.limit));
  const taken = usage.minutes_used + usage.minutes_reserved;
  const level = usage.remaining <= 0 ? 'over' : taken >= usage.limit * NEAR ? 'near' : 'ok';
  const percent = Math.round((taken / usage.limit) * 100);
  const used = share(usage.minutes_used);
  const reserved = Math.min(share(usage.minutes_reserved), 1 - used);
  const words = {
    ok: `${percent}% of the limit is used or reserved.`,
    near: `${percent}% of the limit is used or reserved: close to the limit. New sessions are refused once `
      + 'their planned length no longer fits.',
    over: 'The limit is reached: new sessions are refused until the count resets or the limit is raised. '
      + 'Test sessions can still be run.',
  }[level];
  return h('div', { class: 'usage-meter', dataset: { level }, 'data-testid': 'usage-meter' },
    h('div', { class: 'usage-bar', 'aria-hidden': 'true' },
      h('span', { class: 'usage-bar-used', style: { '--share': String(used) } }),
      h('span', { class: 'usage-bar-reserved', style: { '--share': String(reserved) } })),
    h('p', { class: 'usage-legend', 'aria-hidden': 'true' },
      h('span', { class: 'usage-key usage-key-used', text: 'Used' }),
      h('span', { class: 'usage-key usage-key-reserved', text: 'Reserved' })),
    h('p', { class: 'usage-words', 'data-testid': 'usage-words', text: words }));
}

function noLimit() {
  return h('p', { class: 'usage-words', 'data-testid': 'usage-words',
    text: 'There is no monthly limit: sessions are never refused for the minutes they use.' });
}

function resets(usage) {
  if (new Date(usage.period_end) <= new Date()) return null;
  return h('p', { class: 'muted usage-resets' }, 'The count starts again on ', utcDay(usage.period_end), ' (UTC).');
}

function daysTable(usage) {
  const title = h('h2', { id: 'usage-days-title', class: 'section-title', text: 'Minutes per day' });
  const body = usage.days.length
    ? h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-usage-days', 'data-testid': 'usage-days' },
        h('caption', { class: 'visually-hidden', text: `Interview minutes per day, ${monthName(usage.month)}` }),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Day (UTC)' }),
          h('th', { scope: 'col', class: 'cell-number', text: 'Minutes' }),
          h('th', { scope: 'col', class: 'cell-number', text: 'Sessions' }))),
        h('tbody', {}, usage.days.map((day) => h('tr', { 'data-testid': 'usage-day', dataset: { date: day.date } },
          h('th', { scope: 'row' }, utcDay(day.date)),
          h('td', { class: 'cell-number', text: count(day.minutes) }),
          h('td', { class: 'cell-number', text: count(day.sessions) }))))))
    : empty(`No interviews were held in ${monthName(usage.month)}.`);
  return h('section', { class: 'card', 'aria-labelledby': 'usage-days-title', 'data-testid': 'usage-days-card' },
    title, body);
}
