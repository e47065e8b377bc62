/*
 * Adding or editing one stage of an interview's pipeline, in a dialog: every
 * field of config/stages.py but its position (the list reorders): name, type,
 * the agent profile that conducts it (with a link to the profile), the pass
 * threshold, whether a retry is allowed, what happens on completion, whether
 * the embedded scorer may move participants on without a person, and an
 * optional length of its own.
 */

import * as api from './api.js';
import { h } from './dom.js';
import { checkNumber, checkboxField, numberValue, radioField, selectField } from './controls.js';
import { field, formDialog, formErrors } from './forms.js';
import { HUMAN_STAGE_TYPES, ON_COMPLETE, STAGE_TYPES, profilePath } from './template-vocab.js';

/**
 * Opens the dialog for `stage` (null: a new one). `profiles`: the agent profiles a stage may use, or null when
 * the sign-in cannot list them. Resolves the saved stage, or null when cancelled.
 */
export async function stageDialog(page, stage, profiles) {
  const editing = Boolean(stage);
  const name = field({ id: 'stage-name', label: 'Name', required: true, maxlength: 200, value: stage?.name ?? '',
    hint: 'Shown to participants, e.g. “Phone screen” or “Technical”.' });
  const type = selectField({ id: 'stage-type', label: 'Type', options: STAGE_TYPES,
    value: stage?.type ?? 'ai_interview' });
  const profile = profileSelect(stage, profiles);
  const threshold = field({ id: 'stage-threshold', label: 'Pass threshold', type: 'number', min: 0, max: 100,
    step: 'any', inputmode: 'decimal', value: String(stage?.pass_threshold ?? 60),
    hint: 'The lowest overall rating (0 to 100) that passes this stage.' });
  const retry = checkboxField({ id: 'stage-retry', label: 'Allow a retry after a failed attempt',
    checked: stage?.allow_retry ?? false });
  const onComplete = radioField({ id: 'stage-on-complete', legend: 'When a participant passes',
    options: ON_COMPLETE, value: stage?.on_complete ?? 'auto_advance' });
  const embedded = checkboxField({ id: 'stage-embedded-decides',
    label: 'Let the embedded scorer advance or fail participants without a person',
    checked: stage?.embedded_scorer_decides ?? false,
    hint: 'Off: results from the embedded (offline) scorer wait for a person to approve or reject them. '
      + 'It measures structure and relevance, not correctness, and on interviews it was never tuned on '
      + 'some of its pass or fail verdicts go against a hiring panel’s. Results from an LLM scorer are not held.' });
  const minutes = field({ id: 'stage-minutes', label: 'Length in minutes (optional)', type: 'number', min: 5,
    max: 240, step: 1, inputmode: 'numeric', value: stage?.duration_minutes ? String(stage.duration_minutes) : '',
    hint: `Empty: the interview’s length (${page.template.duration_minutes} min).` });

  const syncType = () => {
    const human = HUMAN_STAGE_TYPES.has(type.input.value);
    profile.none.textContent = human ? 'No interviewer (people run this stage)' : 'Choose an interviewer';
  };
  type.input.addEventListener('change', syncType);
  syncType();

  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'stage-form-error' });
  const errors = formErrors({ name, type, agent_profile_id: profile, pass_threshold: threshold, allow_retry: retry,
    on_complete: onComplete, embedded_scorer_decides: embedded, duration_minutes: minutes, order: { error: general, input: null } }, general);
  let saved = null;
  await formDialog({
    title: editing ? `Edit ${stage.name}` : 'Add a stage',
    testid: 'stage-dialog',
    submitLabel: editing ? 'Save stage' : 'Add stage',
    busyLabel: editing ? 'Saving…' : 'Adding…',
    content: [name.wrap, type.wrap, profile.wrap, threshold.wrap, retry.wrap, onComplete.wrap, embedded.wrap,
      minutes.wrap, general],
    onSubmit: async () => {
      errors.clear();
      const pass = numberValue(threshold.input);
      const length = numberValue(minutes.input);
      const body = {
        name: name.input.value.trim(),
        type: type.input.value,
        agent_profile_id: profile.input.value || null,
        pass_threshold: pass,
        allow_retry: retry.input.checked,
        on_complete: onComplete.value(),
        embedded_scorer_decides: embedded.input.checked,
        duration_minutes: length,
      };
      if (errors.check({
        name: body.name ? '' : 'Enter a name for the stage.',
        agent_profile_id: !body.agent_profile_id && !HUMAN_STAGE_TYPES.has(body.type)
          ? 'Choose the interviewer who conducts this stage.' : '',
        pass_threshold: checkNumber(pass, 'a pass threshold'),
        duration_minutes: Number.isNaN(length) ? 'Enter the length as a whole number of minutes, or leave it empty.'
          : '',
      })) return false;
      try {
        saved = editing
          ? await api.patch(`/v1/stages/${encodeURIComponent(stage.id)}`, body)
          : await api.post(`${page.path}/stages`, body);
      } catch (error) {
        if (!api.isAbort(error)) errors.fromApi(error);
        return false;
      }
      return true;
    },
  });
  return saved;
}

/** The agent profile select and a link to the chosen profile's page, kept in step. */
function profileSelect(stage, profiles) {
  const current = stage?.agent_profile_id ?? '';
  const listed = profiles ?? [];
  const options = [['', ''], ...listed.map((p) => [p.id, p.name])];
  // A profile the list does not hold (the sign-in cannot list profiles): still shown, by its id.
  if (current && !listed.some((p) => p.id === current)) options.push([current, `Profile ${current}`]);
  const select = selectField({ id: 'stage-profile', label: 'Interviewer (agent profile)', options,
    value: current || (listed[0]?.id ?? ''), testid: 'stage-profile',
    hint: profiles ? 'The persona and rubric that conduct this stage. Generic-focus profiles (for sessions '
      + 'without a template) are not listed.' : 'Your sign-in cannot list agent profiles.' });
  const none = select.input.querySelector('option[value=""]');
  const link = h('a', { class: 'profile-link', 'data-testid': 'stage-profile-link' });
  // The profile page replaces this one: the dialog closes first rather than stay over it.
  link.addEventListener('click', () => link.closest('dialog')?.close());
  const sync = () => {
    const chosen = select.input.value;
    link.hidden = !chosen;
    if (!chosen) return;
    link.href = profilePath(chosen);
    link.textContent = `Open ${select.input.selectedOptions[0]?.textContent ?? 'the profile'}`;
  };
  select.input.addEventListener('change', sync);
  sync();
  select.wrap.insertBefore(h('p', { class: 'hint profile-link-row' }, link), select.error);
  return { ...select, none };
}
