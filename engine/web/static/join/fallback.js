/*
 * The WebSocket fallback, for networks where WebRTC cannot connect (UDP
 * blocked, no TURN server): the call continues over a WebSocket on the page's
 * own origin (/join/{token}/stream). Binary messages are 16 kHz 16-bit PCM
 * both ways, 20 ms each; text messages are the data channel's JSON messages,
 * handed to the same handler. The microphone stream is the same one (echo
 * cancellation on); the interviewer plays through the same <audio> element,
 * so the browser's echo canceller hears it as it hears a WebRTC call.
 *
 * The socket stands in for the data channel as `app.channel` (an adapter with
 * the channel's readyState/bufferedAmount/send/close), so sending events, the
 * End button's hang-up and tearing the call down work unchanged.
 */

import { playRemoteAudio } from './audio.js';
import { debug } from './debug.js';
import { el } from './dom.js';
import { base, app } from './state.js';

const WORKLET_URL = new URL('./pcm-worklet.js', import.meta.url).href;
// Below 8 kHz (the 16 kHz wire's Nyquist) before the worklet decimates: two biquads, 24 dB/octave.
const LOWPASS_HZ = 7000;
// Audio the socket has not sent yet beyond this (about 1 s) is dropped rather than sent late.
const MAX_BUFFERED_BYTES = 32000;

let audioContext = null;
let workletLoaded = false;

/** Inside a click (Start, Reconnect): create the audio context while the page may still start one. */
export function primeFallbackAudio() {
  if (audioContext || typeof window.AudioContext !== 'function') return;
  try {
    audioContext = new window.AudioContext();
    // Nothing plays through it unless the fallback is needed: it sleeps until then.
    audioContext.suspend().catch(() => { /* ignore */ });
  } catch {
    audioContext = null;
  }
}

/** Whether this browser can run the fallback (WebSocket, AudioWorklet). */
export function fallbackSupported() {
  return typeof window.WebSocket === 'function'
    && typeof window.AudioContext === 'function'
    && typeof window.AudioWorkletNode === 'function';
}

function streamUrl() {
  const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${window.location.host}${base}/stream?consent=true`;
}

/**
 * Opens the fallback stream. handlers: {onMessage(text), onOpen(), onClose(code, reason)}.
 * Resolves once the audio graph is set up (the socket may still be opening).
 */
export async function openFallback(handlers) {
  debug.transport = 'websocket';
  if (!audioContext) primeFallbackAudio();
  const ctx = audioContext;
  if (!ctx) throw new Error('no audio context');
  if (!workletLoaded) {
    await ctx.audioWorklet.addModule(WORKLET_URL);
    workletLoaded = true;
  }
  try {
    await ctx.resume();
  } catch { /* reported below */ }
  if (ctx.state !== 'running') {
    // The browser wants a click before audio plays: the existing button resumes it.
    el.enableAudio.hidden = false;
    el.enableAudio.addEventListener('click', () => { ctx.resume().catch(() => {}); }, { once: true });
  }

  const ws = new WebSocket(streamUrl());
  ws.binaryType = 'arraybuffer';
  const call = { ws, ctx, nodes: [], closed: false };

  // The microphone: low-passed, decimated to 16 kHz in the worklet, sent as 20 ms frames.
  const source = ctx.createMediaStreamSource(app.micStream);
  const lowpass = [0, 1].map(() => new BiquadFilterNode(ctx, { type: 'lowpass', frequency: LOWPASS_HZ }));
  const capture = new AudioWorkletNode(ctx, 'pcm-capture', { numberOfOutputs: 1, outputChannelCount: [1] });
  const mute = new GainNode(ctx, { gain: 0 }); // keeps the capture node pulled by the graph
  source.connect(lowpass[0]).connect(lowpass[1]).connect(capture).connect(mute).connect(ctx.destination);
  capture.port.onmessage = (event) => {
    if (ws.readyState !== WebSocket.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    ws.send(event.data);
  };

  // The interviewer: the worklet's output into the <audio> element, as a WebRTC call's remote stream.
  const player = new AudioWorkletNode(ctx, 'pcm-player', { numberOfInputs: 0, outputChannelCount: [1] });
  const out = ctx.createMediaStreamDestination();
  player.connect(out);
  el.remoteAudio.srcObject = out.stream;
  playRemoteAudio();
  player.port.onmessage = (event) => {
    const stats = event.data;
    debug.remoteAudio.samplesPlayed = stats.played;
    debug.remoteAudio.totalAudioEnergy = stats.energy;
  };
  call.nodes = [source, ...lowpass, capture, mute, player, out];

  ws.addEventListener('open', () => {
    if (!call.closed) handlers.onOpen();
  });
  ws.addEventListener('message', (event) => {
    if (call.closed) return;
    if (typeof event.data === 'string') {
      if (isClear(event.data)) {
        player.port.postMessage('clear'); // barge-in: drop what is scheduled
        return;
      }
      handlers.onMessage(event.data);
      return;
    }
    debug.remoteAudio.bytesReceived += event.data.byteLength;
    debug.remoteAudio.packetsReceived += 1;
    player.port.postMessage(event.data, [event.data]);
  });
  ws.addEventListener('close', (event) => {
    const wasOpen = !call.closed;
    stopAudio(call);
    if (wasOpen) handlers.onClose(event.code, event.reason);
  });

  app.channel = {
    get readyState() { return ws.readyState === WebSocket.OPEN ? 'open' : 'closed'; },
    get bufferedAmount() { return ws.bufferedAmount; },
    send(text) { ws.send(text); },
    // Closing from the page (hang-up, teardown) reports nothing: the page already knows why.
    close() {
      stopAudio(call);
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) ws.close(1000);
    },
  };
}

function isClear(text) {
  try {
    const message = JSON.parse(text);
    return !!message && message.type === 'clear';
  } catch {
    return false;
  }
}

function stopAudio(call) {
  if (call.closed) return;
  call.closed = true;
  for (const node of call.nodes) {
    try { node.disconnect(); } catch { /* ignore */ }
  }
  call.ctx.suspend().catch(() => { /* ignore */ });
}
