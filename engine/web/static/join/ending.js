/*
 * Ending the interview: the two-step End button (Confirm end / Keep going,
 * reset after a while or by Escape), the hangup event, tearing the call down
 * and the closing screen for each way an interview ends.
 */

import { stopRemoteAudio } from './audio.js';
import { setInterviewerState } from './captions.js';
import { sendEvent, waitForDrain } from './channel.js';
import { stopClock } from './clock.js';
import { debug } from './debug.js';
import { $, el } from './dom.js';
import { releaseMic } from './mic.js';
import { clearLostTimer, closePeer } from './peer.js';
import { clearNotice, setConnection, showScreen } from './screens.js';
import { app } from './state.js';

const CONFIRM_END_RESET_MS = 8000;

const ENDED_TEXT = {
  completed: 'The interview is complete. Thank you for your time — your answers have been received.',
  hangup: 'You ended the interview. Thank you for your time.',
  error: 'The interview ended because of a problem on our side. We are sorry for the inconvenience.',
};

export function onEndClick() {
  el.end.hidden = true;
  el.confirmEnd.hidden = false;
  el.cancelEnd.hidden = false;
  el.confirmEnd.focus();
  if (app.confirmTimer) window.clearTimeout(app.confirmTimer);
  app.confirmTimer = window.setTimeout(resetEndButtons, CONFIRM_END_RESET_MS);
}

export function resetEndButtons() {
  if (app.confirmTimer) window.clearTimeout(app.confirmTimer);
  app.confirmTimer = null;
  const hadFocus = document.activeElement === el.confirmEnd || document.activeElement === el.cancelEnd;
  el.confirmEnd.hidden = true;
  el.cancelEnd.hidden = true;
  el.end.hidden = false;
  if (hadFocus) el.end.focus();
}

export async function onConfirmEnd() {
  if (app.ended) return;
  el.confirmEnd.disabled = true;
  const channel = app.channel;
  if (sendEvent({ type: 'hangup' })) await waitForDrain(channel, 1000);
  finish('hangup', '');
}

/** The interview is over (the engine's `ended` message, or the candidate hung up): show the closing screen. */
export function finish(reason, message) {
  if (app.ended) return;
  app.ended = true;
  debug.ended = { reason: reason || 'completed', message: message || '' };
  clearLostTimer();
  if (app.confirmTimer) window.clearTimeout(app.confirmTimer);
  teardownCall();
  setConnection('ended');
  setInterviewerState(null);
  clearNotice();
  $('ended-title').textContent = reason === 'error' ? 'The interview has ended' : 'Thank you';
  const text = [ENDED_TEXT[reason] || ENDED_TEXT.completed];
  if (message && message !== text[0]) text.push(message);
  $('ended-message').textContent = text.join(' ');
  showScreen('screen-ended', 'ended-title');
}

/** Closes the peer, stops the clock, releases the microphone and silences the interviewer. */
export function teardownCall() {
  closePeer();
  stopClock();
  releaseMic();
  el.enableAudio.hidden = true;
  el.reconnect.hidden = true;
  stopRemoteAudio();
}
