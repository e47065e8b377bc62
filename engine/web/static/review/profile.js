/*
 * The interviewer (agent profile) editor, at /review/profiles/new and /review/profiles/{id}. Every field
 * of the profile API, in sections: who the interviewer is, how it converses (profile-fields.js), the
 * rubric (profile-rubric.js), scoring and the recommendation rules (profile-rules.js), grounding, the
 * scorecard and the voice (profile-extras.js). Saving POSTs a new profile or PATCHes the whole of an
 * existing one, and the API's errors land next to the controls they name (profile-errors.js).
 *
 * The page knows when it holds unsaved changes (its body differs from the one last saved): the Save
 * button says so, and leaving asks first (the router's guard: app.js).
 */

import * as api from './api.js';
import { fill, h, loading, time } from './dom.js';
import { notify } from './forms.js';
import { errorBoard } from './profile-errors.js';
import { groundingSection, scorecardSection, voiceSection } from './profile-extras.js';
import { basicsSection, behaviourSection, blankProfile } from './profile-fields.js';
import { rubricEditor } from './profile-rubric.js';
import { scoringSection } from './profile-rules.js';
import { deniedNotice, editorPath, setFlash, takeFlash } from './profiles.js';

export async function render(root, ctx) {
  const [id] = ctx.params;
  const isNew = id === 'new';
  document.title = `${isNew ? 'New interviewer' : 'Interviewer'} · Interview review`;
  const held = new Set(ctx.identity?.scopes ?? []);
  const back = h('p', { class: 'back-link' }, h('a', { href: '/review/profiles', text: '← All interviewers' }));
  const title = h('h1', { class: 'title', tabindex: '-1', 'data-testid': 'profile-title',
    text: isNew ? 'New interviewer' : 'Interviewer' });
  if (!held.has('read:agent_profiles')) {
    fill(root, back, title, deniedNotice());
    return;
  }
  const canWrite = held.has('write:agent_profiles');
  if (isNew && !canWrite) {
    fill(root, back, title, h('div', { class: 'notice', dataset: { kind: 'attention' } },
      h('p', { class: 'notice-text', text: 'Your sign-in cannot create interviewers: it needs the '
        + 'write:agent_profiles scope. Ask an administrator.' })));
    return;
  }
  fill(root, back, title, loading('Loading the interviewer…'));
  const profile = isNew ? blankProfile()
    : await api.get(`/v1/agent-profiles/${encodeURIComponent(id)}`, {}, { signal: ctx.signal });
  if (ctx.signal.aborted) return;
  const updated = isNew ? null : h('p', { class: 'muted page-intro', 'data-testid': 'profile-updated' });
  const showSaved = (saved) => {
    title.textContent = saved.name;
    document.title = `${saved.name} · Interview review`;
    if (updated) fill(updated, 'Last saved ', time(saved.updated_at), '.');
  };
  if (!isNew) showSaved(profile);
  const editor = buildEditor(profile, { ctx, isNew, canWrite, onSaved: showSaved });
  const readOnly = canWrite ? null : h('div', { class: 'notice', dataset: { kind: 'attention' },
    'data-testid': 'profile-read-only' }, h('p', { class: 'notice-text', text: 'You can read this interviewer but '
    + 'not change it: that needs the write:agent_profiles scope.' }));
  fill(root, back, title, updated, readOnly, editor.notices, editor.node);
  const flash = takeFlash();
  if (flash) notify(editor.notices, 'success', flash, 'profile-flash');
}

