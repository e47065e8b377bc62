/*
 * "+ Add" > Import by resumes: several PDF or DOCX resumes are parsed (POST /v1/resumes/parse) into
 * draft candidates, one editable card each; a file that could not be read says why. The recruiter
 * checks, edits or removes drafts, then "Invite N" books each one (POST /v1/sessions with the participant
 * inline), one by one: a card that was booked says so, one the API refused keeps its fields with the
 * errors beside them, so nothing is dropped silently.
 */

import * as api from './api.js';
import { fill, h, sentence } from './dom.js';
import { field, formErrors } from './forms.js';
import { stepDialog } from './session-dialog.js';
import {
  RESUME_ACCEPT, errorLine, inlineParticipant, keepUntilField, many, parseResumes, placeError, stagePicker,
} from './session-fields.js';

const CARD_FIELDS = ['name', 'email', 'phone'];
let serial = 0;

function extrasLine(draft) {
  const parts = [
    [draft.title, draft.organization].filter(Boolean).join(' at '),
    draft.education,
    draft.skills?.length ? `Skills: ${draft.skills.join(', ')}` : '',
    draft.languages?.length ? `Languages: ${draft.languages.join(', ')}` : '',
  ].filter(Boolean);
  return parts.length ? h('p', { class: 'hint', text: `Also from the resume: ${parts.join(' · ')}` }) : null;
}

/** One parsed resume as an editable draft. */
function draftCard(result, onRemove) {
  serial += 1;
  const id = `ts-draft-${serial}`;
  const draft = { ...(result.draft ?? {}), resume_file_id: result.resume_file_id ?? null };
  const f = {
    name: field({ id: `${id}-name`, testid: 'ts-draft-name', label: 'Name', required: true, maxlength: 200,
      value: draft.name ?? '' }),
    email: field({ id: `${id}-email`, testid: 'ts-draft-email', label: 'Email', type: 'email', required: true,
      maxlength: 320, spellcheck: false, value: draft.email ?? '' }),
    phone: field({ id: `${id}-phone`, testid: 'ts-draft-phone', label: 'Phone (optional)', type: 'tel',
      maxlength: 64, value: draft.phone ?? '' }),
  };
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'ts-draft-error' });
  const errors = formErrors(f, general);
  const titleId = `${id}-title`;
  const remove = h('button', { type: 'button', class: 'button button-small button-quiet', 'data-testid': 'ts-draft-remove',
    'aria-label': `Remove the draft from ${result.filename}`, text: 'Remove' });
  const node = h('section', { class: 'ts-draft', 'aria-labelledby': titleId, 'data-testid': 'ts-draft',
    dataset: { filename: result.filename ?? '' } },
  h('div', { class: 'ts-draft-head' },
    h('h3', { id: titleId, class: 'ts-draft-title', text: result.filename || 'Resume' }), remove),
  f.name.wrap, f.email.wrap, f.phone.wrap, extrasLine(draft), general);
  const card = { node, f, errors, general, draft, done: false };
  remove.addEventListener('click', () => onRemove(card));
  return card;
}

function values(card) {
  const value = (name) => card.f[name].input.value.trim();
  return { ...card.draft, name: value('name'), email: value('email'), phone: value('phone') };
}

