/*
 * "+ Add" > Create individually: a candidate's name and email (required), phone, organisation or school,
 * title, skills and education, an optional start time, and a resume (PDF or DOCX) that fills the empty
 * fields for the recruiter to check. Saving books a session of this template with the participant inline
 * (POST /v1/sessions), which emails them the invitation; the API's errors show by their fields.
 */

import * as api from './api.js';
import { h, sentence } from './dom.js';
import { field, formDialog, formErrors } from './forms.js';
import {
  RESUME_ACCEPT, inlineParticipant, isoWithOffset, keepUntilField, parseResumes, placeError, scheduleField,
  scheduleProblem, splitList, stagePicker,
} from './session-fields.js';

const FIELD_NAMES = ['name', 'email', 'phone', 'organization', 'title', 'skills', 'education', 'schedule', 'keep',
  'stage', 'resume'];

export async function addIndividually(page) {
  if (!(await page.currentStages()).length) {
    page.notify('attention', 'Add a stage to this interview first: each session runs one.', 'ts-no-stage');
    return;
  }
  const resume = field({ id: 'ts-add-resume', label: 'Resume (optional)', type: 'file', accept: RESUME_ACCEPT,
    hint: 'PDF or DOCX. The empty fields below are filled from it for you to check; the file is kept with '
      + 'them.' });
  const resumeStatus = h('p', { class: 'ts-filled', role: 'status', 'data-testid': 'ts-add-resume-status' });
  const f = {
    name: field({ id: 'ts-add-name', label: 'Name', required: true, maxlength: 200, autocomplete: 'off' }),
    email: field({ id: 'ts-add-email', label: 'Email', type: 'email', required: true, maxlength: 320,
      spellcheck: false, hint: 'The invitation with their link goes here.' }),
    phone: field({ id: 'ts-add-phone', label: 'Phone (optional)', type: 'tel', maxlength: 64 }),
    organization: field({ id: 'ts-add-organization', label: 'Organization or school (optional)', maxlength: 200 }),
    title: field({ id: 'ts-add-title', label: 'Title (optional)', maxlength: 200 }),
    skills: field({ id: 'ts-add-skills', label: 'Skills (optional)', maxlength: 2000,
      hint: 'Separated by commas.' }),
    education: field({ id: 'ts-add-education', label: 'Education (optional)', maxlength: 200 }),
  };
  const stage = stagePicker('ts-add-stage', page.stages);
  const schedule = scheduleField('ts-add-schedule');
  const keep = keepUntilField('ts-add-keep');
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'ts-add-form-error' });
  const errors = formErrors({ ...f, schedule, keep, stage, resume }, general);
  let languages = [];
  let resumeFileId = null; // the parsed file, kept with the candidate when they are saved
  let booked = null;

  resume.input.addEventListener('change', async () => {
    const file = resume.input.files?.[0];
    resume.error.textContent = '';
    resume.input.setAttribute('aria-invalid', 'false');
    resumeStatus.textContent = '';
    resumeFileId = null;
    if (!file) return;
    resumeStatus.textContent = 'Reading the resume…';
    let found;
    try {
      [found] = await parseResumes([file], page.signal);
    } catch (error) {
      if (api.isAbort(error)) return;
      resumeStatus.textContent = '';
      resume.error.textContent = sentence(error.message);
      resume.input.setAttribute('aria-invalid', 'true');
      return;
    }
    if (!found || found.status !== 'parsed') {
      resumeStatus.textContent = '';
      resume.error.textContent = sentence(found?.error || 'The resume could not be read.');
      resume.input.setAttribute('aria-invalid', 'true');
      return;
    }
    resumeFileId = found.resume_file_id ?? null;
    const filled = fillEmpty(f, found.draft ?? {});
    languages = found.draft?.languages ?? [];
    const spoken = languages.length ? ` Languages saved with them: ${languages.join(', ')}.` : '';
    resumeStatus.textContent = (filled.length
      ? `Filled from the resume, check before saving: ${filled.join(', ')}.`
      : 'Nothing was filled from the resume: the fields already had values, or it named none.') + spoken;
  });

  const saved = await formDialog({
    title: 'Add a candidate',
    testid: 'ts-add-dialog',
    submitLabel: 'Save and invite',
    busyLabel: 'Inviting…',
    content: [
      h('p', { class: 'hint', text: `They are booked for ${page.template.name} and emailed their invite link.` }),
      resume.wrap, resumeStatus,
      f.name.wrap, f.email.wrap, f.phone.wrap, f.organization.wrap, f.title.wrap, f.skills.wrap, f.education.wrap,
      stage.wrap, schedule.wrap, keep.wrap, general],
    onSubmit: async () => {
      errors.clear();
      const value = (name) => f[name].input.value.trim();
      if (errors.check({
        name: value('name') ? '' : 'Enter their name.',
        email: value('email') ? '' : 'Enter their email.',
        schedule: scheduleProblem(schedule.input.value),
        keep: keep.input.value ? '' : 'Choose a date.',
      })) return false;
      const draft = { name: value('name'), email: value('email'), phone: value('phone'),
        organization: value('organization'), title: value('title'), skills: splitList(f.skills.input.value),
        education: value('education'), languages, resume_file_id: resumeFileId };
      const body = { participant: inlineParticipant(draft, page.template.id, keep.input.value),
        stage_id: stage.value() };
      const when = isoWithOffset(schedule.input.value);
      if (when) body.schedule_time = when;
      try {
        booked = await api.post('/v1/sessions', body);
      } catch (error) {
        if (!api.isAbort(error)) placeError(errors, general, error, FIELD_NAMES);
        return false;
      }
      return true;
    },
  });
  if (!saved || !booked) return;
  await page.refresh();
  page.notify('success', `${booked.participant_name ?? 'The candidate'} is added and invited by email `
    + `(${booked.participant_email ?? ''}).`, 'ts-added');
}

// Draft keys -> the dialog's fields; only empty fields are filled, so nothing typed is overwritten.
const DRAFT_FIELDS = [
  ['name', 'name', 'name'],
  ['email', 'email', 'email'],
  ['phone', 'phone', 'phone'],
  ['organization', 'organization', 'organization'],
  ['title', 'title', 'title'],
  ['skills', 'skills', 'skills'],
  ['education', 'education', 'education'],
];

function fillEmpty(fields, draft) {
  const filled = [];
  for (const [key, name, label] of DRAFT_FIELDS) {
    const raw = draft[key];
    const value = Array.isArray(raw) ? raw.join(', ') : String(raw ?? '').trim();
    const input = fields[name].input;
    if (!value || input.value.trim()) continue;
    input.value = value;
    input.dataset.filled = 'resume';
    // Once the recruiter edits it, it is theirs: no longer marked as from the resume.
    input.addEventListener('input', () => { delete input.dataset.filled; }, { once: true });
    filled.push(label);
  }
  return filled;
}
