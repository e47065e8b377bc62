/*
 * The call's elapsed-time display (#timer), started when the call first
 * connects and stopped when it ends.
 */

import { $ } from './dom.js';
import { app } from './state.js';

export function startClock() {
  app.callStartedAt = Date.now();
  renderClock();
  app.clockTimer = window.setInterval(renderClock, 1000);
}

function renderClock() {
  if (app.callStartedAt === null) return;
  const total = Math.max(0, Math.floor((Date.now() - app.callStartedAt) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n) => (n < 10 ? '0' : '') + n;
  $('timer').textContent = h > 0 ? h + ':' + pad(m) + ':' + pad(s) : m + ':' + pad(s);
}

export function stopClock() {
  if (app.clockTimer) window.clearInterval(app.clockTimer);
  app.clockTimer = null;
}
