/*
 * The call: starting it from the setup screen, one offer/answer round per
 * (re)connect, reacting to the peer's state (connected, reconnecting, lost),
 * signalling errors, and dispatching the engine's data-channel messages.
 * When WebRTC cannot connect (ICE fails, or no connection within a few
 * seconds of the answer) the call continues over the WebSocket fallback
 * (fallback.js), for the rest of the page's life.
 */

import { postOffer, errorMessage } from './api.js';
import { onRemoteTrack, primeRemoteAudio } from './audio.js';
import { setInterviewerState, showCaption, showTranscript } from './captions.js';
import { sendEvent, wireChannel } from './channel.js';
import { startClock } from './clock.js';
import { debug } from './debug.js';
import { $, el } from './dom.js';
import { finish, teardownCall } from './ending.js';
import { fallbackSupported, openFallback, primeFallbackAudio } from './fallback.js';
import { getMicStream, handleMicError, micSupported, setMicStream } from './mic.js';
import {
  addMicTrack, clearLostTimer, closePeer, peerState, sanitizeIceServers, startStatsLoop, waitForIceGathering,
} from './peer.js';
import { clearNotice, setConnection, showBlocked, showNotice, showScreen } from './screens.js';
import { cancelRetry, resetRetries, retryAfterSeconds, scheduleRetry } from './retry.js';
import { app } from './state.js';

const ICE_GATHER_TIMEOUT_MS = 3000;
const LOST_AFTER_MS = 5000;
// After the answer, how long the peer may take to connect before the page falls back to the WebSocket.
const FALLBACK_AFTER_MS = 6000;
const connectedPeers = new WeakSet();
let fallbackTimer = null;

/** The Start (or Continue) button: moves the mic panel onto the call screen and connects. */
export async function startInterview() {
  if (app.connecting || !el.consent.checked || !app.micStream) return;
  if (typeof window.RTCPeerConnection !== 'function' && fallbackSupported()) {
    app.fallback = true;
  } else if (typeof window.RTCPeerConnection !== 'function') {
    showNotice({
      kind: 'error',
      title: 'Your browser is not supported',
      text: 'Please open this link in a recent version of Chrome, Edge, Firefox or Safari.',
    });
    return;
  }
  primeRemoteAudio();
  primeFallbackAudio();
  clearNotice();
  el.consent.disabled = true;
  $('call-mic-slot').appendChild($('mic-panel'));
  showScreen('screen-call', 'call-title');
  await connect();
}

/** The Reconnect button: reopens the microphone first if it was lost. */
export function reconnect() {
  primeRemoteAudio();
  primeFallbackAudio();
  clearNotice();
  if (!app.micStream) {
    reacquireMicThenConnect();
    return;
  }
  connect();
}

async function reacquireMicThenConnect() {
  if (!micSupported()) return;
  try {
    setMicStream(await getMicStream());
  } catch (err) {
    handleMicError(err);
    el.reconnect.hidden = false;
    return;
  }
  connect();
}

async function connect() {
  cancelRetry();
  if (app.connecting || app.ended) return;
  if (!app.micStream) {
    showNotice({
      kind: 'error',
      title: 'Microphone needed',
      text: 'The microphone is not available. Reload the page to check it again.',
      retryLoad: true,
    });
    return;
  }
  app.connecting = true;
  try {
    await negotiate();
  } finally {
    app.connecting = false;
  }
}

/** One full offer/answer round: new peer connection, mic track, data channel. */
async function negotiate() {
  el.reconnect.hidden = true;
  clearLostTimer();
  clearFallbackTimer();
  closePeer();
  setConnection('connecting');
  if (app.fallback) {
    await connectFallback();
    return;
  }

  let pc;
  try {
    pc = new RTCPeerConnection({ iceServers: sanitizeIceServers(app.info && app.info.ice_servers) });
  } catch (err) {
    connectFailed('The connection could not be set up (' + (err && err.name ? err.name : 'error') + ').');
    return;
  }
  app.pc = pc;
  debug.connectionState = peerState(pc);
  wirePeer(pc);
  addMicTrack(pc);
  wireChannel(pc.createDataChannel('events', { ordered: true }), pc, onChannelMessage);

  let answer;
  try {
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await waitForIceGathering(pc, ICE_GATHER_TIMEOUT_MS);
    if (pc !== app.pc) return;
    answer = await postOffer(pc.localDescription);
  } catch {
    if (pc === app.pc) connectFailed('The connection could not be set up. Please try again.');
    return;
  }
  if (pc !== app.pc) return;
  if (!answer.ok) {
    handleOfferError(answer.result);
    return;
  }
  try {
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
  } catch {
    if (pc === app.pc) connectFailed('The server answer could not be used. Please try again.');
    return;
  }
  if (pc !== app.pc) return;
  startStatsLoop(pc);
  if (fallbackSupported()) {
    fallbackTimer = window.setTimeout(() => {
      fallbackTimer = null;
      if (pc === app.pc && !connectedPeers.has(pc) && !app.ended) useFallback();
    }, FALLBACK_AFTER_MS);
  }
}

function clearFallbackTimer() {
  if (fallbackTimer) window.clearTimeout(fallbackTimer);
  fallbackTimer = null;
}

