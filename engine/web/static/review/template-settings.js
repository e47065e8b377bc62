/*
 * The Settings tab of an interview: every field of the template (config/templates.py)
 * in one form saved with PATCH, the API's errors next to the field they name,
 * skills and traits as chips; and the public link switch (template-public-link.js).
 * Edits not saved yet hold the page: leaving asks first (ctx.guardLeave, app.js).
 */

import * as api from './api.js';
import { h } from './dom.js';
import { chipsField } from './chips.js';
import { checkNumber, numberValue, selectField, textareaField } from './controls.js';
import { field, formErrors, notify } from './forms.js';
import { publicLinkCard } from './template-public-link.js';
import { DEPTHS, OUTCOMES, OUTCOME_FOR_USE_CASE, SESSION_MODES, USE_CASES } from './template-vocab.js';

export async function render(panel, page) {
  const write = page.held.has('write:templates');
  // The link first: switching it is what a recruiter comes here for most often.
  panel.replaceChildren(await publicLinkCard(page, write), settingsCard(page, write));
}

function settingsCard(page, write) {
  const t = page.template;
  const name = field({ id: 'template-name', label: 'Name', required: true, maxlength: 200, value: t.name });
  const useCase = selectField({ id: 'template-use-case', label: 'Use case', options: USE_CASES, value: t.use_case,
    hint: 'Changing it also picks that use case’s verdict vocabulary.' });
  const objective = textareaField({ id: 'template-objective', label: 'Objective', maxlength: 10000,
    value: t.objective, hint: 'The single thing the interview must determine.' });
  const outcome = selectField({ id: 'template-outcome', label: 'Verdict vocabulary', options: OUTCOMES,
    value: t.success_outcome, hint: 'The words of the recommendation on each scorecard.' });
  const labels = customLabels(t.custom_outcome_labels);
  const skills = chipsField({ id: 'template-skills', label: 'Skills', noun: 'skill', values: t.skills ?? [] });
  const traits = chipsField({ id: 'template-traits', label: 'Traits', noun: 'trait', values: t.traits ?? [] });
  const criteria = textareaField({ id: 'template-criteria', label: 'Pass criteria', maxlength: 10000,
    value: t.pass_criteria, hint: 'What the participant must demonstrate to pass, in plain language.' });
  const minutes = field({ id: 'template-minutes', label: 'Length (minutes)', type: 'number', min: 5, max: 240,
    step: 1, inputmode: 'numeric', value: String(t.duration_minutes), hint: 'From 5 to 240; a stage may set its own.' });
  const depth = selectField({ id: 'template-depth', label: 'Question depth', options: DEPTHS, value: t.depth });
  const mode = selectField({ id: 'template-mode', label: 'Session mode', options: SESSION_MODES,
    value: t.default_session_mode, hint: 'The format of this interview’s sessions.' });

  const syncLabels = () => { labels.wrap.hidden = outcome.input.value !== 'custom'; };
  useCase.input.addEventListener('change', () => {
    outcome.input.value = OUTCOME_FOR_USE_CASE[useCase.input.value] ?? outcome.input.value;
    syncLabels();
  });
  outcome.input.addEventListener('change', syncLabels);
  syncLabels();

  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'settings-form-error' });
  const errors = formErrors({
    name, use_case: useCase, objective, success_outcome: outcome, custom_outcome_labels: labels, skills, traits,
    pass_criteria: criteria, duration_minutes: minutes, depth, default_session_mode: mode,
  }, general);
  const status = h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'settings-status' });
  const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'settings-save',
    text: 'Save settings' });
  const form = h('form', { class: 'form settings-form', novalidate: true, 'data-testid': 'settings-form' },
    name.wrap, useCase.wrap, objective.wrap,
    h('div', { class: 'settings-pair' }, outcome.wrap, labels.wrap),
    skills.wrap, traits.wrap, criteria.wrap,
    h('div', { class: 'settings-row' }, minutes.wrap, depth.wrap, mode.wrap),
    general, status, write ? h('div', { class: 'form-actions' }, submit) : null);
  if (!write) {
    for (const control of form.querySelectorAll('input, select, textarea, button')) control.disabled = true;
  }
  // What is on screen, text still typed in a chips field included, against what was last saved.
  const onScreen = () => JSON.stringify([skills.values(), traits.values(),
    [...form.querySelectorAll('input, select, textarea')].map((c) => (c.type === 'checkbox' ? c.checked : c.value))]);
  let saved = onScreen();
  if (write) {
    page.ctx.guardLeave({ dirty: () => onScreen() !== saved,
      message: 'Your changes to this interview’s settings are not saved. If you leave, they are lost.' });
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!write) return;
    errors.clear();
    status.replaceChildren();
    // Text still in a chips field is part of what the recruiter means to save.
    if (!skills.commit() || !traits.commit()) {
      errors.focusFirst();
      return;
    }
    const length = numberValue(minutes.input);
    const custom = outcome.input.value === 'custom';
    const body = {
      name: name.input.value.trim(),
      use_case: useCase.input.value,
      objective: objective.input.value.trim(),
      success_outcome: outcome.input.value,
      custom_outcome_labels: custom ? labels.value() : null,
      skills: skills.values(),
      traits: traits.values(),
      pass_criteria: criteria.input.value.trim(),
      duration_minutes: length,
      depth: depth.input.value,
      default_session_mode: mode.input.value,
    };
    if (errors.check({
      name: body.name ? '' : 'Enter a name for the interview.',
      custom_outcome_labels: custom && !(body.custom_outcome_labels.positive && body.custom_outcome_labels.negative)
        ? 'Enter both labels.' : '',
      duration_minutes: checkNumber(length, 'a length in minutes'),
    })) return;
    const sent = onScreen(); // what typing during the save changes stays unsaved
    submit.disabled = true;
    submit.textContent = 'Saving…';
    try {
      page.setTemplate(await api.patch(page.path, body));
    } catch (error) {
      if (!api.isAbort(error)) errors.fromApi(error);
      return;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Save settings';
    }
    saved = sent;
    api.forgetTemplates();
    notify(status, 'success', 'Settings saved.', 'settings-saved', { focus: false });
  });

  return h('section', { class: 'card', 'aria-labelledby': 'settings-title', 'data-testid': 'settings' },
    h('h2', { id: 'settings-title', class: 'section-title', text: 'Settings' }),
    write ? null : h('p', { class: 'hint', text: 'Your sign-in may read these settings but not change them.' }),
    form);
}

/** The positive and negative verdict labels of a custom vocabulary, one error line for both. */
function customLabels(current) {
  const positive = field({ id: 'template-label-positive', label: 'Positive verdict', maxlength: 128,
    value: current?.positive ?? '', placeholder: 'e.g. shortlist' });
  const negative = field({ id: 'template-label-negative', label: 'Negative verdict', maxlength: 128,
    value: current?.negative ?? '', placeholder: 'e.g. decline' });
  const error = h('p', { id: 'template-labels-error', class: 'form-error', 'data-testid': 'template-labels-error' });
  for (const input of [positive.input, negative.input]) {
    input.setAttribute('aria-describedby', `${input.getAttribute('aria-describedby')} template-labels-error`);
  }
  const wrap = h('fieldset', { class: 'scopes labels-fieldset', 'data-testid': 'template-labels' },
    h('legend', { text: 'Custom verdict labels' }), positive.wrap, negative.wrap, error);
  return {
    wrap,
    error,
    input: positive.input,
    value: () => ({ positive: positive.input.value.trim(), negative: negative.input.value.trim() }),
  };
}
