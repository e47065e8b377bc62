/*
 * Pieces shared by the Sessions tab's dialogs (session-add.js, session-import-*.js,
 * template-sessions-*.js): the start-time and data-expiry fields, the stage picker,
 * the resume parser call, and the API's error paths (`participant.email`) put next to
 * the field a dialog shows for them.
 */

import * as api from './api.js';
import { h, sentence } from './dom.js';
import { cleanMessage, field } from './forms.js';

// config/sessions.py MAX_SCHEDULE_AHEAD_DAYS: the API refuses a start further ahead.
export const MAX_AHEAD_DAYS = 30;
export const RESUME_ACCEPT = '.pdf,.docx,application/pdf,'
  + 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';
// How long a new participant's data is kept unless the recruiter picks another date (inline participants
// must carry a gdpr_expiry_date, seed 003).
const KEEP_DAYS = 365;

const pad = (n) => String(n).padStart(2, '0');

/** A Date as the value of a datetime-local input, in the browser's time zone. */
export function localInput(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
    + `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function localDay(date) {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** A datetime-local value as ISO 8601 with the browser's UTC offset, e.g. 2025-03-01T09:30:00+01:00. */
export function isoWithOffset(value) {
  const date = new Date(value);
  if (!value || Number.isNaN(date.getTime())) return null;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${localInput(date)}:00${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** What is wrong with a start time the recruiter typed ('' when nothing, or when it is empty). */
export function scheduleProblem(value, { required = false } = {}) {
  if (!value) return required ? 'Choose a date and time.' : '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return 'Enter a date and time.';
  const now = Date.now();
  if (date.getTime() < now - 2 * 60 * 1000) return 'Choose a time from now on.';
  if (date.getTime() > now + MAX_AHEAD_DAYS * 86400 * 1000) return `Choose a time at most ${MAX_AHEAD_DAYS} days ahead.`;
  return '';
}

/** The optional (or, with `required`, mandatory) start-time field. */
export function scheduleField(id, { required = false, label = 'Interview time', value = '' } = {}) {
  const now = new Date();
  const latest = new Date(now.getTime() + MAX_AHEAD_DAYS * 86400 * 1000);
  return field({ id, label, type: 'datetime-local', required, value, min: localInput(now), max: localInput(latest),
    hint: required ? `Your local time, at most ${MAX_AHEAD_DAYS} days ahead.`
      : `Optional, your local time, at most ${MAX_AHEAD_DAYS} days ahead. Leave empty to let them start now.` });
}

/** The date the participant's data expires (inline participants need one). */
export function keepUntilField(id) {
  const until = new Date();
  until.setDate(until.getDate() + KEEP_DAYS);
  return field({ id, label: 'Keep their data until', type: 'date', required: true, value: localDay(until),
    min: localDay(new Date()),
    hint: 'After this date their personal data may be deleted (data protection).' });
}

/**
 * The stage the new sessions run: a select when the template has several, otherwise a line of text.
 * `value()` is the chosen stage's id.
 */
export function stagePicker(id, stages) {
  const error = h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${id}-error` });
  if (stages.length <= 1) {
    const only = stages[0];
    return { wrap: h('div', { class: 'field' },
      h('p', { class: 'hint', 'data-testid': id, text: `Stage: ${only?.name ?? 'none'}` }), error),
    input: null, error, value: () => only?.id ?? null };
  }
  const input = h('select', { id, name: id, 'data-testid': id, 'aria-describedby': `${id}-error` },
    stages.map((stage, index) => h('option', { value: stage.id, text: `${index + 1}. ${stage.name}` })));
  return { wrap: h('div', { class: 'field' }, h('label', { for: id, text: 'Stage' }), input, error), input, error,
    value: () => input.value };
}

/** Comma- or line-separated text as a list without blanks or repeats. */
export function splitList(text) {
  return [...new Set(String(text ?? '').split(/[,\n]/).map((item) => item.trim()).filter(Boolean))];
}

