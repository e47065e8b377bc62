/*
 * Consent and the microphone: the setup buttons follow the consent box, the
 * microphone is only opened after consent, withdrawn consent or a track that
 * ends releases it, and each getUserMedia failure gets its own explanation.
 */

import { debug } from './debug.js';
import { $, el } from './dom.js';
import { startMeter, stopMeter } from './meter.js';
import { clearNotice, showNotice } from './screens.js';
import { app } from './state.js';

const AUDIO_CONSTRAINTS = {
  audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true },
  video: false,
};

export function updateSetupButtons() {
  const consent = el.consent.checked;
  el.checkMic.disabled = !consent || app.connecting;
  el.start.disabled = !consent || !app.micStream || app.connecting;
  el.checkMic.textContent = app.micStream ? 'Microphone ready' : 'Check microphone';
  if (app.micStream) el.checkMic.disabled = true;
  $('mic-hint').hidden = consent;
}

export function onConsentChange() {
  if (!el.consent.checked) {
    // Consent withdrawn before the call: stop capturing immediately.
    releaseMic();
    clearNotice();
  }
  updateSetupButtons();
}

export function micSupported() {
  return !!(navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function');
}

export async function checkMic() {
  if (!el.consent.checked) return;
  clearNotice();
  if (!micSupported()) {
    showNotice({
      kind: 'error',
      title: 'Microphone not available',
      text: window.isSecureContext === false
        ? 'The microphone can only be used on a secure (https) page. Please open the link exactly as it was sent to you.'
        : 'This browser cannot use a microphone. Please use a recent version of Chrome, Edge, Firefox or Safari.',
    });
    return;
  }
  el.checkMic.disabled = true;
  el.checkMic.textContent = 'Waiting for permission…';
  $('mic-feedback').textContent = 'Your browser may ask for permission to use the microphone.';
  let stream;
  try {
    stream = await getMicStream();
  } catch (err) {
    $('mic-feedback').textContent = '';
    handleMicError(err);
    updateSetupButtons();
    return;
  }
  if (!el.consent.checked) {
    // Consent was withdrawn while the permission prompt was open.
    stopStream(stream);
    updateSetupButtons();
    return;
  }
  setMicStream(stream);
  $('mic-feedback').textContent = 'Microphone is on. Say a few words — the bar should move.';
  updateSetupButtons();
  el.start.focus();
}

export async function getMicStream() {
  try {
    return await navigator.mediaDevices.getUserMedia(AUDIO_CONSTRAINTS);
  } catch (err) {
    if (err && (err.name === 'OverconstrainedError' || err.name === 'ConstraintNotSatisfiedError')) {
      return navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    }
    throw err;
  }
}

export function handleMicError(err) {
  const name = err && err.name ? err.name : '';
  if (name === 'NotAllowedError' || name === 'PermissionDeniedError' || name === 'SecurityError') {
    showNotice({
      kind: 'error',
      title: 'Microphone access is blocked',
      text: 'To allow it, click the lock or site-settings icon next to the address bar, set "Microphone" to "Allow", ' +
        'then press "Try microphone again". On a phone, also check that your browser app is allowed to use the microphone ' +
        'in the system settings.',
      retryMic: true,
    });
  } else if (name === 'NotFoundError' || name === 'DevicesNotFoundError') {
    showNotice({
      kind: 'error',
      title: 'No microphone found',
      text: 'Please connect a microphone or headset, then press "Try microphone again".',
      retryMic: true,
    });
  } else if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
    showNotice({
      kind: 'error',
      title: 'The microphone could not be started',
      text: 'It may be in use by another application (for example a video call). Close it, then press "Try microphone again".',
      retryMic: true,
    });
  } else {
    showNotice({
      kind: 'error',
      title: 'The microphone could not be started',
      text: 'Please check your microphone and browser settings, then press "Try microphone again".' +
        (name ? ' (' + name + ')' : ''),
      retryMic: true,
    });
  }
  el.retryMic.focus();
}

export function setMicStream(stream) {
  app.micStream = stream;
  debug.micReady = true;
  for (const track of stream.getAudioTracks()) track.addEventListener('ended', onMicTrackEnded);
  startMeter(stream);
}

function onMicTrackEnded() {
  if (app.ended) return;
  if (app.pc) {
    showNotice({
      kind: 'error',
      title: 'Your microphone stopped',
      text: 'The microphone was disconnected or switched off. Reconnect it and press "Reconnect".',
    });
    releaseMic();
    el.reconnect.hidden = false;
    return;
  }
  releaseMic();
  showNotice({
    kind: 'error',
    title: 'Your microphone stopped',
    text: 'The microphone was disconnected or switched off. Press "Try microphone again".',
    retryMic: true,
  });
  updateSetupButtons();
}

function stopStream(stream) {
  if (!stream) return;
  for (const track of stream.getTracks()) {
    track.removeEventListener('ended', onMicTrackEnded);
    track.stop();
  }
}

export function releaseMic() {
  stopMeter();
  stopStream(app.micStream);
  app.micStream = null;
  debug.micReady = false;
  $('mic-feedback').textContent = '';
}
