/*
 * Form controls that forms.js's `field` (a text input) does not cover: a select,
 * a textarea, a checkbox and a group of radio buttons, each labelled, with its
 * hint and an error line tied to it by aria-describedby, in the same
 * {wrap, input, error} shape so formErrors can put the API's errors by them.
 */

import { h } from './dom.js';

function described(id, hint) {
  return [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' ');
}

function errorLine(id, testid) {
  return h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${testid}-error` });
}

function hintLine(id, hint) {
  return hint ? h('p', { id: `${id}-hint`, class: 'hint', text: hint }) : null;
}

/** `options`: [[value, label]]. */
export function selectField({ id, label, options, value = '', hint = '', testid = id, ...attrs }) {
  const error = errorLine(id, testid);
  const input = h('select', { id, name: id, ...attrs, 'aria-describedby': described(id, hint), 'data-testid': testid },
    options.map(([optionValue, text]) => h('option', { value: optionValue, text })));
  input.value = value ?? '';
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hintLine(id, hint), error);
  return { wrap, input, error };
}

export function textareaField({ id, label, value = '', hint = '', rows = 3, testid = id, ...attrs }) {
  const error = errorLine(id, testid);
  const input = h('textarea', { id, name: id, rows, ...attrs, 'aria-describedby': described(id, hint),
    'data-testid': testid });
  input.value = value ?? '';
  const wrap = h('div', { class: 'field' }, h('label', { for: id, text: label }), input, hintLine(id, hint), error);
  return { wrap, input, error };
}

export function checkboxField({ id, label, checked = false, hint = '', testid = id }) {
  const error = errorLine(id, testid);
  const input = h('input', { id, name: id, type: 'checkbox', checked, 'aria-describedby': described(id, hint),
    'data-testid': testid });
  const wrap = h('div', { class: 'field' }, h('label', { class: 'choice', for: id }, input, h('span', { text: label })),
    hintLine(id, hint), error);
  return { wrap, input, error };
}

/** Radio buttons in a fieldset; `value()` is the checked one's value. `options`: [[value, label, testid?]]. */
export function radioField({ id, legend, options, value = '', hint = '', testid = id }) {
  const error = errorLine(id, testid);
  const radios = options.map(([optionValue, text, radioTestid]) => h('input', { type: 'radio', name: id,
    value: optionValue, checked: optionValue === value, 'data-testid': radioTestid ?? `${testid}-${optionValue}` }));
  const wrap = h('fieldset', { class: 'scopes radio-field', 'aria-describedby': described(id, hint),
    'data-testid': testid },
  h('legend', { text: legend }), hintLine(id, hint),
  radios.map((radio, index) => h('label', { class: 'choice' }, radio, h('span', { text: options[index][1] }))),
  error);
  return {
    wrap,
    error,
    input: null,
    radios,
    focus: { focus: () => (radios.find((radio) => radio.checked) ?? radios[0])?.focus() },
    value: () => radios.find((radio) => radio.checked)?.value ?? '',
  };
}

/** A number input's value: a number, null when empty, NaN when not a number. */
export function numberValue(input) {
  if (input.validity?.badInput) return NaN;
  const text = input.value.trim();
  if (!text) return null;
  return Number(text);
}

/** What is wrong with a number read by numberValue before it is sent: '' when nothing. */
export function checkNumber(value, what) {
  if (value === null) return `Enter ${what}.`;
  if (Number.isNaN(value)) return `Enter ${what} as a number.`;
  return '';
}
