/*
 * A list of short labels edited as chips (skills, traits): type one and press
 * Enter or a comma to add it, each chip has its own remove button, and Backspace
 * in the empty field removes the last chip. Pasting "a, b, c" adds three. Each
 * change is announced, since a chip appearing is otherwise silent.
 */

import { announce, h } from './dom.js';

/**
 * `noun`: what one chip is, for messages ("skill"). Returns {wrap, input, error, values(), commit()};
 * `commit()` adds what is still typed in the field (so Save does not drop it) and returns false when
 * that text could not be added (the reason is in the error line).
 */
export function chipsField({ id, label, hint = '', noun = 'entry', values = [], max = 50, maxLength = 128,
  testid = id }) {
  const chips = [...values];
  const error = h('p', { id: `${id}-error`, class: 'form-error', 'data-testid': `${testid}-error` });
  const hintText = hint || `Type a ${noun} and press Enter or a comma to add it. Backspace in the empty field `
    + 'removes the last one.';
  const input = h('input', { id, type: 'text', autocomplete: 'off', maxlength: maxLength, class: 'chips-input',
    'aria-describedby': `${id}-list-label ${id}-hint ${id}-error`, 'data-testid': testid });
  const list = h('ul', { class: 'chip-list', 'aria-labelledby': `${id}-list-label`, 'data-testid': `${testid}-chips` });
  const listLabel = h('span', { id: `${id}-list-label`, class: 'visually-hidden' });
  const box = h('div', { class: 'chips' }, list, input);
  // A click on the box's empty space goes to the field, as in a single text input.
  box.addEventListener('click', (event) => { if (event.target === box) input.focus(); });
  const wrap = h('div', { class: 'field chips-field' }, h('label', { for: id, text: label }), listLabel, box,
    h('p', { id: `${id}-hint`, class: 'hint', text: hintText }), error);

  function draw() {
    list.replaceChildren(...chips.map((text, index) => h('li', { class: 'chip', 'data-testid': `${testid}-chip` },
      h('span', { class: 'chip-text', text }),
      h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${text}`,
        'data-testid': `${testid}-remove`, text: '×', on: { click: () => remove(index, { fromButton: true }) } }))));
    list.hidden = chips.length === 0;
    listLabel.textContent = chips.length ? `${label}: ${chips.length} added` : `${label}: none yet`;
  }

  function problem(text) {
    if (text.length > maxLength) return `A ${noun} has at most ${maxLength} characters.`;
    if (chips.some((chip) => chip.toLowerCase() === text.toLowerCase())) return `“${text}” is already in the list.`;
    if (chips.length >= max) return `At most ${max} ${noun}s.`;
    return '';
  }

  /** Adds each comma-separated part of `text`; what cannot be added stays in the field. */
  function add(text) {
    const parts = text.split(',').map((part) => part.trim()).filter(Boolean);
    const added = [];
    let left = '';
    for (const part of parts) {
      const wrong = problem(part);
      if (wrong) {
        setError(wrong);
        left = part;
        break;
      }
      chips.push(part);
      added.push(part);
    }
    if (added.length) {
      draw();
      announce(`Added ${added.join(', ')}.`);
    }
    if (!left) setError('');
    input.value = left;
    return !left;
  }

  function remove(index, { fromButton = false } = {}) {
    const [gone] = chips.splice(index, 1);
    if (gone === undefined) return;
    setError('');
    draw();
    announce(`Removed ${gone}.`);
    if (fromButton) {
      // Focus goes to the chip that took its place, else to the field: never lost to the page.
      const next = list.querySelectorAll('.chip-remove')[Math.min(index, chips.length - 1)];
      (next ?? input).focus();
    }
  }

  function setError(text) {
    error.textContent = text;
    input.setAttribute('aria-invalid', text ? 'true' : 'false');
  }

  input.addEventListener('keydown', (event) => {
    if ((event.key === 'Enter' || event.key === ',') && !event.isComposing) {
      if (event.key === ',' || input.value.trim()) {
        event.preventDefault(); // Enter in an empty field still submits the form
        add(input.value);
      }
    } else if (event.key === 'Backspace' && input.value === '' && chips.length) {
      event.preventDefault();
      remove(chips.length - 1);
    }
  });
  // Pasted text with commas becomes several chips at once.
  input.addEventListener('input', () => { if (input.value.includes(',')) add(input.value); });

  draw();
  return {
    wrap,
    input,
    error,
    values: () => [...chips],
    commit: () => (input.value.trim() ? add(input.value) : true),
  };
}
