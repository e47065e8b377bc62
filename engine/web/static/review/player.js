/*
 * The recording and its transcript: the line being spoken is highlighted and kept in view (unless the
 * reviewer has just scrolled the transcript), and seek(start) moves playback and the highlight together.
 */

import { clock, errorBox, h } from './dom.js';

const USER_SCROLL_GRACE_MS = 4000;

const enc = encodeURIComponent;

// Returns { element, seek }: the "Recording" card, and seek(start, segmentId) for the rest of the page.
export function createPlayer(session, transcriptResult, recording, signal) {
  const segments = transcriptResult.status === 'fulfilled'
    ? [...(transcriptResult.value?.segments ?? [])].sort((a, b) => a.start - b.start) : [];
  const hasAudio = Boolean(recording?.ok);
  const audio = hasAudio ? h('audio', { controls: true, preload: 'metadata', class: 'player', 'data-testid': 'player',
    src: `/v1/sessions/${enc(session.id)}/recording` }) : null;
  // Focusable: it scrolls, and a keyboard user must be able to scroll it (lines may not be buttons).
  const list = h('ol', { class: 'transcript', 'data-testid': 'transcript', 'aria-label': 'Transcript', tabindex: '0' });
  const lines = segments.map((segment) => transcriptLine(segment, hasAudio, (line) => seek(line.start, line.id)));
  list.append(...lines.map((line) => line.node));
  const byId = new Map(lines.map((line) => [line.id, line]));
  let current = null;
  let userScrolledAt = 0;

  let recordingNote = null;
  if (!hasAudio) {
    const missing = !recording || recording.status === 404 || recording.status === 416;
    recordingNote = h('p', { class: 'state state-empty', 'data-testid': 'no-recording',
      text: missing ? 'No recording yet.' : `The recording could not be loaded: ${recording.message}` });
  } else {
    recordingNote = h('p', { class: 'form-error', role: 'alert' });
    audio.addEventListener('error', () => { recordingNote.textContent = 'The recording could not be played.'; });
  }

  function lineAt(t) {
    let found = null;
    for (const line of lines) {
      if (line.start > t) break;
      if (t < line.end) found = line;
    }
    return found;
  }

  // Scrolls the transcript box only, and only when the line is out of its view: the page stays put.
  function reveal(line, force) {
    if (!force && Date.now() - userScrolledAt < USER_SCROLL_GRACE_MS) return;
    const top = line.node.offsetTop;
    const bottom = top + line.node.offsetHeight;
    if (top >= list.scrollTop && bottom <= list.scrollTop + list.clientHeight) return;
    const smooth = !window.matchMedia('(prefers-reduced-motion: reduce)').matches;
    list.scrollTo({ top: Math.max(0, top - list.clientHeight / 3), behavior: smooth ? 'smooth' : 'auto' });
  }

  function setCurrent(line, force = false) {
    if (line === current) {
      if (line && force) reveal(line, true);
      return;
    }
    current?.node.classList.remove('current');
    current?.node.removeAttribute('aria-current');
    current = line;
    if (!line) return;
    line.node.classList.add('current');
    line.node.setAttribute('aria-current', 'true');
    reveal(line, force);
  }

  function seek(start, segmentId = null) {
    const t = Math.max(0, Number(start) || 0);
    setCurrent((segmentId && byId.get(segmentId)) || lineAt(t + 0.05), true);
    if (!audio) return;
    audio.currentTime = t;
    audio.play().catch(() => {
      // Autoplay refused or no playable source: the position is still set for the play button.
    });
  }

  if (audio) {
    let frame = 0;
    const follow = () => {
      setCurrent(lineAt(audio.currentTime));
      if (!audio.paused && !signal.aborted) frame = window.requestAnimationFrame(follow);
    };
    audio.addEventListener('play', () => { frame = window.requestAnimationFrame(follow); });
    audio.addEventListener('pause', () => window.cancelAnimationFrame(frame));
    for (const type of ['timeupdate', 'seeked']) audio.addEventListener(type, () => setCurrent(lineAt(audio.currentTime)));
    signal.addEventListener('abort', () => {
      window.cancelAnimationFrame(frame);
      audio.pause();
    });
  }
  for (const type of ['wheel', 'touchmove']) {
    list.addEventListener(type, () => { userScrolledAt = Date.now(); }, { passive: true });
  }

  const transcriptNote = transcriptResult.status === 'rejected'
    ? errorBox(transcriptResult.reason, 'The transcript could not be loaded')
    : (segments.length ? null : h('p', { class: 'state state-empty', text: 'No transcript yet.' }));
  const element = h('section', { class: 'card media-panel', 'aria-labelledby': 'media-title' },
    h('h2', { id: 'media-title', class: 'section-title', text: 'Recording' }),
    audio, recordingNote,
    h('h2', { class: 'section-title transcript-title', text: 'Transcript' }),
    transcriptNote ?? list);
  return { element, seek };
}

function transcriptLine(segment, clickable, onSeek) {
  const line = { id: segment.id, start: Number(segment.start) || 0, end: Number(segment.end) || 0, node: null };
  const speaker = segment.speaker === 'candidate' ? 'Candidate' : 'Interviewer';
  const parts = [
    h('span', { class: 'line-time', text: clock(line.start) }),
    h('span', { class: 'line-speaker', text: speaker }),
    h('span', { class: 'line-text', text: segment.text }),
  ];
  line.node = h('li', { class: 'line', 'data-testid': 'transcript-line',
    dataset: { start: String(line.start), end: String(line.end), speaker: segment.speaker, segmentId: segment.id } },
  clickable ? h('button', { type: 'button', class: 'line-button', on: { click: () => onSeek(line) } }, parts)
    : h('div', { class: 'line-button' }, parts));
  return line;
}
