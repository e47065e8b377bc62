/*
 * Session page: header, recording with a transcript that follows playback (player.js), scorecard and
 * authenticity checks (scorecard.js), earlier/later attempts side by side (attempts.js), its phone calls
 * (calls.js) and the emails the participant was sent about it (emails.js).
 * Every timestamp on the page (evidence, flag moments, lines) seeks the one audio element, so a claim in
 * the scorecard can be checked by ear.
 */

import * as api from './api.js';
import { retakes } from './attempts.js';
import { clock, facts, fill, h, loading, statusBadge, time } from './dom.js';
import { callsSection } from './calls.js';
import { emailsSection } from './emails.js';
import { createPlayer } from './player.js';
import { liveSection } from './live-view.js';
import { authenticity, scorecard } from './scorecard.js';

// How the interview reached the candidate (the session's `transport`).
const TRANSPORTS = {
  webrtc: 'Join page',
  websocket: 'Join page (backup connection: WebRTC could not connect)',
  phone: 'Phone call',
};

const POLL_MS = 5000;

const enc = encodeURIComponent;

export async function render(root, ctx) {
  const id = ctx.params[0];
  const { signal } = ctx;
  root.append(loading('Loading session…'));
  const session = await api.get(`/v1/sessions/${enc(id)}`, {}, { signal });
  const base = `/v1/sessions/${enc(session.id)}`;
  const [templates, names, transcript, recording, versions, siblings] = await Promise.allSettled([
    api.templates(),
    api.stageNames([session.template_id]),
    api.get(`${base}/transcript`, {}, { signal }),
    api.probe(`${base}/recording`, { signal }),
    api.get(`${base}/analyses`, { limit: 100 }, { signal }),
    api.get('/v1/sessions', { participant_id: session.participant_id, limit: 100 }, { signal }),
  ]);
  if (signal.aborted) return;
  const value = (result, fallback) => (result.status === 'fulfilled' ? result.value : fallback);
  const name = session.participant_name || session.participant_email || 'Unnamed participant';
  document.title = `${name} · Interview review`;

  const player = createPlayer(session, transcript, value(recording, null), signal);
  const scoreSlot = h('div', { class: 'stack' });
  let shownVersions = value(versions, null)?.data ?? [];
  // After an approval or a rejection made beside the scorecard, the stage result is read again.
  const decision = {
    name,
    onDecided: async () => {
      const fresh = await api.get(base, {}, { signal });
      if (!signal.aborted) drawAnalysis(fresh, shownVersions);
    },
  };
  const drawAnalysis = (current, list) => {
    shownVersions = list;
    fill(scoreSlot, scorecard(current, list, player.seek, decision), authenticity(current.analysis, player.seek));
  };
  drawAnalysis(session, shownVersions);

  fill(root,
    header(session, name, value(templates, new Map()).get(session.template_id)?.name,
      value(names, new Map()).get(session.stage_id)),
    // While the interview goes on, a recruiter may follow it as it is spoken (live-view.js).
    session.status === 'in_progress' ? liveSection(session, signal) : null,
    h('div', { class: 'session-grid' }, player.element, scoreSlot),
    retakes(session, value(siblings, null)?.data ?? []),
    callsSection(session.id, signal),
    emailsSection(session.id, signal));

  pollAnalysis(session, base, signal, drawAnalysis);
}

// A pending or running analysis lands on its own; the page follows it rather than asking for a reload.
function pollAnalysis(session, base, signal, draw) {
  let last = session.analysis_status;
  const tick = async () => {
    if (signal.aborted || !['PENDING', 'PROCESSING'].includes(last)) return;
    try {
      const fresh = await api.get(base, {}, { signal });
      if (fresh.analysis_status !== last) {
        last = fresh.analysis_status;
        const versions = await api.get(`${base}/analyses`, { limit: 100 }, { signal }).catch(() => null);
        if (!signal.aborted) draw(fresh, versions?.data ?? []);
      }
    } catch (error) {
      if (api.isAbort(error)) return;
    }
    window.setTimeout(tick, POLL_MS);
  };
  window.setTimeout(tick, POLL_MS);
}

function header(session, name, templateName, stageName) {
  const metadata = Object.entries(session.metadata ?? {});
  return h('section', { class: 'card session-head', 'aria-labelledby': 'session-title' },
    h('p', { class: 'eyebrow', text: 'Interview session' }),
    h('div', { class: 'head-row' },
      h('h1', { id: 'session-title', class: 'title', tabindex: '-1' },
        h('a', { href: api.participantPath(session.participant_id), 'data-testid': 'participant-link', text: name })),
      h('div', { class: 'badges' }, statusBadge(session.status),
        session.is_test ? h('span', { class: 'badge badge-test', 'data-testid': 'test-badge', text: 'Test' }) : null)),
    facts([
      ['Email', session.participant_email],
      ['External ID', session.external_id],
      ['Template', templateName],
      ['Stage', stageName],
      ['Scheduled', session.schedule_time ? time(session.schedule_time) : null],
      ['Started', session.started_at ? time(session.started_at) : null],
      ['Completed', session.completed_at ? time(session.completed_at) : null],
      ['Duration', session.duration_seconds ? clock(session.duration_seconds) : null],
      ['Held over', TRANSPORTS[session.transport] ?? null],
      ['Retake of', session.retake_of ? h('a', { href: api.sessionPath(session.retake_of), text: 'Earlier session' }) : null],
    ]),
    metadata.length ? h('details', { class: 'metadata' },
      h('summary', { text: `Metadata (${metadata.length})` }),
      facts(metadata.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), 'facts facts-compact'))
      : null);
}