export async function importResumes(page) {
  if (!(await page.currentStages()).length) {
    page.notify('attention', 'Add a stage to this interview first: each session runs one.', 'ts-no-stage');
    return;
  }
  const d = stepDialog({ title: 'Import candidates from resumes', testid: 'ts-resumes' });
  const files = field({ id: 'ts-resumes-files', label: 'Resumes (PDF or DOCX)', type: 'file', multiple: true,
    accept: RESUME_ACCEPT, hint: 'Choose several files at once. Each becomes a draft for you to check.' });
  const stage = stagePicker('ts-resumes-stage', page.stages);
  const keep = keepUntilField('ts-resumes-keep');
  const failures = h('div', { class: 'ts-failures', 'data-testid': 'ts-resumes-failures' });
  const drafts = h('div', { class: 'ts-drafts', 'data-testid': 'ts-drafts' });
  const invited = h('ul', { class: 'ts-invited', 'data-testid': 'ts-resumes-invited' });
  const report = h('div', { class: 'ts-report', tabindex: '-1', 'data-testid': 'ts-resumes-report' });
  const cards = [];
  let booked = 0;

  const close = d.button('Cancel', 'ts-resumes-close', () => d.close());
  const parse = d.button('Parse resumes', 'ts-resumes-parse', () => parseChosen(), { primary: true });
  const invite = d.button('Invite', 'ts-resumes-invite', () => inviteAll(), { primary: true });
  invite.hidden = true;
  d.actions.append(close, parse, invite);
  d.body.append(
    h('p', { class: 'hint', text: `Each candidate you confirm is booked for ${page.template.name} and emailed an `
      + 'invitation.' }),
    files.wrap, failures, drafts, invited, stage.wrap, keep.wrap, report);

  const pending = () => cards.filter((card) => !card.done);

  function sync() {
    const left = pending().length;
    invite.hidden = left === 0;
    invite.textContent = `Invite ${left}`;
    parse.classList.toggle('button-primary', left === 0);
    if (booked) close.textContent = 'Done';
  }

  function removeCard(card) {
    const at = cards.indexOf(card);
    cards.splice(at, 1);
    card.node.remove();
    sync();
    // Focus to the next draft's first field, or to the file input when none is left.
    const next = cards[at] ?? cards[at - 1];
    (next ? next.f.name.input : files.input).focus();
  }

  function say(kind, text) {
    fill(report, h('div', { class: 'notice', dataset: { kind }, role: kind === 'error' ? 'alert' : 'status',
      'data-testid': 'ts-resumes-summary' }, h('p', { class: 'notice-text', text })));
  }

  async function parseChosen() {
    const chosen = [...(files.input.files ?? [])];
    files.error.textContent = '';
    files.input.setAttribute('aria-invalid', 'false');
    if (!chosen.length) {
      files.error.textContent = 'Choose one or more resumes.';
      files.input.setAttribute('aria-invalid', 'true');
      files.input.focus();
      return;
    }
    let results = null;
    await d.busy(parse, 'Parsing…', async () => {
      try {
        results = await parseResumes(chosen, page.signal);
      } catch (error) {
        if (api.isAbort(error)) return;
        files.error.textContent = sentence(error.message);
        files.input.setAttribute('aria-invalid', 'true');
      }
    });
    if (!results) {
      files.input.focus();
      return;
    }
    files.input.value = '';
    const failed = results.filter((r) => r.status !== 'parsed');
    const made = results.filter((r) => r.status === 'parsed').map((r) => draftCard(r, removeCard));
    cards.push(...made);
    drafts.append(...made.map((card) => card.node));
    fill(failures, failed.length ? h('div', { class: 'notice', dataset: { kind: 'error' }, role: 'alert' },
      h('p', { class: 'notice-title', text: `${many(failed.length, 'file')} could not be read` }),
      h('ul', { class: 'ts-row-errors' }, failed.map((r) => h('li', { 'data-testid': 'ts-resumes-failure' },
        h('strong', { text: `${r.filename || 'File'}: ` }), sentence(r.error || 'could not be read'))))) : null);
    sync();
    say(made.length ? 'attention' : 'error', made.length
      ? `${many(made.length, 'draft')} ready: check each one, then invite.`
      : 'No drafts: no resume could be read.');
    (made[0]?.f.name.input ?? report).focus();
  }

  async function inviteAll() {
    const todo = pending();
    let missing = 0;
    const ready = todo.filter((card) => {
      card.errors.clear();
      const v = values(card);
      const problem = card.errors.check({
        name: v.name ? '' : 'Enter their name.',
        email: v.email ? '' : 'Enter their email.',
      });
      if (problem) missing += 1;
      return !problem;
    });
    if (!keep.input.value) {
      keep.error.textContent = 'Choose a date.';
      keep.input.focus();
      return;
    }
    keep.error.textContent = '';
    let refused = missing;
    await d.busy(invite, 'Inviting…', async () => {
      // One at a time: each answer belongs to its own card, and a duplicate within the batch is refused
      // by the API as a duplicate rather than racing.
      for (const card of ready) {
        try {
          await api.post('/v1/sessions', { participant: inlineParticipant(values(card), page.template.id,
            keep.input.value), stage_id: stage.value() }, { signal: page.signal });
        } catch (error) {
          if (api.isAbort(error)) return;
          refused += 1;
          placeError(card.errors, card.general, error, CARD_FIELDS);
          if (!card.general.textContent && !CARD_FIELDS.some((n) => card.f[n].error.textContent)) {
            card.general.textContent = errorLine(error);
          }
          continue;
        }
        card.done = true;
        booked += 1;
        const v = values(card);
        card.node.remove();
        cards.splice(cards.indexOf(card), 1);
        invited.append(h('li', { 'data-testid': 'ts-resumes-done' },
          h('span', { class: 'badge', dataset: { tone: 'positive' }, text: 'Invited' }), ' ', `${v.name} (${v.email})`));
      }
    });
    sync();
    const sent = ready.length - (refused - missing);
    if (refused) {
      say('error', `${sent} invited. ${many(refused, 'draft')} ${refused === 1 ? 'needs' : 'need'} attention: `
        + 'fix and press Invite again.');
      pending()[0]?.errors.focusFirst();
    } else {
      say('success', `${sent} invited: each is emailed an invitation.`);
      report.focus();
    }
  }

  await d.open();
  if (!booked) return;
  await page.refresh();
  page.notify('success', `${many(booked, 'candidate')} added from resumes; each is emailed an invitation.`,
    'ts-resumes-added');
}
