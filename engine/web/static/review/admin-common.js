/*
 * Pieces shared by the company pages (usage.js, company.js, audit.js): the page head, the notice a
 * sign-in without the needed scope gets instead of an error, and dates of the API's UTC calendar.
 */

import { h } from './dom.js';

// There is no separate admin scope: the API's administrator operations (changing the company's settings,
// reading the audit trail) ask for the API keys scopes, which administrators hold and reviewers do not.
export const ADMIN_READ = 'read:api_keys';
export const ADMIN_WRITE = 'write:api_keys';

export function heldScopes(ctx) {
  return new Set(ctx.identity?.scopes ?? []);
}

/** The h1 (focused by the router after a navigation) and the page's one-line introduction. */
export function pageHead(title, intro) {
  document.title = `${title} · Interview review`;
  return [
    h('div', { class: 'page-head' }, h('h1', { class: 'title', tabindex: '-1', text: title })),
    h('p', { class: 'muted page-intro', text: intro }),
  ];
}

/** What a sign-in without the scope a page needs sees in place of it: why, and whom to ask. */
export function deniedNotice(testid, text) {
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': testid },
    h('p', { class: 'notice-text', text }));
}

// The API counts in calendar months and days of UTC; shown in the recruiter's own time zone, March 1st
// would read as February 28th west of Greenwich.
const UTC_DAY = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const UTC_MONTH = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' });

/** `2026-03-02` or an ISO instant as a `<time>` showing its UTC day. */
export function utcDay(iso) {
  const date = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  return h('time', { datetime: iso, text: UTC_DAY.format(date) });
}

/** `2026-03` -> "March 2026". */
export function monthName(month) {
  return UTC_MONTH.format(new Date(`${month}-01T00:00:00Z`));
}

/** The current calendar month of UTC as YYYY-MM. */
export function currentMonth() {
  return new Date().toISOString().slice(0, 7);
}

/** 1234 -> "1,234" in the reader's locale. */
export function count(value) {
  return Number(value ?? 0).toLocaleString();
}

export function plural(n, one, many = `${one}s`) {
  return `${count(n)} ${n === 1 ? one : many}`;
}
