/*
 * "New interview": a dialog that starts a template from one of the API's presets
 * (GET /v1/templates/presets: hiring, training, mock). Choosing a preset fills
 * the objective, verdict vocabulary, session mode and length, which can be
 * changed before creating; everything else is on the template's Settings tab.
 */

import * as api from './api.js';
import { h, humanize } from './dom.js';
import { field, formDialog, formErrors, notify } from './forms.js';
import { checkNumber, numberValue, radioField, selectField, textareaField } from './controls.js';
import { OUTCOMES, SESSION_MODES, USE_CASES, labelOf, setFlash, templatePath } from './template-vocab.js';

const PRESET_NAMES = { hiring: 'Hiring', training: 'Training', mock: 'Mock interview' };
// Presets set no length: a new template's default (config/templates.py).
const DEFAULT_MINUTES = 30;

export async function newInterview(page) {
  let presets;
  try {
    presets = await api.get('/v1/templates/presets', {}, { signal: page.ctx.signal });
  } catch (error) {
    if (!api.isAbort(error)) notify(page.notices, 'error', `Presets could not be loaded: ${error.message}`,
      'template-new-error');
    return;
  }
  const first = presets[0];
  const name = field({ id: 'new-template-name', label: 'Name', required: true, maxlength: 200,
    hint: 'What candidates and your team see, e.g. “Senior Backend Engineer”.' });
  const preset = radioField({ id: 'new-template-preset', legend: 'Start from', value: first?.name,
    hint: 'A preset fills the fields below; you can change them now or later in Settings.',
    options: presets.map((p) => [p.name, `${PRESET_NAMES[p.name] ?? humanize(p.name)}: “${p.objective}” `
      + `(${labelOf(USE_CASES, p.use_case).toLowerCase()})`, `preset-${p.name}`]) });
  const objective = textareaField({ id: 'new-template-objective', label: 'Objective', maxlength: 10000,
    hint: 'The single thing the interview must determine.' });
  // Custom labels are set in Settings: this dialog keeps to the preset vocabularies.
  const outcome = selectField({ id: 'new-template-outcome', label: 'Verdict vocabulary',
    options: OUTCOMES.filter(([value]) => value !== 'custom') });
  const mode = selectField({ id: 'new-template-mode', label: 'Session mode', options: SESSION_MODES });
  const minutes = field({ id: 'new-template-minutes', label: 'Length (minutes)', type: 'number', min: 5, max: 240,
    step: 1, inputmode: 'numeric', value: String(DEFAULT_MINUTES), hint: 'From 5 to 240.' });

  const fill = (chosen) => {
    if (!chosen) return;
    objective.input.value = chosen.objective;
    outcome.input.value = chosen.success_outcome;
    mode.input.value = chosen.default_session_mode;
    minutes.input.value = String(DEFAULT_MINUTES);
  };
  for (const radio of preset.radios) {
    radio.addEventListener('change', () => fill(presets.find((p) => p.name === radio.value)));
  }
  fill(first);

  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'new-template-form-error' });
  const errors = formErrors({ name, preset, objective, success_outcome: outcome, default_session_mode: mode,
    duration_minutes: minutes }, general);
  let created = null;
  await formDialog({
    title: 'New interview',
    testid: 'new-template',
    submitLabel: 'Create interview',
    busyLabel: 'Creating…',
    content: [name.wrap, preset.wrap, objective.wrap, outcome.wrap, mode.wrap, minutes.wrap, general],
    onSubmit: async () => {
      errors.clear();
      const length = numberValue(minutes.input);
      const body = {
        name: name.input.value.trim(),
        preset: preset.value(),
        objective: objective.input.value.trim(),
        success_outcome: outcome.input.value,
        default_session_mode: mode.input.value,
        duration_minutes: length,
      };
      if (errors.check({ name: body.name ? '' : 'Enter a name for the interview.',
        duration_minutes: checkNumber(length, 'a length in minutes') })) return false;
      try {
        created = await api.post('/v1/templates', body);
      } catch (error) {
        if (!api.isAbort(error)) errors.fromApi(error);
        return false;
      }
      return true;
    },
  });
  if (!created) return;
  api.forgetTemplates();
  setFlash('template', `${created.name} created from the ${PRESET_NAMES[preset.value()] ?? preset.value()} preset. `
    + 'Check its settings, then add its stages.');
  page.ctx.navigate(templatePath(created.id, 'settings'));
}
