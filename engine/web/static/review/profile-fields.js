/*
 * Building blocks of the interviewer (agent profile) editor: labelled selects, text areas and number
 * inputs with their hint and error lines, the closed vocabularies of config/enums.py, and the editor's
 * first two sections (who the interviewer is, how it converses).
 *
 * Each section returns `{ node, value(), entries() }`: `value()` is its part of the API body and
 * `entries()` maps the API's error paths (`behavior.tone`) to `{ error, input }`, so a 422 lands next
 * to the control it names (profile-errors.js).
 */

import { h, humanize } from './dom.js';

// config/enums.py, in the order the seeds list them.
export const USE_CASES = ['hiring', 'training', 'admissions', 'assessment', 'certification', 'custom'];
export const FOCUSES = ['screening', 'outreach', 'generic', 'language_test'];
export const TONES = ['friendly', 'professional', 'strict', 'challenging'];
export const STYLES = ['structured', 'conversational', 'adaptive'];
export const DIFFICULTIES = ['easy', 'medium', 'hard', 'adaptive'];
export const DEPTHS = ['low', 'medium', 'high'];
export const SCALES = ['0-10', '0-5', '0-100'];
export const METHODS = ['weighted_average', 'rule_based'];

// The recommendation words a use case's rules give (config/enums.py SuccessOutcome); custom templates
// name their own, which rules reach through positive/negative.
export const LABELS_BY_USE_CASE = {
  hiring: ['hire', 'no_hire'],
  training: ['ready', 'needs_training'],
  admissions: ['admit', 'reject'],
  assessment: ['pass', 'fail'],
  certification: ['certified', 'not_certified'],
  custom: [],
};

/** The profile a new interviewer starts from: the API's own defaults (config/profiles.py). */
export function blankProfile() {
  return {
    name: '',
    intro: '',
    use_case: 'hiring',
    focus: 'screening',
    rubric: [],
    behavior: { tone: 'professional', style: 'structured', difficulty: 'medium', probingDepth: 'medium' },
    scoring: { scale: '0-10', scoringMethod: 'weighted_average', recommendationLogic: null },
    grounding: { organizationContext: null, domainContext: null, scenarioContext: null },
    scorecard: { includeTranscript: true, includeScoreBreakdown: true, includeRecommendation: true,
      includeImprovementFeedback: true },
    voice: { engine: null, name: 'en-us', rate: 170, pitch: 50 },
  };
}

export function optionText(value) {
  if (value === 'language_test') return 'Language test';
  if (/^\d+-\d+$/.test(value)) return value.replace('-', ' to ');
  return humanize(value);
}

/** The hint and error lines of a control, and the ids that tie them to it. */
function describe(id, hint) {
  const error = h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${id}-error` });
  const hintNode = hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null;
  return { error, hintNode, describedby: [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ') };
}

/** A labelled control of any tag; `options` ([value, text]) makes a select. */
export function control(tag, { id, label, hint = '', options = null, value = '', ...attrs }) {
  const { error, hintNode, describedby } = describe(id, hint);
  const input = h(tag, { id, name: id, ...attrs, 'aria-describedby': describedby, 'data-testid': id },
    options ? options.map(([v, text]) => h('option', { value: v, text, selected: v === value })) : null);
  if (!options) input.value = value ?? '';
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hintNode, error);
  return { wrap, input, error, hint: hintNode };
}

export function selectField({ values, value, ...rest }) {
  return control('select', { ...rest, value, options: values.map((v) => [v, optionText(v)]) });
}

export function textField(attrs) {
  return control('input', { type: 'text', autocomplete: 'off', ...attrs });
}

export function textareaField({ rows = 3, ...attrs }) {
  return control('textarea', { rows, class: 'textarea', ...attrs });
}

export function numberField(attrs) {
  return control('input', { type: 'number', inputmode: 'decimal', class: 'number', ...attrs });
}

/** An input's number, or null when it is empty or not a number (the API then names the field). */
export function numberOf(input) {
  const text = input.value.trim();
  if (text === '') return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

export function section(id, title, ...children) {
  return h('section', { class: 'card profile-section', 'aria-labelledby': `${id}-title`, 'data-testid': id },
    h('h2', { id: `${id}-title`, class: 'section-title', text: title }), children);
}

// ---- Who the interviewer is ---------------------------------------------------------------

export function basicsSection(profile) {
  const name = textField({ id: 'profile-name', label: 'Name', value: profile.name, maxlength: 200, required: true,
    hint: 'Shown to recruiters, e.g. “Senior Engineering Interviewer”.' });
  const intro = textareaField({ id: 'profile-intro', label: 'Introduction', value: profile.intro, maxlength: 10000,
    hint: 'How the interviewer introduces itself, e.g. “Alex, a senior engineer at Acme.”' });
  const useCase = selectField({ id: 'profile-use-case', label: 'Use', values: USE_CASES, value: profile.use_case,
    hint: 'Chooses the recommendation words (hiring: hire or no hire).' });
  const focus = selectField({ id: 'profile-focus', label: 'Interview type', values: FOCUSES, value: profile.focus,
    hint: 'Only a generic interviewer may interview without a template.' });
  return {
    node: section('profile-basics', 'Interviewer', name.wrap, intro.wrap,
      h('div', { class: 'profile-grid' }, useCase.wrap, focus.wrap)),
    name,
    useCase,
    value: () => ({ name: name.input.value.trim(), intro: intro.input.value.trim(), use_case: useCase.input.value,
      focus: focus.input.value }),
    entries: () => ({ name, intro, use_case: useCase, focus }),
  };
}

// ---- How it converses -----------------------------------------------------------------------

export function behaviourSection(profile) {
  const behavior = profile.behavior ?? {};
  const tone = selectField({ id: 'profile-tone', label: 'Tone', values: TONES, value: behavior.tone,
    hint: 'How the interviewer sounds.' });
  const style = selectField({ id: 'profile-style', label: 'Style', values: STYLES, value: behavior.style,
    hint: 'How the conversation is organised.' });
  const difficulty = selectField({ id: 'profile-difficulty', label: 'Difficulty', values: DIFFICULTIES,
    value: behavior.difficulty, hint: 'Adaptive follows the candidate.' });
  const depth = selectField({ id: 'profile-depth', label: 'Probing depth', values: DEPTHS,
    value: behavior.probingDepth, hint: 'How many follow-ups a question may get.' });
  return {
    node: section('profile-behaviour', 'Conversation',
      h('div', { class: 'profile-grid' }, tone.wrap, style.wrap, difficulty.wrap, depth.wrap)),
    value: () => ({ behavior: { tone: tone.input.value, style: style.input.value,
      difficulty: difficulty.input.value, probingDepth: depth.input.value } }),
    entries: () => ({ 'behavior.tone': tone, 'behavior.style': style, 'behavior.difficulty': difficulty,
      'behavior.probingDepth': depth }),
  };
}
