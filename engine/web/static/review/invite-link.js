/*
 * A session's invite (join) link, as the participant page and an interview's Sessions tab offer it: asked
 * of the API when the recruiter wants it (it answers 409 once the session is final), copied to the
 * clipboard, or shown in a read-only field to copy by hand where there is no clipboard.
 */

import * as api from './api.js';
import { fill, h, sentence, writeClipboard } from './dom.js';

/** A read-only field holding `url`, selected whole when focused (one keystroke copies it). */
export function linkField(url, testid) {
  const input = h('input', { type: 'text', class: 'link-field', readonly: true, value: url, 'data-testid': testid,
    'aria-label': 'Invite link', spellcheck: false });
  input.addEventListener('focus', () => input.select());
  return input;
}

/**
 * Copies the invite link of `session`: `status` (a live region) says how it went, and `extra` receives the
 * link's field (data-testid `testid`) when the clipboard refused.
 */
export async function copyInviteLink(session, { status, extra, testid }) {
  status.textContent = 'Getting the link…';
  let url;
  try {
    ({ url } = await api.get(`/v1/sessions/${encodeURIComponent(session.id)}/join-link`));
  } catch (error) {
    status.textContent = api.isAbort(error) ? '' : sentence(error.message);
    return;
  }
  if (await writeClipboard(url)) {
    status.textContent = 'Link copied';
    fill(extra);
    return;
  }
  // No clipboard (insecure origin, permission refused): show the link to copy by hand.
  status.textContent = 'Copy the link below.';
  const input = linkField(url, testid);
  fill(extra, input);
  input.focus();
}
