/*
 * The call screen's live text: the interviewer's state (listening, thinking,
 * speaking), its captions and what the engine heard from the candidate.
 * Partial lines are updated in place; only final lines are announced.
 */

import { debug } from './debug.js';
import { $, el } from './dom.js';
import { app } from './state.js';

const MAX_CAPTION_LINES = 3;
const MAX_TRANSCRIPT_LINES = 4;

const INTERVIEWER_TEXT = {
  listening: 'Listening to you',
  thinking: 'Thinking…',
  speaking: 'Speaking',
};

export function setInterviewerState(state) {
  const known = Object.prototype.hasOwnProperty.call(INTERVIEWER_TEXT, state);
  debug.interviewerState = known ? state : null;
  el.status.dataset.state = known ? state : 'idle';
  $('status-text').textContent = known
    ? INTERVIEWER_TEXT[state]
    : (app.ended ? 'Interview ended' : 'Waiting for the interviewer…');
}

/** A `caption` message: the interviewer's words. */
export function showCaption(message) {
  debug.captions.push(message);
  renderLine(el.captions, 'interviewerPartial', message, MAX_CAPTION_LINES);
}

/** A `transcript` message: what the engine heard from the candidate. */
export function showTranscript(message) {
  debug.transcripts.push(message);
  renderLine(el.transcript, 'candidatePartial', message, MAX_TRANSCRIPT_LINES);
}

/**
 * Partial lines are updated in place (hidden from screen readers to avoid
 * chatter); a final line replaces the partial and is announced once.
 */
function renderLine(container, partialKey, message, maxLines) {
  const text = typeof message.text === 'string' ? message.text.trim() : '';
  let partial = app[partialKey];
  if (message.final) {
    if (partial) {
      partial.remove();
      app[partialKey] = null;
    }
    if (text) {
      const line = document.createElement('p');
      line.className = 'line line-final';
      line.textContent = text;
      container.appendChild(line);
    }
  } else if (text) {
    if (!partial) {
      partial = document.createElement('p');
      partial.className = 'line line-partial';
      partial.setAttribute('aria-hidden', 'true');
      app[partialKey] = partial;
    }
    partial.textContent = text;
    container.appendChild(partial); // keep it last
  }
  trimLines(container, maxLines);
  container.scrollTop = container.scrollHeight;
}

function trimLines(container, maxLines) {
  const finals = container.querySelectorAll('.line-final');
  for (let i = 0; i < finals.length - maxLines; i++) finals[i].remove();
}
