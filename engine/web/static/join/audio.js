/*
 * The interviewer's audio in <audio id="remote-audio">. Autoplay policies:
 * play() is first primed inside a click handler, and when the browser still
 * refuses, the "Turn on interviewer audio" button appears.
 */

import { el } from './dom.js';
import { app } from './state.js';

export function primeRemoteAudio() {
  const audio = el.remoteAudio;
  if (!audio.srcObject && typeof MediaStream === 'function') audio.srcObject = new MediaStream();
  playRemoteAudio();
}

export function playRemoteAudio() {
  const audio = el.remoteAudio;
  let promise;
  try {
    promise = audio.play();
  } catch {
    return;
  }
  if (promise && typeof promise.then === 'function') {
    promise.then(() => {
      el.enableAudio.hidden = true;
    }).catch((err) => {
      if (err && err.name === 'NotAllowedError' && !app.ended) el.enableAudio.hidden = false;
    });
  }
}

export function onRemoteTrack(event, pc) {
  if (pc !== app.pc) return;
  const audio = el.remoteAudio;
  const stream = event.streams && event.streams[0] ? event.streams[0] : new MediaStream([event.track]);
  if (audio.srcObject !== stream) audio.srcObject = stream;
  playRemoteAudio();
}

export function stopRemoteAudio() {
  const audio = el.remoteAudio;
  try { audio.pause(); } catch { /* ignore */ }
  audio.srcObject = null;
}
