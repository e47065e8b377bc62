/*
 * The public link of an interview (seed 002, "Shareable Link"): a switch
 * (role="switch", aria-checked) that turns it on or off through
 * PUT /v1/templates/{id}/public-link, and while it is on the URL with a Copy
 * button. Anyone with the URL can start a session, so turning it on says so.
 */

import * as api from './api.js';
import { announce, fill, h, sentence, writeClipboard } from './dom.js';
import { notify } from './forms.js';
import { checkboxField } from './controls.js';

export async function publicLinkCard(page, write) {
  const linkPath = `${page.path}/public-link`;
  let link = page.template.public_link ?? { enabled: false, url: null };
  try {
    link = await api.get(linkPath, {}, { signal: page.ctx.signal });
  } catch (error) {
    if (api.isAbort(error)) throw error;
    // The template's own copy is a moment old; good enough to show, and the switch reports any error.
  }

  const state = h('span', { class: 'switch-state', 'aria-hidden': 'true', 'data-testid': 'public-link-state' });
  const toggle = h('button', { type: 'button', role: 'switch', class: 'switch', id: 'public-link-switch',
    'aria-labelledby': 'public-link-label', 'aria-describedby': 'public-link-hint', 'data-testid': 'public-link-switch' },
  h('span', { class: 'switch-track', 'aria-hidden': 'true' }, h('span', { class: 'switch-thumb' })));
  const url = h('input', { type: 'text', class: 'link-field', readonly: true, id: 'public-link-url',
    'aria-label': 'Public link URL', 'data-testid': 'public-link-url' });
  url.spellcheck = false;
  url.addEventListener('focus', () => url.select());
  const copyStatus = h('p', { class: 'copy-status hint', role: 'status', 'data-testid': 'public-link-copy-status' });
  const copy = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'public-link-copy',
    text: 'Copy link', on: { click: async () => {
      const copied = await writeClipboard(url.value);
      copyStatus.textContent = copied ? 'Link copied.' : 'Select the link and copy it.';
      if (!copied) url.focus();
    } } });
  const urlRow = h('div', { class: 'public-link-url' }, h('div', { class: 'link-row' }, url, copy), copyStatus);
  const errors = h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'public-link-errors' });
  // Email verification: a sign-up gets a one-time link by email, and only that link books the session.
  const verify = checkboxField({ id: 'public-link-verify', testid: 'public-link-verify',
    label: 'Ask candidates to confirm their email first',
    hint: 'Signing up sends a one-time link to the address given (valid for a limited time); opening it books '
      + 'the interview. Stops sign-ups with someone else\'s address.' });
  if (!write) verify.input.disabled = true;
  verify.input.addEventListener('change', async () => {
    if (!write || busy) {
      verify.input.checked = !verify.input.checked; // nothing was saved: show what is in force
      return;
    }
    busy = true;
    const wanted = verify.input.checked;
    fill(errors);
    try {
      link = await api.put(linkPath, { enabled: Boolean(link.enabled), email_verification: wanted });
      page.template.public_link = link;
      api.forgetTemplates();
      draw();
      announce(wanted ? 'Candidates confirm their email before the interview is booked.'
        : 'Candidates start at once, without confirming their email.');
    } catch (error) {
      verify.input.checked = !wanted;
      if (!api.isAbort(error)) {
        notify(errors, 'error', `Email confirmation was not turned ${wanted ? 'on' : 'off'}: ${sentence(error.message)}`,
          'public-link-error', { focus: false });
      }
    } finally {
      busy = false;
    }
  });

  const draw = () => {
    toggle.setAttribute('aria-checked', String(Boolean(link.enabled)));
    state.textContent = link.enabled ? 'On' : 'Off';
    url.value = link.url ?? '';
    verify.input.checked = Boolean(link.email_verification);
    urlRow.hidden = !(link.enabled && link.url);
    copyStatus.textContent = '';
  };
  draw();

  let busy = false;
  toggle.addEventListener('click', async () => {
    if (!write || busy) return;
    busy = true;
    toggle.setAttribute('aria-busy', 'true');
    fill(errors);
    const wanted = !link.enabled;
    try {
      link = await api.put(linkPath, { enabled: wanted });
      page.template.public_link = link;
      api.forgetTemplates();
      draw();
      announce(wanted ? 'Public link on: anyone with the URL can start a session.' : 'Public link off.');
    } catch (error) {
      if (!api.isAbort(error)) {
        notify(errors, 'error', `The public link was not turned ${wanted ? 'on' : 'off'}: ${sentence(error.message)}`,
          'public-link-error', { focus: false });
      }
    } finally {
      busy = false;
      toggle.removeAttribute('aria-busy');
    }
  });
  if (!write) toggle.setAttribute('aria-disabled', 'true');

  return h('section', { class: 'card', 'aria-labelledby': 'public-link-title', 'data-testid': 'public-link' },
    h('h2', { id: 'public-link-title', class: 'section-title', text: 'Shareable link' }),
    h('div', { class: 'switch-row' }, toggle,
      h('span', { id: 'public-link-label', class: 'switch-label', text: 'Public link' }), state),
    h('p', { id: 'public-link-hint', class: 'hint', text: write
      ? 'Anyone with the URL can start a session, e.g. from a job posting. Each candidate gives a name and email; '
        + 'returning with the same email continues their interview. Turning it off stops new starts; turning it on '
        + 'again brings back the same URL.'
      : 'Your sign-in may see the link but not turn it on or off.' }),
    errors, urlRow, verify.wrap);
}
