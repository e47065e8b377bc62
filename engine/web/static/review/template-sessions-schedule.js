/*
 * "Schedule": book sessions for participants of this template who have none open (never invited, or
 * whose sessions all ended), one or many at once, now or at a chosen time. Each is booked with
 * POST /v1/sessions (participant_id + template_id + stage_id), which emails the invitation. A refusal
 * stays in the dialog beside that participant; the ones booked are ticked off.
 */

import * as api from './api.js';
import { h } from './dom.js';
import { formDialog, formErrors } from './forms.js';
import {
  errorLine, isoWithOffset, many, placeError, scheduleField, scheduleProblem, stagePicker,
} from './session-fields.js';

const OPEN = new Set(['scheduled', 'in_progress']);

export async function scheduleParticipants(page) {
  if (!(await page.currentStages()).length) {
    page.notify('attention', 'Add a stage to this interview first: each session runs one.', 'ts-no-stage');
    return;
  }
  const people = await api.listAll('/v1/participants', { template_id: page.template.id }, { signal: page.signal });
  const busy = new Set(page.sessions.filter((s) => OPEN.has(s.status)).map((s) => s.participant_id));
  const free = people.filter((p) => !busy.has(p.id)).sort((a, b) => a.name.localeCompare(b.name));
  if (!free.length) {
    page.notify('attention', people.length
      ? 'Every participant of this interview already has a session open.'
      : 'This interview has no participants yet: add candidates with “+ Add”.', 'ts-none-free');
    return;
  }

  const boxes = free.map((person, index) => {
    const box = h('input', { type: 'checkbox', id: `ts-pick-${index}`, value: person.id, 'data-testid': 'ts-pick',
      dataset: { email: person.email } });
    const status = h('span', { class: 'ts-pick-status', 'data-testid': 'ts-pick-status' });
    const line = h('li', {}, h('label', { class: 'choice', for: box.id }, box,
      h('span', {}, person.name, h('span', { class: 'cell-sub', text: person.email }))), status);
    return { person, box, status, line, done: false };
  });
  const all = h('input', { type: 'checkbox', id: 'ts-pick-all', 'data-testid': 'ts-pick-all' });
  all.addEventListener('change', () => {
    for (const item of boxes) if (!item.done) item.box.checked = all.checked;
  });
  const pickError = h('p', { id: 'ts-pick-error', class: 'form-error', 'data-testid': 'ts-pick-error' });
  const picks = h('fieldset', { class: 'ts-picks', 'aria-describedby': 'ts-pick-error' },
    h('legend', { text: 'Participants without an open session' }),
    h('label', { class: 'choice', for: all.id }, all, 'Select all'),
    h('ul', { class: 'ts-pick-list' }, boxes.map((item) => item.line)), pickError);
  const stage = stagePicker('ts-schedule-stage', page.stages);
  const when = scheduleField('ts-schedule-time');
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'ts-schedule-form-error' });
  const errors = formErrors({
    picks: { error: pickError, input: null, focus: { focus: () => (boxes.find((b) => !b.done)?.box ?? all).focus() } },
    schedule: when, stage,
  }, general);
  let booked = 0;

  await formDialog({
    title: 'Schedule sessions',
    testid: 'ts-schedule-dialog',
    submitLabel: 'Schedule selected',
    busyLabel: 'Scheduling…',
    content: [h('p', { class: 'hint', text: 'Each one is emailed an invitation with their link.' }), picks,
      stage.wrap, when.wrap, general],
    onSubmit: async () => {
      errors.clear();
      const chosen = boxes.filter((item) => item.box.checked && !item.done);
      if (errors.check({
        picks: chosen.length ? '' : 'Choose at least one participant.',
        schedule: scheduleProblem(when.input.value),
      })) return false;
      const time = isoWithOffset(when.input.value);
      let failed = 0;
      for (const item of chosen) {
        const body = { participant_id: item.person.id, template_id: page.template.id, stage_id: stage.value() };
        if (time) body.schedule_time = time;
        item.status.textContent = 'Scheduling…';
        try {
          await api.post('/v1/sessions', body, { signal: page.signal });
        } catch (error) {
          if (api.isAbort(error)) return false;
          failed += 1;
          // A problem with the time or stage applies to all: show it there, once.
          if ((error.details?.fields ?? []).some((f) => ['schedule_time', 'stage_id'].includes(f.path))) {
            item.status.textContent = '';
            placeError(errors, general, error, ['schedule', 'stage']);
            return false;
          }
          item.status.textContent = errorLine(error);
          continue;
        }
        booked += 1;
        item.done = true;
        item.box.checked = false;
        item.box.disabled = true;
        item.status.textContent = 'Scheduled';
      }
      if (failed) general.textContent = `${failed} could not be scheduled: see beside each.`;
      return failed === 0;
    },
  });
  if (!booked) return;
  await page.refresh();
  page.notify('success', `${many(booked, 'session')} scheduled; each participant is emailed an invitation.`,
    'ts-scheduled');
}
