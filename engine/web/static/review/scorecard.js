/*
 * The scorecard (overall rating, recommendation, stage result, dimensions with their evidence, points and
 * feedback) and the authenticity checks. Every evidence quote and flagged moment is a button that calls
 * seek(start, segmentId) so the claim can be checked against the recording. What limits the numbers
 * (coverage, the scorer's limits, why a human decides, an interview cut short) comes from coverage.js.
 * A dimension without enough evidence has no score and no bar, and its weight does not count.
 */

import * as api from './api.js';
import { coverageLine, incompleteNotice, reviewReasons, scorerNote } from './coverage.js';
import {
  append, clock, facts, formatNumber, h, humanize, isAssessed, outcomeBadge, recommendationBadge, scaleMax, sentence,
} from './dom.js';
import { decisionButtons } from './stage-decision.js';

const ANALYSIS_NOTES = {
  PENDING: 'Analysis pending: the scorecard appears here when it is ready.',
  PROCESSING: 'Analysis processing: the scorecard appears here when it is ready.',
  FAILED: 'Analysis failed.',
};

// A timestamp that plays the recording from that moment.
function seekButton(testid, start, label, seek, segmentId = null, extra = {}) {
  return h('button', { type: 'button', class: 'seek', 'data-testid': testid, dataset: { start: String(start) },
    on: { click: () => seek(start, segmentId) }, ...extra }, label);
}

/**
 * `decision` ({ name, onDecided }): where the stage result waits for a person, Approve and Reject are
 * offered beside it; onDecided() redraws the page's view of the session.
 */
export function scorecard(session, versions, seek, decision = null) {
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
        // null (not absent): no dimension had enough evidence to score.
        rating === null
          ? h('p', { class: 'overall-none', 'data-testid': 'overall-rating', dataset: { value: '' },
            text: 'No rating: nothing could be assessed' })
          : h('span', { class: 'overall-value', 'data-testid': 'overall-rating', dataset: { value: String(rating ?? '') } },
            rating === undefined ? '—' : formatNumber(rating, 0),
            h('span', { class: 'overall-max', text: '/100' })),
        coverageLine(analysis)),
      h('div', { class: 'recommendation' },
        h('span', { class: 'overall-label', text: 'Recommendation' }),
        recommendationBadge(analysis.recommendation, { 'data-testid': 'recommendation' }),
        analysis.recommendationBasis ? h('p', { class: 'basis', text: analysis.recommendationBasis }) : null),
      stageResult(session, decision)),
    scorerNote(analysis),
    reviewReasons(analysis),
    incompleteNotice(analysis),
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

function stageResult(session, decision) {
  const result = session.stage_result;
  if (!result) return null;
  const status = h('p', { class: 'row-status', role: 'status', 'data-testid': 'decision-status' });
  const buttons = decision ? decisionButtons(session, decision.name, {
    status,
    onDone: () => decision.onDecided(),
    onError: (error) => { status.textContent = sentence(error.message); },
  }) : [];
  return h('div', { class: 'stage-result', 'data-testid': 'stage-result', dataset: { outcome: result.outcome ?? '' } },
    h('span', { class: 'overall-label', text: 'Stage result' }),
    outcomeBadge(result.outcome),
    h('p', { class: 'basis' },
      [result.reason === 'needs_review' ? 'Waiting for a human: the scorer gave no verdict (reasons above)' : null,
        result.reason === 'embedded_scorer'
          ? 'Waiting for a person to confirm the embedded scorer’s verdict (it cannot judge correctness)' : null,
        result.passed === true ? 'Passed' : result.passed === false ? 'Not passed' : null,
        result.passThreshold !== undefined && result.passThreshold !== null
          ? `rating ${formatNumber(result.overallRating, 0)} vs pass mark ${formatNumber(result.passThreshold, 0)}` : null,
        result.decidedBy ? `decided by ${result.decidedBy}` : null].filter(Boolean).join(' · ')),
    result.nextSessionId ? h('a', { href: api.sessionPath(result.nextSessionId), text: 'Next session' }) : null,
    buttons.length ? h('div', { class: 'actions', 'data-testid': 'stage-decision' }, buttons) : null,
    buttons.length ? status : null);
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
      const assessed = isAssessed(d);
      return h('li', { class: ['dimension', assessed ? null : 'is-unassessed'], 'data-testid': 'dimension',
        dataset: { name: d.name, status: assessed ? 'assessed' : 'insufficient_evidence' } },
      h('div', { class: 'dimension-head' },
        h('h4', { class: 'dimension-name', text: d.name }),
        weight !== null ? h('span', { class: 'muted', 'data-testid': 'dimension-weight',
          text: assessed ? `Weight ${weight}%` : `Weight ${weight}%, not counted` }) : null,
        assessed
          ? h('span', { class: 'dimension-score', 'data-testid': 'dimension-score' },
            formatNumber(d.score), h('span', { class: 'muted', text: ` / ${formatNumber(max)}` }))
          : h('span', { class: 'dimension-unassessed', 'data-testid': 'dimension-score',
            text: 'Not assessed — insufficient evidence' })),
      assessed ? bar(share, share >= 0.6 ? 'high' : share >= 0.4 ? 'mid' : 'low') : null,
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

export function authenticity(analysis, seek) {
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
