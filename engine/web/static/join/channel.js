/*
 * The `events` data channel: sending the page's events (visibility, focus,
 * delay, hangup; each one sent is logged in interviewDebug.sent), handing
 * received messages to the call, and reporting the network round trip and
 * playout delay the engine needs to line the recording's channels up.
 */

import { debug } from './debug.js';
import { app } from './state.js';

/** Adopts `channel` as the call's channel; its messages go to onMessage(data) while `pc` is current. */
export function wireChannel(channel, pc, onMessage) {
  app.channel = channel;
  channel.addEventListener('open', () => {
    if (pc !== app.pc) return;
    sendEvent({ type: 'visibility', hidden: document.hidden === true });
    sendEvent({ type: 'focus', focused: document.hasFocus() });
    reportDelay(pc);
  });
  channel.addEventListener('message', (event) => {
    if (pc !== app.pc) return;
    onMessage(event.data);
  });
}

// The engine lines the recording's two channels up as the candidate heard and spoke them: it needs
// the network round trip and how long this browser holds the interviewer's audio before playing it.
function reportDelay(pc) {
  let last = null;
  function tick() {
    if (pc !== app.pc) return;
    pc.getStats().then((stats) => {
      let rtt = null;
      let held = null;
      stats.forEach((s) => {
        if (s.type === 'candidate-pair' && s.nominated && typeof s.currentRoundTripTime === 'number') {
          rtt = s.currentRoundTripTime;
        }
        if (s.type === 'inbound-rtp' && s.kind === 'audio' && typeof s.jitterBufferDelay === 'number') {
          held = { delay: s.jitterBufferDelay, count: s.jitterBufferEmittedCount || 0 };
        }
      });
      if (held && last && held.count > last.count) {
        const playout = (held.delay - last.delay) / (held.count - last.count);
        sendEvent({ type: 'delay', rtt_ms: Math.round((rtt || 0) * 1000), playout_ms: Math.round(playout * 1000) });
      }
      if (held) last = held;
    }).catch(() => { /* stats are best effort */ });
    window.setTimeout(tick, 2000);
  }
  tick();
}

/** Sends one event if the channel is open; true when it was sent. */
export function sendEvent(message) {
  const channel = app.channel;
  if (!channel || channel.readyState !== 'open') return false;
  try {
    channel.send(JSON.stringify(message));
  } catch {
    return false;
  }
  debug.sent.push(message);
  return true;
}

/** Resolves once `channel` has sent what it buffered, is closed, or timeoutMs has passed. */
export function waitForDrain(channel, timeoutMs) {
  return new Promise((resolve) => {
    const started = Date.now();
    (function poll() {
      if (!channel || channel.readyState !== 'open' || channel.bufferedAmount === 0 || Date.now() - started > timeoutMs) {
        resolve();
        return;
      }
      window.setTimeout(poll, 50);
    })();
  });
}
