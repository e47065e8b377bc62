/*
 * Session page: header, recording with a transcript that follows playback,
 * scorecard, authenticity checks and earlier/later attempts side by side.
 * Every timestamp on the page (evidence, flag moments, lines) seeks the one
 * audio element, so a claim in the scorecard can be checked by ear.
 */

import * as api from './api.js';
import {
  append, clock, errorBox, facts, fill, formatNumber, h, humanize, loading, outcomeBadge, recommendationBadge,
  scaleMax, statusBadge, time,
} from './dom.js';

const POLL_MS = 5000;
const USER_SCROLL_GRACE_MS = 4000;
const ANALYSIS_NOTES = {
  PENDING: 'Analysis pending: the scorecard appears here when it is ready.',
  PROCESSING: 'Analysis processing: the scorecard appears here when it is ready.',
  FAILED: 'Analysis failed.',
};

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
  const drawAnalysis = (current, list) => fill(scoreSlot,
    scorecard(current, list, player.seek), flags(current.analysis, player.seek));
  drawAnalysis(session, value(versions, null)?.data ?? []);

  fill(root,
    header(session, name, value(templates, new Map()).get(session.template_id)?.name,
      value(names, new Map()).get(session.stage_id)),
    h('div', { class: 'session-grid' }, player.element, scoreSlot),
    retakes(session, value(siblings, null)?.data ?? []));

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
      ['Retake of', session.retake_of ? h('a', { href: api.sessionPath(session.retake_of), text: 'Earlier session' }) : null],
    ]),
    metadata.length ? h('details', { class: 'metadata' },
      h('summary', { text: `Metadata (${metadata.length})` }),
      facts(metadata.map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]), 'facts facts-compact'))
      : null);
}

// ---- Recording and transcript ------------------------------------------------------

