/*
 * The words of evaluation templates and stages as the pages show them. The values mirror config/enums.py
 * (UseCase, SuccessOutcome, SessionMode, Depth, StageType, OnComplete); tests/engine/test_browser_templates.py
 * checks that they still do.
 */

export const USE_CASES = [
  ['hiring', 'Hiring'],
  ['training', 'Training'],
  ['admissions', 'Admissions'],
  ['assessment', 'Assessment'],
  ['certification', 'Certification'],
  ['custom', 'Custom'],
];

export const OUTCOMES = [
  ['hire_no_hire', 'Hire / No hire'],
  ['admit_reject', 'Admit / Reject'],
  ['pass_fail', 'Pass / Fail'],
  ['ready_needs_training', 'Ready / Needs training'],
  ['certified_not_certified', 'Certified / Not certified'],
  ['custom', 'Custom labels'],
];

// A new use case brings its own verdict vocabulary (config/enums.py _OUTCOME_BY_USE_CASE).
export const OUTCOME_FOR_USE_CASE = {
  hiring: 'hire_no_hire',
  training: 'ready_needs_training',
  admissions: 'admit_reject',
  assessment: 'pass_fail',
  certification: 'certified_not_certified',
  custom: 'custom',
};

export const SESSION_MODES = [
  ['live_ai_interview', 'Live AI interview'],
  ['async_interview', 'Async interview'],
  ['roleplay_simulation', 'Roleplay simulation'],
  ['practice_session', 'Practice session'],
  ['manual_review', 'Manual review'],
];

export const DEPTHS = [
  ['basic', 'Basic'],
  ['intermediate', 'Intermediate'],
  ['advanced', 'Advanced'],
  ['expert', 'Expert'],
];

export const STAGE_TYPES = [
  ['ai_interview', 'AI interview'],
  ['roleplay_simulation', 'Roleplay simulation'],
  ['practice_session', 'Practice session'],
  ['async_assessment', 'Async assessment'],
  ['manual_review', 'Manual review (people only)'],
  ['final_review', 'Final review (people only)'],
];

// Stage types run by people, without an AI interviewer: they need no agent profile.
export const HUMAN_STAGE_TYPES = new Set(['manual_review', 'final_review']);

export const ON_COMPLETE = [
  ['auto_advance', 'Advance to the next stage automatically'],
  ['human_approval', 'Wait for a person to approve'],
];

/** The label of `value` in one of the lists above, or the value itself. */
export function labelOf(list, value) {
  return list.find(([key]) => key === value)?.[1] ?? String(value ?? '');
}

/** A template's verdict vocabulary in words: "Hire / No hire", or its custom labels. */
export function verdictText(template) {
  if (template.success_outcome === 'custom') {
    const labels = template.custom_outcome_labels;
    return labels ? `${labels.positive} / ${labels.negative}` : 'Custom labels';
  }
  return labelOf(OUTCOMES, template.success_outcome);
}

export function templatePath(id, tab = '') {
  const path = `/review/templates/${encodeURIComponent(id)}`;
  return tab ? `${path}?tab=${tab}` : path;
}

export function profilePath(id) {
  return `/review/profiles/${encodeURIComponent(id)}`;
}

// ---- A message for the next page (after a create or a delete sends the recruiter there) ----

const flashes = new Map();

export function setFlash(pageKey, text) {
  flashes.set(pageKey, text);
}

export function takeFlash(pageKey) {
  const text = flashes.get(pageKey) ?? '';
  flashes.delete(pageKey);
  return text;
}
