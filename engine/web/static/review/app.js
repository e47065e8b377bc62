/*
 * Recruiter review UI: sign-in gate, a small router over location.pathname and
 * the page chrome. Each page module exports `render(root, ctx)`; a page that is
 * left has its AbortSignal fired so its late answers never land on the next one.
 */

import * as api from './api.js';
import { announce, clear, errorBox, h, sentence } from './dom.js';
import * as participantPage from './participant.js';
import * as sessionPage from './session.js';
import * as sessionsPage from './sessions.js';

const ROUTES = [
  { pattern: /^\/review\/?$/, page: sessionsPage, nav: 'sessions' },
  { pattern: /^\/review\/sessions\/([^/]+)\/?$/, page: sessionPage, nav: 'sessions' },
  { pattern: /^\/review\/participants\/([^/]+)\/?$/, page: participantPage, nav: null },
];

const $ = (id) => document.getElementById(id);

let identity = null;
let current = null; // { controller } of the page on screen
let signinMode = 'password';

// ---- Router -------------------------------------------------------------------

function match(pathname) {
  for (const route of ROUTES) {
    const found = route.pattern.exec(pathname);
    if (found) return { route, params: found.slice(1).map(decodeURIComponent) };
  }
  return null;
}

function navigate(url, { replace = false } = {}) {
  const target = new URL(url, window.location.href);
  if (replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  render({ focus: !replace });
  if (!replace) window.scrollTo(0, 0);
}

async function render({ focus = false } = {}) {
  if (!identity) return;
  current?.controller.abort();
  const controller = new AbortController();
  current = { controller };
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

// Same-origin links into the review UI become history entries instead of page loads;
// modified clicks (new tab, download) and other targets keep the browser's behaviour.
function onLinkClick(event) {
  if (event.defaultPrevented || event.button !== 0) return;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const link = event.target.closest('a[href]');
  if (!link || link.target || link.hasAttribute('download')) return;
  const url = new URL(link.href, window.location.href);
  if (url.origin !== window.location.origin || !/^\/review(\/|$)/.test(url.pathname)) return;
  event.preventDefault();
  if (!identity) return;
  if (url.pathname === window.location.pathname && url.search === window.location.search) {
    if (url.hash) return;
    render({ focus: true });
    return;
  }
  navigate(url.href);
}

// ---- Signed in / out -------------------------------------------------------------

function showApp(auth) {
  identity = auth;
  $('boot').hidden = true;
  $('signin').hidden = true;
  $('nav').hidden = false;
  $('account').hidden = false;
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
  window.addEventListener('popstate', () => render());
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
