/*
 * Scoring: the scale, the method, and the recommendation rules (scoring.recommendationLogic) with the
 * rule language's errors shown as the recruiter types. About 300 ms after the last keystroke the text
 * goes to POST /v1/recommendation-logic/check with the rubric's names, the use case and the scoring
 * method; its errors ("Line 3, column 7: ...") are listed under the text area and tied to it by
 * aria-describedby. A server
 * without that endpoint (404) is not an error: the rules are then checked when the profile is saved.
 */

import * as api from './api.js';
import { h, sentence } from './dom.js';
import { LABELS_BY_USE_CASE, METHODS, SCALES, section, selectField, textareaField } from './profile-fields.js';

const CHECK_PATH = '/v1/recommendation-logic/check';
const DEBOUNCE_MS = 300;

const METHOD_HINTS = {
  weighted_average: 'The overall score is the weighted average of the dimension scores. Rules below are '
    + 'optional: plain text is kept as guidance, text with “->” is checked as rules.',
  rule_based: 'The rules below decide the recommendation from the dimension scores. They are required.',
};

/** "Line 3, column 7: expected '->' ..." (the position left out when the checker gives none). */
export function describeRuleError(error) {
  const message = sentence(error?.message ?? '');
  if (!error?.line) return message;
  return `Line ${error.line}, column ${error.column ?? 1}: ${message}`;
}

/**
 * `context()` gives `{ dimensions, use_case }` for the check; `signal` is the page's (leaving it stops
 * the checks). `schedule()` is called on any change: the check runs only when what it would send changed.
 */
