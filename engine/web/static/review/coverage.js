/*
 * How far a scorecard can be trusted, shown beside its numbers: how much of the rubric was assessed, what
 * the scorer cannot judge, why a human has to decide, and whether the interview was cut short.
 * Analyses from before these fields existed have none of them: only the scorer note (for the embedded
 * scorer) then appears.
 */

import { formatNumber, h, humanize, NEEDS_REVIEW } from './dom.js';

const EMBEDDED_LIMITS =
  'Measures structure and relevance, not correctness; confirm with an LLM scorer or a human.';
// More questions than this fold away behind a <details>.
const OPEN_QUESTIONS = 3;

const percent = (value) => `${formatNumber(value, 0)}%`;

/** "Assessed: 45% of the rubric weight (threshold 70%)", under the overall rating. */
export function coverageLine(analysis) {
  const coverage = analysis.coverage;
  if (!coverage) return null;
  const threshold = coverage.threshold !== undefined && coverage.threshold !== null
    ? ` (threshold ${percent(coverage.threshold)})` : '';
  const missing = coverage.insufficientEvidence ?? [];
  return h('div', { class: 'coverage', 'data-testid': 'coverage',
    dataset: { sufficient: String(coverage.sufficient !== false) } },
  h('p', { class: 'coverage-text' },
    `Assessed: ${percent(coverage.assessedWeight)} of the rubric weight${threshold}`,
    coverage.sufficient === false ? h('span', { class: 'coverage-flag', text: ' · below the threshold' }) : null),
  missing.length ? h('p', { class: 'coverage-missing', text: `Not assessed: ${missing.join(', ')}` }) : null);
}

/** What the scorer cannot judge; always beside the numbers. */
export function scorerNote(analysis) {
  const text = analysis.scorerLimits || (analysis.scorer === 'embedded' ? EMBEDDED_LIMITS : '');
  if (!text) return null;
  return h('p', { class: 'scorer-limits', role: 'note', 'data-testid': 'scorer-limits' },
    h('span', { class: 'scorer-limits-label', text: 'Limits of this score: ' }), text);
}

/** Why the recommendation is left to a human. */
export function reviewReasons(analysis) {
  const reasons = analysis.reviewReasons ?? [];
  const needed = analysis.needsReview === true || String(analysis.recommendation ?? '').toLowerCase() === NEEDS_REVIEW;
  if (!needed || !reasons.length) return null;
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'review-notice' },
    h('h3', { class: 'notice-title', text: 'Why a human needs to decide' }),
    h('ul', { class: 'points', 'data-testid': 'review-reasons' }, reasons.map((text) => h('li', { text }))));
}

/** "Interview incomplete": what the candidate was never asked, so could not be scored on. */
export function incompleteNotice(analysis) {
  const completion = analysis.completion;
  if (!completion || completion.complete !== false) return null;
  const planned = completion.questionsPlanned;
  const asked = completion.questionsAsked;
  const summary = completion.summary || [
    'The interview ended before all its questions were asked',
    planned ? ` (${formatNumber(asked ?? 0, 0)} of ${formatNumber(planned, 0)})` : '',
    completion.endReason ? `; end reason: ${humanize(completion.endReason).toLowerCase()}.` : '.',
  ].join('');
  const dimensions = completion.dimensionsNotReached ?? [];
  const questions = completion.notAsked ?? [];
  const questionList = questions.length
    ? h('ol', { class: 'points', 'data-testid': 'not-asked' }, questions.map((text) => h('li', { text }))) : null;
  return h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'incomplete' },
    h('h3', { class: 'notice-title', text: 'Interview incomplete' }),
    h('p', { class: 'notice-text', 'data-testid': 'incomplete-summary', text: summary }),
    dimensions.length ? [
      h('p', { class: 'notice-label', text: 'Dimensions not reached' }),
      h('ul', { class: 'points', 'data-testid': 'not-reached' }, dimensions.map((text) => h('li', { text }))),
    ] : null,
    questions.length > OPEN_QUESTIONS
      ? h('details', { class: 'not-asked' },
        h('summary', { text: `Questions not asked (${questions.length})` }), questionList)
      : questions.length ? [h('p', { class: 'notice-label', text: 'Questions not asked' }), questionList] : null);
}
