/*
 * Recruiter review UI: sign-in gate, a small router over location.pathname and
 * the page chrome. Each page module exports `render(root, ctx)`; a page that is
 * left has its AbortSignal fired so its late answers never land on the next one.
 *
 * A page with unsaved edits registers `ctx.guardLeave({ dirty, message })`: then
 * every way out asks first (an in-app link, Sign out, the browser's Back and
 * Forward buttons in a dialog; reload and closing the tab by the browser's own
 * prompt), in this one place rather than in each editor.
 */

import * as api from './api.js';
import * as apiKeysPage from './apikeys.js';
import * as auditPage from './audit.js';
import * as companyPage from './company.js';
import * as emailTemplatesPage from './email-templates.js';
import { announce, clear, confirmDialog, errorBox, h, sentence } from './dom.js';
import * as participantPage from './participant.js';
import * as profilePage from './profile.js';
import * as profilesPage from './profiles.js';
import * as sessionPage from './session.js';
import * as sessionsPage from './sessions.js';
import * as teamPage from './team.js';
import * as templatePage from './template.js';
import * as templatesPage from './templates.js';
import * as usagePage from './usage.js';
import * as webhookPage from './webhook.js';
import * as webhooksPage from './webhooks.js';

const ROUTES = [
  { pattern: /^\/review\/?$/, page: sessionsPage, nav: 'sessions' },
  { pattern: /^\/review\/sessions\/([^/]+)\/?$/, page: sessionPage, nav: 'sessions' },
  { pattern: /^\/review\/participants\/([^/]+)\/?$/, page: participantPage, nav: null },
  { pattern: /^\/review\/templates\/?$/, page: templatesPage, nav: 'templates' },
  { pattern: /^\/review\/templates\/([^/]+)\/?$/, page: templatePage, nav: 'templates' },
  { pattern: /^\/review\/profiles\/?$/, page: profilesPage, nav: 'profiles' },
  { pattern: /^\/review\/profiles\/([^/]+)\/?$/, page: profilePage, nav: 'profiles' },
  { pattern: /^\/review\/email-templates\/?$/, page: emailTemplatesPage, nav: 'email-templates' },
  { pattern: /^\/review\/api-keys\/?$/, page: apiKeysPage, nav: 'api-keys' },
  { pattern: /^\/review\/webhooks\/?$/, page: webhooksPage, nav: 'webhooks' },
  { pattern: /^\/review\/webhooks\/([^/]+)\/?$/, page: webhookPage, nav: 'webhooks' },
  { pattern: /^\/review\/team\/?$/, page: teamPage, nav: 'team' },
  { pattern: /^\/review\/usage\/?$/, page: usagePage, nav: 'usage' },
  { pattern: /^\/review\/company\/?$/, page: companyPage, nav: 'company' },
  { pattern: /^\/review\/audit\/?$/, page: auditPage, nav: 'audit' },
];

const $ = (id) => document.getElementById(id);

let identity = null;
let current = null; // { controller, index } of the page on screen; index: its history entry's
let signinMode = 'password';
let guards = []; // of the page on screen: [{ dirty: () => bool, message }]

// ---- Router -------------------------------------------------------------------

function match(pathname) {
  for (const route of ROUTES) {
    const found = route.pattern.exec(pathname);
    if (found) return { route, params: found.slice(1).map(decodeURIComponent) };
  }
  return null;
}

// Each history entry of the app holds its position, so that a Back or Forward the recruiter takes back
// (unsaved edits) can be undone by going the same distance the other way. Pages that rewrite their
// address in place (a filter, a tab) keep history.state, and with it the index.
const entryIndex = () => window.history.state?.index ?? 0;

function navigate(url, { replace = false } = {}) {
  const target = new URL(url, window.location.href);
  if (replace) window.history.replaceState({ index: entryIndex() }, '', target);
  else window.history.pushState({ index: entryIndex() + 1 }, '', target);
  render({ focus: !replace });
  if (!replace) window.scrollTo(0, 0);
}