export function scoringSection(profile, { context, signal }) {
  const scoring = profile.scoring ?? {};
  const scale = selectField({ id: 'profile-scale', label: 'Score scale', values: SCALES, value: scoring.scale,
    hint: 'Each dimension is scored on this scale.' });
  const method = selectField({ id: 'profile-method', label: 'Scoring method', values: METHODS,
    value: scoring.scoringMethod, hint: METHOD_HINTS[scoring.scoringMethod] ?? METHOD_HINTS.weighted_average });
  const logic = textareaField({ id: 'profile-logic', label: 'Recommendation rules', rows: 6, maxlength: 10000,
    value: scoring.recommendationLogic ?? '', spellcheck: false, autocapitalize: 'off', class: 'textarea mono',
    // Unwrapped, so the lines on screen are the lines the errors count.
    wrap: 'off' });
  // What the live check found: a status line (read out) and the errors, one per line.
  const status = h('p', { id: 'logic-status', class: 'hint logic-status', 'aria-live': 'polite',
    'data-testid': 'logic-status' });
  const problems = h('ul', { id: 'logic-problems', class: 'logic-problems', 'data-testid': 'logic-problems' });
  logic.input.setAttribute('aria-describedby', 'logic-help-summary logic-status logic-problems profile-logic-error');
  logic.wrap.insertBefore(h('div', { class: 'logic-check' }, status, problems), logic.error);
  const labels = h('span', { 'data-testid': 'logic-labels' });
  const help = syntaxHelp(labels);
  logic.wrap.append(help);

  let timer = null;
  let lastSent = null;
  let controller = null;
  let unavailable = false;

  method.input.addEventListener('change', () => {
    method.hint.textContent = METHOD_HINTS[method.input.value];
    schedule();
  });
  logic.input.addEventListener('input', schedule);
  signal.addEventListener('abort', () => {
    window.clearTimeout(timer);
    controller?.abort();
  });

  function schedule() {
    showLabels();
    window.clearTimeout(timer);
    timer = window.setTimeout(check, DEBOUNCE_MS);
  }

  function showLabels() {
    const own = LABELS_BY_USE_CASE[context().use_case] ?? [];
    labels.textContent = [...own, 'positive', 'negative'].join(', ');
  }

  async function check() {
    const text = logic.input.value;
    if (!text.trim()) {
      lastSent = null;
      controller?.abort();
      show(method.input.value === 'rule_based' ? 'Write the rules: rule-based scoring needs them.' : '', []);
      return;
    }
    if (unavailable) return;
    const { dimensions, use_case: useCase } = context();
    // The method too: with rule_based even text without "->" must be rules, as the save will say.
    const body = { recommendation_logic: text, dimensions, use_case: useCase ?? null,
      scoring_method: method.input.value };
    const key = JSON.stringify(body);
    if (key === lastSent) return;
    lastSent = key;
    controller?.abort();
    controller = new AbortController();
    const mine = controller;
    let answer;
    try {
      answer = await api.post(CHECK_PATH, body, { signal: mine.signal });
    } catch (error) {
      if (api.isAbort(error) || mine.signal.aborted) return;
      lastSent = null;
      if (error.status === 404 || error.status === 405) {
        // This server has no live checker: say so once, and leave the check to the save.
        unavailable = true;
        show('The rules are checked when you save.', []);
        return;
      }
      show(`The rules could not be checked just now (${sentence(error.message)}); they are checked when you save.`,
        []);
      return;
    }
    if (mine !== controller) return; // a newer check is on its way
    const errors = Array.isArray(answer?.errors) ? answer.errors : [];
    if (errors.length) {
      const count = errors.length === 1 ? '1 problem' : `${errors.length} problems`;
      show(`${count} in the rules:`, errors);
    } else if (answer?.is_rule_program === false) {
      show(method.input.value === 'rule_based'
        ? 'This is not written as rules yet: each rule needs a condition, “->” and a label.'
        : 'Plain text, without “->”: kept as guidance for the interviewer, not checked as rules.', []);
    } else {
      show(answer?.valid === false ? 'The rules cannot be used as they are.' : 'The rules are valid.', []);
    }
    status.dataset.state = errors.length || answer?.valid === false ? 'invalid' : 'valid';
  }

  function show(text, errors) {
    status.textContent = text;
    delete status.dataset.state;
    problems.replaceChildren(...errors.map((error) => h('li', { class: 'form-error', 'data-testid': 'logic-problem',
      text: describeRuleError(error) })));
    logic.input.setAttribute('aria-invalid', errors.length ? 'true' : 'false');
  }

  showLabels();
  if (logic.input.value.trim()) schedule();

  return {
    node: section('profile-scoring', 'Scoring', h('div', { class: 'profile-grid' }, scale.wrap, method.wrap),
      logic.wrap),
    schedule,
    value: () => ({ scoring: { scale: scale.input.value, scoringMethod: method.input.value,
      recommendationLogic: logic.input.value.trim() || null } }),
    problems: () => (method.input.value === 'rule_based' && !logic.input.value.trim()
      ? [['scoring.recommendationLogic', 'Write the rules: rule-based scoring needs them.']] : []),
    entries: () => ({ scoring: method, 'scoring.scale': scale, 'scoring.scoringMethod': method,
      'scoring.recommendationLogic': logic }),
  };
}

function syntaxHelp(labels) {
  const code = (text) => h('code', { text });
  return h('details', { class: 'logic-help', 'data-testid': 'logic-help' },
    h('summary', { id: 'logic-help-summary', text: 'How to write rules' }),
    h('p', { text: 'One rule per line: a condition, “->”, then the recommendation. Rules are tried from the top; '
      + 'the first that holds decides.' }),
    h('pre', { class: 'logic-example' }, code('# Strong everywhere, and a real systems thinker\n'
      + 'all >= 6 and "System Design" >= 7 -> hire\n'
      + '"Communication" < 4 -> no_hire\n'
      + 'otherwise -> negative')),
    h('ul', { class: 'logic-help-list' },
      h('li', {}, 'Scores: a dimension’s name in double quotes (', code('"Communication"'), '), ', code('overall'),
        ' (the weighted average), ', code('min'), ', ', code('max'), ', ', code('avg'), ', and ', code('all'),
        ' / ', code('any'), ' for every / some dimension.'),
      h('li', {}, 'Compare with ', code('>= > <= < == !='), ' (', code('4 <= "Ownership" < 7'), ' works); join '
        + 'with ', code('and'), ', ', code('or'), ', ', code('not'), ' and parentheses.'),
      h('li', {}, 'Recommendations for this use: ', labels, '. ', code('positive'), ' and ', code('negative'),
        ' stand for the template’s own words.'),
      h('li', {}, code('otherwise -> label'), ' as the last rule catches the rest; ', code('#'),
        ' starts a comment.')));
}