function buildEditor(profile, { ctx, isNew, canWrite, onSaved }) {
  const notices = h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'profile-notices' });
  const basics = basicsSection(profile);
  const behaviour = behaviourSection(profile);
  // Filled below: the sections call back on changes they make themselves (rows added, texts removed).
  let changed = () => {};
  const rubric = rubricEditor(profile.rubric, { onChange: () => changed() });
  const scoring = scoringSection(profile, {
    signal: ctx.signal,
    context: () => ({ dimensions: rubric.names(), use_case: basics.useCase.input.value }),
  });
  const grounding = groundingSection(profile, { onChange: () => changed() });
  const scorecard = scorecardSection(profile);
  const voice = voiceSection(profile);
  const sections = [basics, behaviour, rubric, scoring, grounding, scorecard, voice];

  const general = h('p', { class: 'form-error', role: 'alert', tabindex: '-1', 'data-testid': 'profile-form-error' });
  const errors = errorBoard(() => Object.assign({}, ...sections.map((part) => part.entries())), general);
  const saveLabel = isNew ? 'Create interviewer' : 'Save changes';
  const save = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'profile-save',
    'aria-describedby': 'profile-save-reason', text: saveLabel });
  const reason = h('p', { id: 'profile-save-reason', class: 'hint save-reason', 'data-testid': 'profile-save-reason' });
  const saved = h('p', { class: 'save-status', role: 'status', 'data-testid': 'profile-save-status' });
  const body = () => Object.assign({}, ...sections.map((part) => part.value()));
  let snapshot = JSON.stringify(body());
  let busy = false;
  const isDirty = () => JSON.stringify(body()) !== snapshot;

  // Fieldset `disabled` makes every control read-only for a sign-in that may only look.
  const fields = h('fieldset', { class: 'profile-fields', disabled: !canWrite },
    h('legend', { class: 'visually-hidden', text: 'Interviewer settings' }), sections.map((part) => part.node));
  const form = h('form', { class: 'form profile-editor', novalidate: true, 'data-testid': 'profile-form' },
    fields,
    canWrite ? h('div', { class: 'card profile-actions', 'data-testid': 'profile-actions' },
      general, h('div', { class: 'form-actions' }, save), reason, saved) : null);

  changed = () => {
    scoring.schedule();
    refreshSave();
  };
  form.addEventListener('input', () => changed());
  form.addEventListener('change', () => changed());

  // The button says what pressing it does, and why it will not when it will not.
  function refreshSave() {
    if (busy) return;
    const dirty = isDirty();
    const blocked = rubric.totalProblem();
    save.textContent = isNew || dirty ? saveLabel : 'No changes to save';
    // aria-disabled, not disabled: the button stays focusable and its reason can be read and shown.
    const disabled = Boolean(blocked) || (!isNew && !dirty);
    save.setAttribute('aria-disabled', String(disabled));
    const why = blocked.replace(/ before you can save\.$/, '.');
    reason.textContent = blocked ? `Cannot save yet: ${why.charAt(0).toLowerCase()}${why.slice(1)}`
      : (!isNew && !dirty ? 'Everything is saved.' : '');
    if (dirty) saved.textContent = '';
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (busy || !canWrite) return;
    errors.clear();
    if (!isNew && !isDirty()) {
      saved.textContent = 'There are no changes to save.';
      return;
    }
    // Refused here rather than by the API, with the reason by the rubric: a total that is not 100 (which
    // the rubric then takes back as soon as it is), and anything else the API would refuse.
    const total = rubric.totalProblem();
    if (total) rubric.refuse(total);
    const problems = [...(basics.value().name ? [] : [['name', 'Enter a name.']]), ...rubric.problems(),
      ...scoring.problems()];
    if (errors.check(problems)) return;
    const sent = body();
    busy = true;
    save.textContent = isNew ? 'Creating…' : 'Saving…';
    save.setAttribute('aria-disabled', 'true');
    let answer;
    try {
      answer = isNew ? await api.post('/v1/agent-profiles', sent)
        : await api.patch(`/v1/agent-profiles/${encodeURIComponent(profile.id)}`, sent);
    } catch (error) {
      if (!api.isAbort(error)) errors.fromApi(error);
      return;
    } finally {
      busy = false;
      refreshSave();
    }
    snapshot = JSON.stringify(sent);
    api.forgetTemplates(); // stage lists show profile names
    if (isNew) {
      setFlash(`Interviewer “${answer.name}” created.`);
      ctx.navigate(editorPath(answer.id), { replace: true });
      return;
    }
    onSaved(answer);
    refreshSave();
    saved.textContent = 'Changes saved.';
  });

  ctx.guardLeave({ dirty: isDirty,
    message: 'Your changes to this interviewer are not saved. If you leave, they are lost.' });
  refreshSave();
  return { node: form, notices };
}
