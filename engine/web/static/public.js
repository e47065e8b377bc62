/*
 * Public interview link page: show the interview, collect name + email,
 * create a session and go to its join page (or, when the template wants the
 * email confirmed, say that a link was sent: a 202).
 *
 * Plain ES2020, no dependencies. Server strings are only written with textContent.
 */
(function () {
  'use strict';

  const FIELDS = ['name', 'email'];
  const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

  const debug = { state: {}, phase: 'loading', lastError: null };
  window.interviewDebug = debug;

  const token = tokenFromPath(window.location.pathname);
  const base = '/public/' + encodeURIComponent(token);
  let submitting = false;

  function $(id) {
    return document.getElementById(id);
  }

  function tokenFromPath(pathname) {
    const parts = pathname.split('/').filter(Boolean);
    return parts.length ? decodeURIComponent(parts[parts.length - 1]) : '';
  }

  // ---------------------------------------------------------------------------
  // HTTP.

  async function requestJson(url, options) {
    let response;
    try {
      response = await fetch(url, Object.assign({ credentials: 'same-origin', cache: 'no-store' }, options));
    } catch (err) {
      return { ok: false, status: 0, body: null, error: null };
    }
    let body = null;
    try {
      body = await response.json();
    } catch (err) {
      body = null;
    }
    const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
    return { ok: response.ok, status: response.status, body: body, error: error };
  }

  function errorMessage(result, fallback) {
    if (result.error && typeof result.error.message === 'string' && result.error.message) return result.error.message;
    return fallback;
  }

  // ---------------------------------------------------------------------------
  // Screens.

  function showBlocked(title, text, retry) {
    $('screen-loading').hidden = true;
    $('screen-form').hidden = true;
    $('message-title').textContent = title;
    $('message').textContent = text || '';
    $('retry-load').hidden = !retry;
    $('notice').hidden = false;
    debug.phase = 'blocked';
    $('main').focus();
  }

  function showInactive(result) {
    showBlocked('This link is no longer active', errorMessage(result || {}, 'Please contact the person who shared it with you.'));
  }

  async function loadState() {
    if (!token) {
      showBlocked('This link is not valid', 'Please check that you copied the whole link.');
      return;
    }
    const result = await requestJson(base + '/state', { method: 'GET', headers: { Accept: 'application/json' } });
    if (result.status === 404) {
      showBlocked('This link is not valid', 'Please check that you copied the whole link, or contact the person who shared it.');
      return;
    }
    if (result.status === 410) {
      showInactive(result);
      return;
    }
    if (!result.ok || !result.body || typeof result.body !== 'object') {
      showBlocked('Something went wrong', result.status === 0
        ? 'We could not reach the server. Check your internet connection and try again.'
        : errorMessage(result, 'The page could not be loaded. Please try again in a moment.'), true);
      return;
    }
    const info = result.body;
    debug.state = info;
    if (info.interview_title) document.title = info.interview_title + ' — Interview';
    if (!info.enabled) {
      showBlocked('This link is no longer active', info.message || 'Please contact the person who shared it with you.');
      return;
    }
    renderForm(info);
  }

  function renderForm(info) {
    $('interview-title').textContent = info.interview_title || 'Interview';
    $('interviewer-name').textContent = info.interviewer_name || 'AI interviewer';
    if (typeof info.duration_minutes === 'number' && info.duration_minutes > 0) {
      $('duration').textContent = 'About ' + info.duration_minutes + ' minute' + (info.duration_minutes === 1 ? '' : 's');
      $('fact-duration').hidden = false;
    }
    $('screen-loading').hidden = true;
    $('screen-form').hidden = false;
    debug.phase = 'form';
    $('interview-title').focus();
  }

  // ---------------------------------------------------------------------------
  // Form.

  function setFieldError(field, text) {
    const input = $(field);
    $(field + '-error').textContent = text || '';
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  }

  function clearErrors() {
    FIELDS.forEach(function (field) {
      setFieldError(field, '');
    });
    $('form-error').textContent = '';
  }

  function focusFirstInvalid() {
    for (const field of FIELDS) {
      if ($(field).getAttribute('aria-invalid') === 'true') {
        $(field).focus();
        return;
      }
    }
  }

  function validate(values) {
    let ok = true;
    if (!values.name) {
      setFieldError('name', 'Please enter your name.');
      ok = false;
    }
    if (!values.email) {
      setFieldError('email', 'Please enter your email address.');
      ok = false;
    } else if (!EMAIL_PATTERN.test(values.email)) {
      setFieldError('email', 'Please enter a valid email address, like name@example.com.');
      ok = false;
    }
    return ok;
  }

  /** Map "email", "body.email", "body/email" or ["body","email"] to a form field. */
  function fieldFromPath(path) {
    const parts = Array.isArray(path) ? path.map(String) : String(path || '').split(/[./]/);
    const last = parts.filter(Boolean).pop();
    return FIELDS.indexOf(last) >= 0 ? last : null;
  }

  function showServerFieldErrors(result) {
    const details = result.error && result.error.details;
    const fields = details && Array.isArray(details.fields) ? details.fields : [];
    const general = [];
    fields.forEach(function (item) {
      if (!item || typeof item !== 'object') return;
      const field = fieldFromPath(item.path);
      const text = typeof item.message === 'string' && item.message ? item.message : 'This value is not valid.';
      if (field) setFieldError(field, text);
      else general.push(text);
    });
    if (general.length || !fields.length) {
      $('form-error').textContent = general.length ? general.join(' ') : errorMessage(result, 'Please check your details.');
    }
    focusFirstInvalid();
  }

  function safeJoinUrl(value) {
    if (typeof value !== 'string' || !value) return null;
    let url;
    try {
      url = new URL(value, window.location.href);
    } catch (err) {
      return null;
    }
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  }

  function setSubmitting(on) {
    submitting = on;
    const button = $('submit');
    button.disabled = on;
    button.textContent = on ? 'Starting…' : 'Continue';
    $('signup').setAttribute('aria-busy', on ? 'true' : 'false');
  }

  async function onSubmit(event) {
    event.preventDefault();
    if (submitting) return;
    clearErrors();
    const values = { name: $('name').value.trim(), email: $('email').value.trim() };
    if (!validate(values)) {
      focusFirstInvalid();
      return;
    }
    setSubmitting(true);
    const result = await requestJson(base + '/sessions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(values),
    });
    debug.lastError = result.ok ? null : { status: result.status, error: result.error };
    if (result.status === 202) {
      setSubmitting(false);
      showCheckInbox(result.body || {}, values.email);
      return;
    }
    if (result.status === 201 || result.ok) {
      const target = safeJoinUrl(result.body && result.body.join_url);
      if (target) {
        debug.phase = 'redirecting';
        window.location.assign(target);
        return;
      }
      setSubmitting(false);
      $('form-error').textContent = 'Something went wrong. Please try again.';
      return;
    }
    setSubmitting(false);
    if (result.status === 422 || result.status === 400) {
      showServerFieldErrors(result);
    } else if (result.status === 404 || result.status === 410) {
      showInactive(result);
    } else if (result.status === 429) {
      $('form-error').textContent = errorMessage(result, 'Too many attempts.') + ' Please wait a moment and try again.';
    } else if (result.status === 0) {
      $('form-error').textContent = 'We could not reach the server. Check your internet connection and try again.';
    } else {
      $('form-error').textContent = errorMessage(result, 'Something went wrong. Please try again.');
    }
  }

  /** The template wants the email confirmed: nothing is booked until the link in the email is opened. */
  function showCheckInbox(body, typed) {
    $('check-inbox-email').textContent = typeof body.email === 'string' && body.email ? body.email : typed;
    const expires = typeof body.expires_at === 'string' ? new Date(body.expires_at) : null;
    $('check-inbox-expiry').textContent = expires && !isNaN(expires.getTime())
      ? 'The link works until ' + expires.toLocaleString() + '.'
      : '';
    $('screen-form').hidden = true;
    $('screen-check-inbox').hidden = false;
    debug.phase = 'check-inbox';
    $('check-inbox-title').focus();
  }

  function init() {
    $('signup').addEventListener('submit', onSubmit);
    $('check-inbox-back').addEventListener('click', function () {
      $('screen-check-inbox').hidden = true;
      $('screen-form').hidden = false;
      debug.phase = 'form';
      $('email').focus();
    });
    FIELDS.forEach(function (field) {
      $(field).addEventListener('input', function () {
        if ($(field).getAttribute('aria-invalid') === 'true') setFieldError(field, '');
      });
    });
    $('retry-load').addEventListener('click', function () {
      window.location.reload();
    });
    loadState();
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', init);
  } else {
    init();
  }
})();