/**
 * POST /v1/resumes/parse: one entry per file, `{filename, status: 'parsed'|'error', error, draft}`.
 * Throws the ApiError when the request as a whole fails (too large, not signed in, ...).
 */
export async function parseResumes(files, signal) {
  const body = await api.upload('/v1/resumes/parse', { files }, { signal });
  return body?.results ?? [];
}

/** The participant object of a session booking from a draft (blank optional parts left out). */
export function inlineParticipant(draft, templateId, keepUntil) {
  const profile = {};
  if (draft.organization) profile.organization = draft.organization;
  if (draft.title) profile.title = draft.title;
  const background = {};
  if (draft.skills?.length) background.skills = draft.skills;
  if (draft.education) background.education = draft.education;
  if (draft.languages?.length) background.languages = draft.languages;
  const person = { name: draft.name, email: draft.email, evaluation_template_id: templateId,
    gdpr_expiry_date: keepUntil };
  if (draft.phone) person.phone = draft.phone;
  // The uploaded file itself, kept with the participant (POST /v1/resumes/parse answered its id).
  if (draft.resume_file_id) person.resume_file_id = draft.resume_file_id;
  if (Object.keys(profile).length) person.profile = profile;
  if (Object.keys(background).length) person.background = background;
  return person;
}

// Request paths of a booking -> the dialog field that shows their errors.
const BOOKING_PATHS = [
  [/^participant\.name$/, 'name'],
  [/^participant\.email$/, 'email'],
  [/^participant\.phone$/, 'phone'],
  [/^participant\.profile\.organization$/, 'organization'],
  [/^participant\.profile\.title$/, 'title'],
  [/^participant\.background\.skills/, 'skills'],
  [/^participant\.background\.education$/, 'education'],
  [/^participant\.gdpr_expiry_date$/, 'keep'],
  [/^participant\.resume_file_id$/, 'resume'],
  [/^schedule_time$/, 'schedule'],
  [/^stage_id$/, 'stage'],
];

/** `participant.profile.title` -> `title` (null when no field of a booking dialog shows it). */
export function bookingField(path) {
  const found = BOOKING_PATHS.find(([pattern]) => pattern.test(String(path ?? '')));
  return found ? found[1] : null;
}

/**
 * An API error next to the dialog's fields (`errors` from formErrors, `general` its catch-all line, `names`
 * the fields it has), the request's paths turned into field names by `toField`. A 409 (duplicate email) or 400
 * names its field with a terse word ("duplicate"): the message itself says it better. What names no field
 * of the dialog goes to `general`.
 */
export function placeError(errors, general, error, names, toField = bookingField) {
  const items = error?.details?.fields ?? [];
  const terse = error?.status === 409 || error?.status === 400;
  const message = (item) => (terse
    ? cleanMessage(String(error.message ?? '').replace(/^[\w.[\]]+:\s*/, '')) : item.message);
  const placed = [];
  const unplaced = [];
  for (const item of items) {
    const name = toField(item.path);
    if (name && names.includes(name)) placed.push({ path: name, message: message(item) });
    else unplaced.push(`${item.path}: ${cleanMessage(item.message)}`);
  }
  errors.fromApi({ status: error?.status, message: error?.message, details: placed.length ? { fields: placed } : {} });
  if (placed.length && unplaced.length) general.textContent = unplaced.join(' ');
}

/** `2, 'row'` -> "2 rows"; `1, 'row'` -> "1 row" (`plural` for irregular words). */
export function many(n, word, plural = `${word}s`) {
  return `${n} ${n === 1 ? word : plural}`;
}

/** One line naming what went wrong with a request, for a per-item status. */
export function errorLine(error) {
  const first = error?.details?.fields?.[0];
  if (first && error.status === 422) return `${first.path}: ${cleanMessage(first.message)}`;
  return sentence(error?.message ?? String(error));
}
