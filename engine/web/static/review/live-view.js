/*
 * "Watch live" on the page of a session in progress: its transcript and the interviewer's state
 * (listening, thinking, speaking) as they happen, over the WebSocket /v1/sessions/{id}/live
 * (engine/api/live_view.py; docs/api.md lists its messages). The candidate sees nothing of it.
 *
 * Watching starts on the recruiter's click, not on opening the page: each watcher holds one of the
 * interview's few watcher places and is recorded in the audit trail as a view of the transcript.
 * The candidate's words as they come (partials) are drawn lighter, and replaced by the finished line.
 * Screen readers hear finished lines only, and the stream's own news (ended, lost), through a polite
 * region of this panel, never every partial word. A dropped connection is tried again once; the stream
 * stops when the interview ends or the recruiter leaves the page.
 */

import { fill, h, sentence } from './dom.js';

const STATE_LABELS = { listening: 'Listening', thinking: 'Thinking', speaking: 'Speaking' };
const SPEAKERS = { interviewer: 'Interviewer', candidate: 'Candidate' };
const ENDINGS = {
  completed: 'The interview is complete.',
  hangup: 'The candidate ended the call.',
  lost: 'The candidate’s connection dropped; they may rejoin from their link.',
  idle: 'The candidate went quiet and the interviewer ended the call; they may rejoin.',
  shutdown: 'The server restarted; the candidate may rejoin from their link.',
  replaced: 'The candidate reconnected; watch again to follow them.',
  error: 'The interview stopped on an error.',
};
const RESUMABLE = new Set(['lost', 'idle', 'shutdown', 'replaced']);
const IDLE_MS = 50000; // the server sends a keepalive every 15 s: three missed means the link is dead
const RETRY_MS = 1000;
const ANNOUNCED = 3; // finished lines kept in the announcer (older ones were read already)

/** The panel for `session`; watching stops when `signal` aborts (the recruiter leaves the page). */
export function liveSection(session, signal) {
  const state = h('p', { class: 'live-state', dataset: { state: 'none' }, 'data-testid': 'live-state', hidden: true },
    h('span', { class: 'live-dot', 'aria-hidden': 'true' }), h('span', { class: 'live-state-text' }));
  const status = h('p', { class: 'live-status muted', 'data-testid': 'live-status',
    text: 'Follow the transcript as it is spoken. The candidate does not see that you are watching.' });
  const lines = h('ol', { id: 'live-lines', class: 'live-lines', 'data-testid': 'live-lines', tabindex: '0',
    'aria-label': 'Live transcript', hidden: true });
  const announcer = h('div', { class: 'visually-hidden', 'aria-live': 'polite', 'data-testid': 'live-announcer' });
  const button = h('button', { type: 'button', class: 'button button-primary', 'data-testid': 'live-watch',
    'aria-controls': 'live-lines', text: 'Watch live' });

  const section = h('section', { class: 'card live-view', 'aria-labelledby': 'live-title', 'data-testid': 'live-view' },
    h('div', { class: 'live-head' },
      h('h2', { id: 'live-title', class: 'section-title', text: 'Live interview' }), state),
    status, h('div', { class: 'live-actions' }, button), lines, announcer);

  const view = { session, section, state, status, lines, announcer, button, socket: null, partial: null,
    watching: false, retried: false, ended: false, idleTimer: 0, retryTimer: 0 };
  button.addEventListener('click', () => (view.watching ? stop(view, 'You stopped watching.') : start(view)));
  signal.addEventListener('abort', () => stop(view), { once: true });
  return section;
}

function start(view) {
  view.retried = false;
  view.ended = false;
  connect(view);
}

function connect(view) {
  window.clearTimeout(view.retryTimer);
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  const url = `${scheme}://${window.location.host}/v1/sessions/${encodeURIComponent(view.session.id)}/live`;
  const socket = new WebSocket(url);
  view.socket = socket;
  view.watching = true;
  setButton(view, 'Stop watching', false);
  setStatus(view, 'Connecting…');
  socket.addEventListener('message', (event) => {
    if (socket !== view.socket) return;
    keepAlive(view);
    let message;
    try {
      message = JSON.parse(event.data);
    } catch {
      return;
    }
    receive(view, message);
  });
  socket.addEventListener('close', (event) => {
    if (socket === view.socket) closed(view, event);
  });
  keepAlive(view);
}

function keepAlive(view) {
  window.clearTimeout(view.idleTimer);
  view.idleTimer = window.setTimeout(() => {
    // Nothing heard, not even a keepalive: the link is dead though the browser has not noticed.
    const socket = view.socket;
    view.socket = null;
    socket?.close();
    if (socket) closed(view, { code: 1006, reason: '' });
  }, IDLE_MS);
}

