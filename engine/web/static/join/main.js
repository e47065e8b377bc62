/*
 * Candidate join page, entry point: consent, microphone check, WebRTC call
 * with the interview engine, live captions and a clean hang-up. This module
 * wires the page's buttons and window events to the modules beside it and
 * loads the link's state.
 *
 * Plain ES modules, no dependencies, no build step. Server strings are only
 * ever written with textContent. The only global is window.interviewDebug
 * (debug.js), which browser tests and benchmarks read.
 */

import { playRemoteAudio } from './audio.js';
import { reconnect, startInterview } from './call.js';
import { sendEvent } from './channel.js';
import { bindElements, el } from './dom.js';
import { onConfirmEnd, onEndClick, resetEndButtons } from './ending.js';
import { checkMic, onConsentChange, releaseMic } from './mic.js';
import { closePeer } from './peer.js';
import { clearNotice } from './screens.js';
import { loadState } from './setup.js';
import { app } from './state.js';

function onRetryMic() {
  clearNotice();
  if (app.pc || app.callStartedAt !== null) {
    window.location.reload();
    return;
  }
  if (!el.consent.checked) {
    el.consent.focus();
    return;
  }
  checkMic();
}

function bind() {
  bindElements();

  el.consent.addEventListener('change', onConsentChange);
  el.checkMic.addEventListener('click', checkMic);
  el.retryMic.addEventListener('click', onRetryMic);
  el.retryLoad.addEventListener('click', () => {
    window.location.reload();
  });
  el.start.addEventListener('click', startInterview);
  el.reconnect.addEventListener('click', reconnect);
  el.enableAudio.addEventListener('click', playRemoteAudio);
  el.end.addEventListener('click', onEndClick);
  el.cancelEnd.addEventListener('click', resetEndButtons);
  el.confirmEnd.addEventListener('click', onConfirmEnd);

  document.addEventListener('visibilitychange', () => {
    sendEvent({ type: 'visibility', hidden: document.hidden === true });
  });
  window.addEventListener('focus', () => {
    sendEvent({ type: 'focus', focused: true });
  });
  window.addEventListener('blur', () => {
    sendEvent({ type: 'focus', focused: false });
  });
  window.addEventListener('pagehide', () => {
    // Release the microphone; the session stays resumable on the server.
    closePeer();
    releaseMic();
  });
  window.addEventListener('pageshow', (event) => {
    // Restored from the back/forward cache with a closed call: start over.
    if (event.persisted) window.location.reload();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !el.confirmEnd.hidden) resetEndButtons();
  });
}

function init() {
  bind();
  loadState();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', init);
} else {
  init();
}
