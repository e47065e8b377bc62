/*
 * What the page shows: one screen at a time (loading, setup, call, ended),
 * the page-level notice (errors, blocked links) and the connection badge in
 * the header.
 */

import { debug } from './debug.js';
import { $, el } from './dom.js';

const SCREENS = ['screen-loading', 'screen-setup', 'screen-call', 'screen-ended'];

export function showScreen(name, focusId) {
  for (const id of SCREENS) $(id).hidden = id !== name;
  debug.phase = name.replace('screen-', '');
  if (focusId) {
    const target = $(focusId);
    if (target) target.focus({ preventScroll: false });
  }
}

function hideAllScreens() {
  for (const id of SCREENS) $(id).hidden = true;
}

/** Show a page-level notice. opts: {kind, title, text, retryMic, retryLoad} */
export function showNotice(opts) {
  el.notice.dataset.kind = opts.kind || 'info';
  el.messageTitle.textContent = opts.title || '';
  el.messageTitle.hidden = !opts.title;
  el.message.textContent = opts.text || '';
  el.retryMic.hidden = !opts.retryMic;
  el.retryLoad.hidden = !opts.retryLoad;
  el.notice.hidden = false;
}

export function clearNotice() {
  el.notice.hidden = true;
  el.messageTitle.textContent = '';
  el.message.textContent = '';
  el.retryMic.hidden = true;
  el.retryLoad.hidden = true;
}

/** Replace the whole page with a blocking message (invalid link, not joinable). */
export function showBlocked(title, text, retryLoad) {
  hideAllScreens();
  debug.phase = 'blocked';
  showNotice({ kind: 'blocked', title, text, retryLoad: !!retryLoad });
  el.main.focus();
}

const CONNECTION_TEXT = {
  idle: '',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  lost: 'Connection lost',
  ended: 'Ended',
};

export function setConnection(state) {
  el.connection.dataset.state = state;
  el.connection.textContent = CONNECTION_TEXT[state] || state;
  el.connection.hidden = state === 'idle';
}