function receive(view, message) {
  switch (message.type) {
    case 'snapshot':
      view.retried = false; // a later drop may be retried again
      view.partial = null;
      fill(view.lines, message.lines.map((line) => lineItem(line.speaker, line.text, true)));
      view.lines.hidden = false;
      setState(view, message.state);
      setStatus(view, 'Watching live.', true);
      scrollDown(view, true);
      break;
    case 'line':
      addLine(view, message);
      break;
    case 'state':
      setState(view, message.state);
      break;
    case 'ended':
      view.ended = true;
      dropPartial(view);
      setState(view, null);
      finish(view, ENDINGS[message.reason] ?? 'The call has ended.',
        RESUMABLE.has(message.reason) ? 'Watch again' : null);
      break;
    case 'not_live':
      view.ended = true;
      finish(view, message.message || 'There is nothing to watch right now.', 'Try again');
      break;
    default:
      break; // keepalive, and kinds this page does not know yet
  }
}

function addLine(view, { speaker, text, final }) {
  if (!SPEAKERS[speaker] || typeof text !== 'string') return;
  const follow = atBottom(view.lines);
  if (!final) {
    // Only the candidate's words come in pieces: one lighter line, rewritten as they go on.
    if (!view.partial) {
      view.partial = lineItem(speaker, text, false);
      view.lines.append(view.partial);
    } else {
      view.partial.querySelector('.live-text').textContent = text;
    }
  } else if (speaker === 'candidate' && view.partial) {
    view.partial.querySelector('.live-text').textContent = text;
    view.partial.dataset.final = 'true';
    view.partial = null;
    say(view, `${SPEAKERS[speaker]}: ${text}`);
  } else {
    // A line of the interviewer's goes before the candidate's unfinished one (it was said first).
    view.lines.insertBefore(lineItem(speaker, text, true), view.partial);
    say(view, `${SPEAKERS[speaker]}: ${text}`);
  }
  scrollDown(view, follow);
}

function lineItem(speaker, text, final) {
  return h('li', { class: 'live-line', dataset: { speaker, final: String(final) } },
    h('span', { class: 'line-speaker', text: SPEAKERS[speaker] ?? speaker }),
    h('span', { class: 'live-text', text }));
}

function dropPartial(view) {
  view.partial?.remove();
  view.partial = null;
}

function setState(view, value) {
  const label = STATE_LABELS[value];
  view.state.hidden = !label;
  view.state.dataset.state = label ? value : 'none';
  view.state.querySelector('.live-state-text').textContent = label ? `Interviewer: ${label.toLowerCase()}` : '';
}

function setStatus(view, text, quiet = false) {
  view.status.textContent = text;
  if (!quiet) say(view, text);
}

function setButton(view, label, primary) {
  view.button.textContent = label;
  view.button.classList.toggle('button-primary', primary);
}

/** One finished line (or the stream's news) for screen readers: appended, so each is read once. */
function say(view, text) {
  view.announcer.append(h('p', { text }));
  while (view.announcer.childElementCount > ANNOUNCED) view.announcer.firstElementChild.remove();
}

function closed(view, event) {
  window.clearTimeout(view.idleTimer);
  view.socket = null;
  if (!view.watching || view.ended) return;
  if (event.code === 1008 || event.code === 1013) {
    // Refused (signed out, no access) or full: trying again at once would be refused the same way.
    finish(view, event.reason ? `${sentence(event.reason)}.` : 'The live view was refused.', 'Try again');
    return;
  }
  if (!view.retried) {
    view.retried = true;
    dropPartial(view);
    setStatus(view, 'Connection lost; reconnecting…');
    view.retryTimer = window.setTimeout(() => { if (view.watching) connect(view); }, RETRY_MS);
    return;
  }
  finish(view, 'The connection to the live interview was lost.', 'Reconnect');
}

function finish(view, text, again) {
  const socket = view.socket;
  view.socket = null;
  view.watching = false;
  window.clearTimeout(view.idleTimer);
  socket?.close();
  setStatus(view, text);
  if (again) {
    setButton(view, again, true);
    view.button.hidden = false;
  } else {
    view.button.hidden = true;
  }
}

function stop(view, text) {
  window.clearTimeout(view.retryTimer);
  const socket = view.socket;
  view.socket = null;
  view.watching = false;
  window.clearTimeout(view.idleTimer);
  socket?.close(1000);
  dropPartial(view);
  setState(view, null);
  setButton(view, 'Watch live', true);
  if (text) setStatus(view, text);
}

function atBottom(node) {
  return node.scrollHeight - node.scrollTop - node.clientHeight < 40;
}

/** Follows new lines, unless the recruiter has scrolled up to read an earlier one. */
function scrollDown(view, follow) {
  if (follow) view.lines.scrollTop = view.lines.scrollHeight;
}