/** WebRTC could not connect on this network: continue over the WebSocket from now on. */
async function useFallback() {
  if (app.connecting || app.ended) return;
  clearFallbackTimer();
  clearLostTimer();
  closePeer();
  app.fallback = true;
  showNotice({
    kind: 'info',
    title: 'Continuing over a backup connection',
    text: 'Your network blocks the usual call connection, so the interview continues over a backup connection. Nothing else changes.',
  });
  app.connecting = true;
  try {
    await connectFallback();
  } finally {
    app.connecting = false;
  }
}

async function connectFallback() {
  setConnection('connecting');
  el.reconnect.hidden = true;
  debug.connectionState = 'connecting';
  try {
    await openFallback({ onMessage: onChannelMessage, onOpen: onFallbackOpen, onClose: onFallbackClose });
  } catch {
    connectFailed('The connection could not be set up. Please press "Reconnect" to try again.');
  }
}

function onFallbackOpen() {
  sendEvent({ type: 'visibility', hidden: document.hidden === true });
  sendEvent({ type: 'focus', focused: document.hasFocus() });
  onPeerState('connected');
}

function onFallbackClose(code, reason) {
  debug.connectionState = 'closed';
  if (app.ended) return;
  app.channel = null;
  if (code === 1013) {
    connectFailed((reason || 'The interview service is busy right now.') + ' Please wait a moment and press "Reconnect".');
  } else if (code === 1008 && reason) {
    connectFailed(reason);
  } else {
    connectFailed('The connection was lost. Check your internet connection, then press "Reconnect". You will continue where you left off.');
  }
}

function handleOfferError(result) {
  const status = result.status;
  if (status === 404) {
    teardownCall();
    showBlocked('This link is not valid', errorMessage(result, 'Please check that you copied the whole link from your invitation.'));
  } else if (status === 409) {
    teardownCall();
    showBlocked('This interview is not available', errorMessage(result, 'This interview can no longer be joined.'));
  } else if (status === 403) {
    connectFailed(errorMessage(result, 'Please agree to the recording notice before starting.'));
  } else if (status === 503) {
    const busy = errorMessage(result, 'The interview service is busy right now.');
    const wait = retryAfterSeconds(result);
    if (wait !== null && scheduleRetry(wait, reconnect)) {
      connectWaiting(wait);
    } else {
      connectFailed(busy + ' Please wait a minute and press "Reconnect".');
    }
  } else if (status === 0) {
    connectFailed('We could not reach the interview server. Check your internet connection and press "Reconnect".');
  } else {
    connectFailed(errorMessage(result, 'The connection could not be set up.') + ' Please press "Reconnect" to try again.');
  }
}

/** Turned away for now: the page tries again by itself after `seconds` (retry.js). */
function connectWaiting(seconds) {
  closePeer();
  setConnection('connecting');
  const when = seconds === 1 ? '1 second' : seconds + ' seconds';
  showNotice({
    kind: 'wait',
    title: 'Please wait a moment',
    text: 'The interview server is busy starting other interviews. We will try again automatically in '
      + when + '. You can also press "Reconnect" to try now.',
  });
  el.reconnect.hidden = false;
}

function connectFailed(text) {
  closePeer();
  setConnection('lost');
  showNotice({ kind: 'error', title: 'Could not connect', text });
  el.reconnect.hidden = false;
  el.reconnect.focus();
}

function wirePeer(pc) {
  pc.addEventListener('track', (event) => {
    onRemoteTrack(event, pc);
  });
  const onChange = () => {
    if (pc !== app.pc) return;
    const state = peerState(pc);
    if (state === 'connected') connectedPeers.add(pc);
    if (state === 'failed' && !connectedPeers.has(pc) && fallbackSupported()) {
      useFallback();
      return;
    }
    onPeerState(state);
  };
  if ('onconnectionstatechange' in pc) pc.addEventListener('connectionstatechange', onChange);
  pc.addEventListener('iceconnectionstatechange', onChange);
}

function onPeerState(state) {
  debug.connectionState = state;
  if (app.ended) return;
  if (state === 'connected') {
    clearLostTimer();
    resetRetries();
    el.reconnect.hidden = true;
    if (el.notice.dataset.kind === 'error' || el.notice.dataset.kind === 'wait') clearNotice();
    setConnection('connected');
    if (app.callStartedAt === null) startClock();
  } else if (state === 'disconnected' || state === 'failed') {
    setConnection('reconnecting');
    if (!app.lostTimer) {
      app.lostTimer = window.setTimeout(onConnectionLost, LOST_AFTER_MS);
    }
  } else if (state === 'connecting' || state === 'new') {
    setConnection('connecting');
  }
}

function onConnectionLost() {
  app.lostTimer = null;
  if (app.ended || !app.pc) return;
  const state = peerState(app.pc);
  if (state === 'connected') return;
  closePeer();
  setConnection('lost');
  showNotice({
    kind: 'error',
    title: 'Connection lost',
    text: 'Check your internet connection, then press "Reconnect". You will continue where you left off.',
  });
  el.reconnect.hidden = false;
  el.reconnect.focus();
}

/** One message from the engine on the data channel: state, caption, transcript or ended. */
function onChannelMessage(data) {
  if (typeof data !== 'string') return;
  let message;
  try {
    message = JSON.parse(data);
  } catch {
    return;
  }
  if (!message || typeof message !== 'object') return;
  debug.events.push(message);
  switch (message.type) {
    case 'state':
      setInterviewerState(message.state);
      break;
    case 'caption':
      showCaption(message);
      break;
    case 'transcript':
      showTranscript(message);
      break;
    case 'ended':
      finish(message.reason, message.message);
      break;
    default:
      break;
  }
}