function createPlayer(session, transcriptResult, recording, signal) {
  const segments = transcriptResult.status === 'fulfilled'
    ? [...(transcriptResult.value?.segments ?? [])].sort((a, b) => a.start - b.start) : [];
  const hasAudio = Boolean(recording?.ok);
  const audio = hasAudio ? h('audio', { controls: true, preload: 'metadata', class: 'player', 'data-testid': 'player',
    src: `/v1/sessions/${enc(session.id)}/recording` }) : null;
  const list = h('ol', { class: 'transcript', 'data-testid': 'transcript', 'aria-label': 'Transcript' });
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

function seekButton(testid, start, label, seek, segmentId = null, extra = {}) {
  return h('button', { type: 'button', class: 'seek', 'data-testid': testid, dataset: { start: String(start) },
    on: { click: () => seek(start, segmentId) }, ...extra }, label);
}

// ---- Scorecard -------------------------------------------------------------------

function scorecard(session, versions, seek) {
  const analysis = session.analysis;
  const general = analysis?.general ?? {};
  const section = h('section', { class: 'card scorecard', 'data-testid': 'scorecard', 'aria-labelledby': 'scorecard-title' },
    h('h2', { id: 'scorecard-title', class: 'section-title', text: 'Scorecard' }));
  const state = session.analysis_status;
  if (state !== 'COMPLETED' || !analysis) {
    const failed = versions.find((v) => v.version === Math.max(...versions.map((x) => x.version)))?.error;
    const text = ANALYSIS_NOTES[state] ?? (session.status === 'completed'
      ? 'This session has not been analysed.'
      : 'The interview has not been completed yet: the scorecard appears once it has been analysed.');
    section.append(h('p', { class: 'notice', dataset: { kind: state === 'FAILED' ? 'error' : 'info' },
      'data-testid': 'analysis-status', 'data-status': state ?? 'none',
      text: state === 'FAILED' && failed ? `${text} ${failed}` : text }));
    if (!analysis) return section;
  }
  const rating = general.overallRating;
  const versionText = analysis.version && versions.length > 1
    ? `version ${analysis.version} of ${versions.length}` : analysis.version ? `version ${analysis.version}` : '';
  append(section, [
    h('div', { class: 'score-summary' },
      h('div', { class: 'overall' },
        h('span', { class: 'overall-label', text: 'Overall rating' }),
        h('span', { class: 'overall-value', 'data-testid': 'overall-rating', dataset: { value: String(rating ?? '') } },
          rating === undefined || rating === null ? '—' : formatNumber(rating, 0),
          h('span', { class: 'overall-max', text: '/100' }))),
      h('div', { class: 'recommendation' },
        h('span', { class: 'overall-label', text: 'Recommendation' }),
        recommendationBadge(analysis.recommendation, { 'data-testid': 'recommendation' }),
        analysis.recommendationBasis ? h('p', { class: 'basis', text: analysis.recommendationBasis }) : null),
      stageResult(session.stage_result)),
    h('p', { class: 'scorer muted', 'data-testid': 'scorer' },
      [`Scored by the ${analysis.scorer ?? 'unknown'} scorer`, versionText && `analysis ${versionText}`,
        analysis.scale && `scale ${analysis.scale}`].filter(Boolean).join(' · ')),
    facts([['Company fit', general.companyFitRating], ['Education', general.education],
      ['Experience', general.experience]].filter(([, v]) => v && v !== 'UNDEFINED').map(([k, v]) => [k, humanize(v)])),
    dimensions(analysis, seek),
    pointList('Strong points', general.strongPoints, 'strong-points'),
    pointList('Weak points', general.weakPoints, 'weak-points'),
    pointList('How to improve', analysis.improvementFeedback, 'improvement'),
    pointList('Evaluation', general.evaluation, 'evaluation'),
  ]);
  return section;
}

function stageResult(result) {
  if (!result) return null;
  return h('div', { class: 'stage-result', 'data-testid': 'stage-result', dataset: { outcome: result.outcome ?? '' } },
    h('span', { class: 'overall-label', text: 'Stage result' }),
    outcomeBadge(result.outcome),
    h('p', { class: 'basis' },
      [result.passed === true ? 'Passed' : result.passed === false ? 'Not passed' : null,
        result.passThreshold !== undefined && result.passThreshold !== null
          ? `rating ${formatNumber(result.overallRating, 0)} vs pass mark ${formatNumber(result.passThreshold, 0)}` : null,
        result.decidedBy ? `decided by ${result.decidedBy}` : null].filter(Boolean).join(' · ')),
    result.nextSessionId ? h('a', { href: api.sessionPath(result.nextSessionId), text: 'Next session' }) : null);
}

function dimensions(analysis, seek) {
  const list = analysis.dimensions ?? [];
  if (!list.length) return null;
  const totalWeight = list.reduce((sum, d) => sum + (Number(d.weight) || 0), 0);
  return h('div', { class: 'block' },
    h('h3', { class: 'block-title', text: 'Dimensions' }),
    h('ul', { class: 'dimensions' }, list.map((d) => {
      const max = scaleMax(d.scale ?? analysis.scale);
      const share = Math.min(Math.max((Number(d.score) || 0) / max, 0), 1);
      const weight = totalWeight ? Math.round(((Number(d.weight) || 0) / totalWeight) * 100) : null;
      return h('li', { class: 'dimension', 'data-testid': 'dimension', dataset: { name: d.name } },
        h('div', { class: 'dimension-head' },
          h('h4', { class: 'dimension-name', text: d.name }),
          weight !== null ? h('span', { class: 'muted', text: `Weight ${weight}%` }) : null,
          h('span', { class: 'dimension-score', 'data-testid': 'dimension-score' },
            formatNumber(d.score), h('span', { class: 'muted', text: ` / ${formatNumber(max)}` }))),
        bar(share, share >= 0.6 ? 'high' : share >= 0.4 ? 'mid' : 'low'),
        d.rationale ? h('p', { class: 'rationale', text: d.rationale }) : null,
        (d.evidence ?? []).length ? h('ul', { class: 'evidence', 'aria-label': `Evidence for ${d.name}` },
          d.evidence.map((e) => h('li', {}, seekButton('evidence', e.start,
            [h('span', { class: 'seek-time', text: clock(e.start) }), h('q', { text: e.quote })], seek, e.segment_id,
            { 'aria-label': `Play from ${clock(e.start)}: ${e.quote}` })))) : null);
    })));
}

function bar(share, level, marker = null) {
  return h('div', { class: 'bar', 'aria-hidden': 'true', dataset: { level },
    style: { '--value': share.toFixed(3), '--marker': marker === null ? 'none' : marker.toFixed(3) } },
  h('span', { class: 'bar-fill' }), marker === null ? null : h('span', { class: 'bar-marker' }));
}

function pointList(title, items, testid) {
  if (!items?.length) return null;
  return h('div', { class: 'block', 'data-testid': testid },
    h('h3', { class: 'block-title', text: title }),
    h('ul', { class: 'points' }, items.map((text) => h('li', { text }))));
}

// ---- Authenticity --------------------------------------------------------------

function flags(analysis, seek) {
  if (!analysis) return null;
  const checks = [...(analysis.authenticity ?? [])].sort((a, b) => Number(b.flagged) - Number(a.flagged));
  const flagged = checks.filter((c) => c.flagged).length;
  return h('section', { class: 'card', 'data-testid': 'flags', 'aria-labelledby': 'flags-title' },
    h('h2', { id: 'flags-title', class: 'section-title', text: 'Authenticity checks' }),
    h('p', { class: 'muted', text: !checks.length ? 'No authenticity checks in this analysis.'
      : flagged ? `${flagged} of ${checks.length} checks flagged.` : `None of ${checks.length} checks flagged.` }),
    checks.length ? h('ul', { class: 'flags' }, checks.map((c) => {
      const confidence = Number(c.confidence) || 0;
      const threshold = Number(c.threshold) || 0;
      return h('li', { class: 'flag', 'data-testid': 'flag', dataset: { kind: c.kind, flagged: String(Boolean(c.flagged)) } },
        h('div', { class: 'flag-head' },
          h('h3', { class: 'flag-name', text: humanize(c.kind) }),
          c.flagged ? h('span', { class: 'badge', dataset: { tone: 'negative' }, text: 'Flagged' }) : null,
          h('span', { class: 'muted flag-numbers',
            text: `Confidence ${formatNumber(confidence, 0)} · threshold ${formatNumber(threshold, 0)}` })),
        bar(confidence / 100, c.flagged ? 'low' : 'neutral', threshold / 100),
        c.summary ? h('p', { class: 'flag-summary', text: c.summary }) : null,
        (c.evidence ?? []).length ? h('ul', { class: 'moments', 'aria-label': `Moments for ${humanize(c.kind)}` },
          c.evidence.map((e) => h('li', {}, seekButton('flag-moment', e.start,
            [h('span', { class: 'seek-time', text: `${clock(e.start)}–${clock(e.end)}` }), e.note ? ` ${e.note}` : ''],
            seek)))) : null);
    })) : null);
}

// ---- Attempts side by side ----------------------------------------------------------

function retakes(session, participantSessions) {
  const attempts = participantSessions
    .filter((s) => s.template_id === session.template_id && s.stage_id === session.stage_id)
    .filter((s) => s.id === session.id || Boolean(s.is_test) === Boolean(session.is_test))
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  if (attempts.length < 2) return null;
  const names = [...new Set(attempts.flatMap((s) => (s.analysis?.dimensions ?? []).map((d) => d.name)))];
  const cell = (s, content) => h('td', { class: s.id === session.id ? 'is-current' : null }, content);
  const rows = [
    ['Date', (s) => time(s.completed_at ?? s.started_at ?? s.created_at)],
    ['Status', (s) => statusBadge(s.status)],
    ['Overall rating', (s) => formatNumber(s.analysis?.general?.overallRating, 0)],
    ['Recommendation', (s) => recommendationBadge(s.analysis?.recommendation)],
    ...names.map((n) => [n, (s) => {
      const d = (s.analysis?.dimensions ?? []).find((x) => x.name === n);
      return d ? `${formatNumber(d.score)} / ${formatNumber(scaleMax(d.scale ?? s.analysis?.scale))}` : '—';
    }]),
  ];
  return h('section', { class: 'card', 'data-testid': 'retakes', 'aria-labelledby': 'retakes-title' },
    h('h2', { id: 'retakes-title', class: 'section-title', text: 'Attempts at this stage' }),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-compare' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Measure' })),
          attempts.map((s, i) => h('th', { scope: 'col', class: s.id === session.id ? 'is-current' : null,
            'data-current': String(s.id === session.id), 'data-session-id': s.id },
          s.id === session.id
            ? h('span', { 'aria-current': 'page' }, `Attempt ${i + 1} `, h('span', { class: 'muted', text: '(this session)' }))
            : h('a', { href: api.sessionPath(s.id), text: `Attempt ${i + 1}` }))))),
        h('tbody', {}, rows.map(([label, value]) => h('tr', {}, h('th', { scope: 'row', text: label }),
          attempts.map((s) => cell(s, value(s)))))))));
}
