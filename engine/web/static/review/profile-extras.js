/*
 * The interviewer editor's last sections: grounding texts (each added or removed on its own, since an
 * absent text and an empty one mean the same to the interviewer), what the scorecard includes, and the
 * voice (config/profiles.py VoiceSettings).
 */

import { h } from './dom.js';
import { control, numberField, numberOf, section, textareaField, textField } from './profile-fields.js';

// ---- Grounding ----------------------------------------------------------------------------------

const GROUNDING = [
  ['organizationContext', 'Organisation', 'Company background the interviewer may mention.'],
  ['domainContext', 'Domain', 'Domain knowledge the interviewer should assume.'],
  ['scenarioContext', 'Scenario', 'The roleplay set-up, for simulations.'],
];

export function groundingSection(profile, { onChange }) {
  const grounding = profile.grounding ?? {};
  const items = GROUNDING.map(([key, title, hint]) => groundingItem(key, title, hint, grounding[key], onChange));
  return {
    node: section('profile-grounding', 'Grounding',
      h('p', { class: 'hint', text: 'Texts the interviewer is grounded in. Add only those it needs.' }),
      items.map((item) => item.node)),
    value: () => ({ grounding: Object.fromEntries(items.map((item) => [item.key, item.value()])) }),
    entries: () => Object.fromEntries(items.map((item) => [`grounding.${item.key}`, item.entry])),
  };
}

function groundingItem(key, title, hint, initial, onChange) {
  const id = `grounding-${key}`;
  const text = textareaField({ id, label: `${title} context`, value: initial ?? '', hint, rows: 4,
    maxlength: 10000 });
  const add = h('button', { type: 'button', class: 'button button-small', 'data-testid': `${id}-add`,
    text: `Add ${title.toLowerCase()} context` });
  const remove = h('button', { type: 'button', class: 'button button-small button-quiet',
    'data-testid': `${id}-remove`, text: `Remove ${title.toLowerCase()} context` });
  const shown = h('div', { class: 'grounding-item' }, text.wrap, h('div', { class: 'form-actions' }, remove));
  const node = h('div', { class: 'grounding-slot', 'data-testid': `${id}-slot` }, add, shown);
  let present = initial !== null && initial !== undefined;
  const sync = () => {
    add.hidden = present;
    shown.hidden = !present;
  };
  add.addEventListener('click', () => {
    present = true;
    sync();
    onChange();
    text.input.focus();
  });
  remove.addEventListener('click', () => {
    present = false;
    text.input.value = '';
    text.error.textContent = '';
    sync();
    onChange();
    add.focus();
  });
  sync();
  return {
    key,
    node,
    // A removed text is null; an added one that was left empty too (the same to the interviewer).
    value: () => (present && text.input.value.trim() ? text.input.value.trim() : null),
    // An error on a removed text is shown where it would be added back.
    entry: { error: text.error, input: text.input, focus: { focus: () => (present ? text.input : add).focus() } },
  };
}

// ---- Scorecard -------------------------------------------------------------------------------------

const SCORECARD = [
  ['includeTranscript', 'The transcript'],
  ['includeScoreBreakdown', 'The score of each dimension'],
  ['includeRecommendation', 'A recommendation'],
  ['includeImprovementFeedback', 'Improvement feedback for the participant'],
];

export function scorecardSection(profile) {
  const flags = profile.scorecard ?? {};
  const error = h('p', { id: 'scorecard-error', class: 'form-error', 'data-testid': 'scorecard-error' });
  const boxes = SCORECARD.map(([key, text]) => [key, h('input', { type: 'checkbox', id: `scorecard-${key}`,
    checked: flags[key] !== false, 'data-testid': `scorecard-${key}` }), text]);
  const fieldset = h('fieldset', { class: 'scopes', 'aria-describedby': 'scorecard-error' },
    h('legend', { text: 'The scorecard includes' }),
    boxes.map(([, box, text]) => h('label', { class: 'choice', for: box.id }, box, h('span', { text }))), error);
  const entry = { error, input: null, focus: boxes[0][1] };
  return {
    node: section('profile-scorecard', 'Scorecard', fieldset),
    value: () => ({ scorecard: Object.fromEntries(boxes.map(([key, box]) => [key, box.checked])) }),
    entries: () => Object.fromEntries([['scorecard', entry], ...boxes.map(([key]) => [`scorecard.${key}`, entry])]),
  };
}

// ---- Voice -----------------------------------------------------------------------------------------

export function voiceSection(profile) {
  const voice = profile.voice ?? {};
  const engine = control('select', { id: 'voice-engine', label: 'Speech engine', value: voice.engine ?? '',
    hint: 'Piper is a natural neural voice; eSpeak NG is robotic but light on the CPU.',
    options: [['', 'The server’s default'], ['piper', 'Piper (neural)'], ['espeak', 'eSpeak NG']] });
  const name = textField({ id: 'voice-name', label: 'Voice', value: voice.name ?? 'en-us', maxlength: 60,
    spellcheck: false, hint: 'For Piper “en-us” or “en_us-joe-medium”; for eSpeak e.g. “en-gb-x-rp” or '
      + '“en-us+f3”. A voice the engine lacks falls back to its default.' });
  const rate = numberField({ id: 'voice-rate', label: 'Speaking rate (words per minute)', value: voice.rate ?? 170,
    min: 80, max: 450, step: 1, inputmode: 'numeric', hint: 'From 80 to 450; 170 is a calm pace.' });
  const pitch = numberField({ id: 'voice-pitch', label: 'Pitch', value: voice.pitch ?? 50, min: 0, max: 100,
    step: 1, inputmode: 'numeric', hint: 'From 0 to 100, 50 is the voice’s normal. eSpeak only.' });
  return {
    node: section('profile-voice', 'Voice', h('div', { class: 'profile-grid' }, engine.wrap, name.wrap),
      h('div', { class: 'profile-grid' }, rate.wrap, pitch.wrap)),
    value: () => ({ voice: { engine: engine.input.value || null, name: name.input.value.trim(),
      rate: numberOf(rate.input), pitch: numberOf(pitch.input) } }),
    entries: () => ({ 'voice.engine': engine, 'voice.name': name, 'voice.rate': rate, 'voice.pitch': pitch }),
  };
}
