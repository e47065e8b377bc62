/*
 * A setting that is either off ("No limit") or a whole number ("Limit to [600] minutes"): two radio
 * buttons in a fieldset, the number's field shown only with the second. The fieldset carries the error
 * line that formErrors fills, tied to the number and to the group by aria-describedby.
 */

import { h } from './dom.js';

/**
 * `value`: the current number, or null for off. `read()` answers `{ value }` (a number, or null for off),
 * or `{ problem }` when the number's field holds something that is not a number at all; values out of
 * range go to the API, whose 422 says what it takes.
 */
export function amountChoice({ id, legend, hint, offLabel, onLabel, unitLabel, unitHint, min, max, value }) {
  const error = h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${id}-error` });
  const radio = (on, label) => h('label', { class: 'choice' },
    h('input', { type: 'radio', name: `${id}-mode`, value: on ? 'on' : 'off', checked: on === (value !== null),
      'data-testid': `${id}-${on ? 'on' : 'off'}` }), h('span', { text: label }));
  const off = radio(false, offLabel);
  const on = radio(true, onLabel);
  const onInput = on.querySelector('input');
  const input = h('input', { id, name: id, type: 'number', inputmode: 'numeric', min, max, step: 1,
    autocomplete: 'off', value: value === null ? '' : String(value), 'data-testid': id,
    'aria-describedby': `${id}-unit-hint ${id}-error` });
  const amount = h('div', { class: 'field amount-field' }, h('label', { for: id, text: unitLabel }), input,
    h('p', { id: `${id}-unit-hint`, class: 'hint', text: unitHint }));
  const sync = () => { amount.hidden = !onInput.checked; };
  for (const choice of [off, on]) choice.querySelector('input').addEventListener('change', sync);
  sync();
  const node = h('fieldset', { class: 'scopes amount-choice', 'aria-describedby': `${id}-hint ${id}-error`,
    'data-testid': `${id}-group` },
  h('legend', { text: legend }), h('p', { id: `${id}-hint`, class: 'hint', text: hint }), off, on, amount, error);
  return {
    node,
    error,
    input,
    focus: { focus: () => (amount.hidden ? onInput : input).focus() },
    read() {
      if (!onInput.checked) return { value: null };
      const text = input.value.trim();
      if (input.validity.badInput || !text) return { problem: `Enter a whole number of ${unitLabel.toLowerCase()}.` };
      return { value: Number(text) };
    },
    /** What the controls hold now, compared with the saved setting to know whether there are edits. */
    snapshot: () => (onInput.checked ? `on:${input.value.trim()}` : 'off'),
  };
}