async function render({ focus = false } = {}) {
  if (!identity) return;
  current?.controller.abort();
  const controller = new AbortController();
  current = { controller, index: entryIndex() };
  const root = $('view');
  clear(root);
  root.hidden = false;
  const found = match(window.location.pathname);
  markNav(found?.route.nav ?? null);
  if (!found) {
    document.title = 'Not found · Interview review';
    root.append(h('h1', { class: 'title', tabindex: '-1', text: 'Page not found' }),
      h('p', {}, 'There is nothing at this address. ', h('a', { href: '/review', text: 'Go to the sessions' })));
  } else {
    const ctx = {
      params: found.params,
      query: new URLSearchParams(window.location.search),
      signal: controller.signal,
      navigate,
      identity,
      guardLeave: (guard) => guardLeave(guard, controller.signal),
    };
    try {
      await found.route.page.render(root, ctx);
    } catch (error) {
      if (api.isAbort(error) || controller.signal.aborted) return;
      clear(root).append(errorBox(error, error.status === 404 ? 'Not found' : 'This page could not be loaded'));
    }
  }
  if (focus && !controller.signal.aborted) root.querySelector('h1')?.focus({ preventScroll: true });
}

function markNav(active) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

// ---- Unsaved changes ---------------------------------------------------------------

/** A page's claim on staying while `dirty()`; it ends with the page (its signal aborts). */
function guardLeave({ dirty, message }, signal) {
  if (signal.aborted) return;
  const guard = { dirty, message };
  guards.push(guard);
  signal.addEventListener('abort', () => { guards = guards.filter((g) => g !== guard); }, { once: true });
}

const unsaved = () => guards.find((guard) => guard.dirty()) ?? null;

let asking = null; // the open question: a second way out while it is open gets the same answer

/**
 * Whether the page on screen may go: true at once when nothing is unsaved (so the usual way out stays
 * synchronous), else a promise of the recruiter's answer.
 */
function mayLeave() {
  const guard = unsaved();
  if (!guard) return true;
  asking ??= confirmDialog({ title: 'Leave without saving?', message: guard.message,
    confirmLabel: 'Leave without saving', danger: true }).finally(() => { asking = null; });
  return asking;
}

// Reload, closing the tab, and links out of the app: only the browser may ask then, in its own words.
function onBeforeUnload(event) {
  if (!identity || !unsaved()) return;
  event.preventDefault();
  event.returnValue = ''; // Chromium before 119 asks only when this is set
}

// Back and Forward have moved the address already: ask, and when the recruiter stays, go the same
// distance the other way (that popstate is ours, and ignored) so the address matches the page again.
let undoing = false;
let popped = 0;
async function onPopState() {
  if (undoing) {
    undoing = false;
    return;
  }
  const asked = ++popped;
  let leave = mayLeave();
  if (leave !== true) leave = await leave;
  if (asked !== popped) return; // a later Back or Forward decides
  if (leave || !current) {
    render();
    return;
  }
  const distance = current.index - entryIndex();
  if (distance) {
    undoing = true;
    window.history.go(distance);
  }
}

// Same-origin links into the review UI become history entries instead of page loads;
// modified clicks (new tab, download) and other targets keep the browser's behaviour.
async function onLinkClick(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || !/^\/review(\/|$)/.test(url.pathname)) return;
  event.preventDefault();
  if (!identity) return;
  const here = url.pathname === window.location.pathname && url.search === window.location.search;
  if (here && url.hash) return;
  const leave = mayLeave();
  if (leave !== true && !(await leave)) {
    link.focus();
    return;
  }
  if (here) render({ focus: true });
  else navigate(url.href);
}

// ---- Signed in / out -------------------------------------------------------------

