/*
 * The microphone level meter: an AudioContext with an AnalyserNode, the RMS
 * level in dB mapped onto the bar each animation frame, aria-valuenow at most
 * twice a second, and "We can hear you" once the candidate is heard.
 */

import { $, el } from './dom.js';
import { app } from './state.js';

export function startMeter(stream) {
  stopMeter();
  const Ctx = window.AudioContext || window.webkitAudioContext;
  el.levelMeter.dataset.active = 'true';
  if (!Ctx) return;
  let ctx;
  try {
    ctx = new Ctx();
  } catch {
    return;
  }
  const source = ctx.createMediaStreamSource(stream);
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const useFloat = typeof analyser.getFloatTimeDomainData === 'function';
  const buffer = useFloat ? new Float32Array(analyser.fftSize) : new Uint8Array(analyser.fftSize);
  const meter = { ctx, source, analyser, frame: 0, lastAria: 0, heard: false };
  app.meter = meter;
  if (ctx.state === 'suspended' && typeof ctx.resume === 'function') ctx.resume().catch(() => {});

  function tick(now) {
    if (app.meter !== meter) return;
    let sum = 0;
    if (useFloat) {
      analyser.getFloatTimeDomainData(buffer);
      for (let i = 0; i < buffer.length; i++) sum += buffer[i] * buffer[i];
    } else {
      analyser.getByteTimeDomainData(buffer);
      for (let i = 0; i < buffer.length; i++) {
        const v = (buffer[i] - 128) / 128;
        sum += v * v;
      }
    }
    const rms = Math.sqrt(sum / buffer.length);
    const db = rms > 0 ? 20 * Math.log10(rms) : -100;
    const level = Math.max(0, Math.min(1, (db + 60) / 60));
    renderLevel(level, now, meter);
    meter.frame = window.requestAnimationFrame(tick);
  }
  meter.frame = window.requestAnimationFrame(tick);
}

function renderLevel(level, now, meter) {
  el.levelFill.style.transform = 'scaleX(' + level.toFixed(3) + ')';
  if (now - meter.lastAria > 500) {
    meter.lastAria = now;
    el.levelMeter.setAttribute('aria-valuenow', String(Math.round(level * 100)));
  }
  if (!meter.heard && level > 0.45) {
    meter.heard = true;
    if (!app.pc) $('mic-feedback').textContent = 'We can hear you. Your microphone is working.';
  }
}

export function stopMeter() {
  const meter = app.meter;
  app.meter = null;
  el.levelFill.style.transform = 'scaleX(0)';
  el.levelMeter.setAttribute('aria-valuenow', '0');
  el.levelMeter.dataset.active = 'false';
  if (!meter) return;
  window.cancelAnimationFrame(meter.frame);
  try {
    meter.source.disconnect();
  } catch { /* already disconnected */ }
  if (meter.ctx && meter.ctx.state !== 'closed') meter.ctx.close().catch(() => {});
}