function showApp(auth) {
  identity = auth;
  $('boot').hidden = true;
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('account').hidden = false;
  // Links to pages the sign-in may not read stay hidden (the server refuses them anyway).
  const scopes = new Set(auth.scopes ?? []);
  for (const link of document.querySelectorAll('[data-nav][data-scope]')) link.hidden = !scopes.has(link.dataset.scope);
  const who = auth.recruiter?.name || auth.recruiter?.email || 'API key';
  $('account-name').textContent = auth.company?.name ? `${who} · ${auth.company.name}` : who;
}

function showSignin(notice = '') {
  identity = null;
  current?.controller.abort();
  current = null;
  $('boot').hidden = true;
  $('nav').hidden = true;
  $('account').hidden = true;
  clear($('view')).hidden = true;
  $('signin').hidden = false;
  $('signin-notice').textContent = notice;
  $('signin-notice').hidden = !notice;
  $('signin-error').textContent = '';
  document.title = 'Sign in · Interview review';
  setSigninMode(signinMode);
  const first = signinMode === 'password' ? $('signin-email') : $('signin-api-key');
  (first.value ? $('signin-title') : first).focus();
}

function setSigninMode(mode) {
  signinMode = mode;
  const byKey = mode === 'api_key';
  $('signin-form').dataset.mode = mode;
  $('field-email').hidden = byKey;
  $('field-password').hidden = byKey;
  $('field-api-key').hidden = !byKey;
  $('signin-mode').textContent = byKey ? 'Sign in with email and password' : 'Sign in with an API key';
  $('signin-error').textContent = '';
}

function credentials() {
  if (signinMode === 'api_key') {
    const key = $('signin-api-key').value.trim();
    return key ? { api_key: key } : null;
  }
  const email = $('signin-email').value.trim();
  const password = $('signin-password').value;
  return email && password ? { email, password } : null;
}

async function onSignin(event) {
  event.preventDefault();
  const error = $('signin-error');
  const body = credentials();
  if (!body) {
    error.textContent = signinMode === 'api_key' ? 'Enter your API key.' : 'Enter your email and password.';
    return;
  }
  const submit = $('signin-submit');
  submit.disabled = true;
  submit.textContent = 'Signing in…';
  error.textContent = '';
  try {
    const auth = await api.login(body);
    $('signin-password').value = '';
    $('signin-api-key').value = '';
    showApp(auth);
    // The address bar still holds the deep link the visitor came for.
    await render({ focus: true });
  } catch (failure) {
    error.textContent = sentence(failure.message) || 'Sign-in failed.';
    (signinMode === 'api_key' ? $('signin-api-key') : $('signin-password')).focus();
  } finally {
    submit.disabled = false;
    submit.textContent = 'Sign in';
  }
}

async function onSignout() {
  const button = $('signout');
  const leave = mayLeave();
  if (leave !== true && !(await leave)) {
    button.focus();
    return;
  }
  button.disabled = true;
  try {
    await api.logout();
  } catch {
    // Signed out server-side or not, this tab forgets the session.
  } finally {
    button.disabled = false;
  }
  showSignin('You have signed out.');
  announce('You have signed out.');
}

async function boot() {
  $('signin-form').addEventListener('submit', onSignin);
  $('signin-mode').addEventListener('click', () => {
    setSigninMode(signinMode === 'password' ? 'api_key' : 'password');
    (signinMode === 'api_key' ? $('signin-api-key') : $('signin-email')).focus();
  });
  $('signout').addEventListener('click', onSignout);
  document.addEventListener('click', onLinkClick);
  window.addEventListener('popstate', onPopState);
  window.addEventListener('beforeunload', onBeforeUnload);
  // The entry the app opened on gets its index too (a reload keeps the one it had).
  window.history.replaceState({ ...window.history.state, index: entryIndex() }, '', window.location.href);
  api.setUnauthorizedHandler(() => {
    if (identity) showSignin('Your session has ended. Sign in again to continue.');
  });
  try {
    const auth = await api.me();
    if (auth) {
      showApp(auth);
      await render();
    } else {
      showSignin();
    }
  } catch (error) {
    $('boot').hidden = true;
    $('main').append(errorBox(error, 'The review app could not start'));
  }
}

boot();
