/*
 * The rubric editor: one row per dimension (name, description, weight), added, removed and reordered
 * with buttons (Move up / Move down, so the keyboard alone can reorder), and the weight total shown live
 * beside the list. Weights are counted in hundredths, as the API counts them (config/profiles.py), so
 * 33.33 + 33.33 + 33.34 is exactly 100 here too.
 */

import { formatNumber, h } from './dom.js';
import { numberOf } from './profile-fields.js';

export const MAX_DIMENSIONS = 20; // config/profiles.py MAX_DIMENSIONS
const FULL = 10_000; // 100 %, in hundredths

let nextRowId = 0;

/** A weight in hundredths of a percent, or null when it is not one the API would take. */
export function hundredths(weight) {
  if (weight === null || !Number.isFinite(weight) || weight <= 0 || weight > 100) return null;
  const scaled = weight * 100;
  return Math.abs(scaled - Math.round(scaled)) > 1e-6 ? null : Math.round(scaled);
}

export function rubricEditor(initial, { onChange }) {
  const rows = [];
  const list = h('ol', { class: 'rubric-list', 'data-testid': 'rubric-list', 'aria-labelledby': 'rubric-legend' });
  const emptyNote = h('p', { class: 'state state-empty', 'data-testid': 'rubric-empty',
    text: 'No dimensions yet. Add the skills or qualities the interviewer scores.' });
  // Live: the total is read out as weights change, without moving focus.
  const total = h('p', { id: 'rubric-total', class: 'rubric-total', 'aria-live': 'polite', 'aria-atomic': 'true',
    'data-testid': 'rubric-total' });
  const listError = h('p', { id: 'rubric-error', class: 'form-error', 'data-testid': 'rubric-error' });
  const add = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'rubric-add',
    text: 'Add a dimension' });
  const split = h('button', { type: 'button', class: 'button button-small button-quiet',
    'data-testid': 'rubric-split', text: 'Share 100 equally' });

  add.addEventListener('click', () => {
    const row = addRow({ name: '', description: '', weight: null });
    redraw();
    onChange();
    row.name.focus();
  });
  split.addEventListener('click', () => {
    // Equal hundredths, the remainder on the last rows: 3 dimensions are 33.33, 33.33, 33.34.
    const base = Math.floor(FULL / rows.length);
    const extra = FULL - base * rows.length;
    rows.forEach((row, index) => {
      const share = base + (index >= rows.length - extra ? 1 : 0);
      row.weight.value = formatNumber(share / 100, 2);
    });
    redraw();
    onChange();
  });
  list.addEventListener('input', () => showTotal());

  function addRow(dimension) {
    const id = `dim-${(nextRowId += 1)}`;
    const legend = h('legend', { class: 'rubric-legend' });
    const name = h('input', { type: 'text', id: `${id}-name`, value: dimension.name ?? '', maxlength: 100,
      autocomplete: 'off', 'aria-describedby': `${id}-name-error`, 'data-testid': 'dim-name' });
    const description = h('textarea', { id: `${id}-description`, class: 'textarea', rows: 2, maxlength: 10000,
      'aria-describedby': `${id}-description-error`, 'data-testid': 'dim-description' });
    description.value = dimension.description ?? '';
    const weight = h('input', { type: 'number', id: `${id}-weight`, class: 'number', min: 0.01, max: 100, step: 0.01,
      inputmode: 'decimal', value: dimension.weight ?? '', 'data-testid': 'dim-weight',
      'aria-describedby': `${id}-weight-error rubric-total rubric-error` });
    const error = (part) => h('p', { id: `${id}-${part}-error`, class: 'form-error',
      'data-testid': `dim-${part}-error` });
    const errors = { name: error('name'), description: error('description'), weight: error('weight'),
      row: error('row') };
    const up = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'dim-up', text: 'Move up' });
    const down = h('button', { type: 'button', class: 'button button-small', 'data-testid': 'dim-down',
      text: 'Move down' });
    const remove = h('button', { type: 'button', class: 'button button-small button-danger-outline',
      'data-testid': 'dim-remove', text: 'Remove' });
    const node = h('li', { class: 'rubric-row', 'data-testid': 'rubric-row' },
      h('fieldset', { class: 'rubric-fieldset', 'aria-describedby': `${id}-row-error` }, legend,
        h('div', { class: 'rubric-fields' },
          h('div', { class: 'field rubric-name' }, h('label', { for: name.id, text: 'Name' }), name, errors.name),
          h('div', { class: 'field rubric-weight' }, h('label', { for: weight.id, text: 'Weight (%)' }), weight,
            errors.weight)),
        h('div', { class: 'field' }, h('label', { for: description.id, text: 'Description' }), description,
          errors.description),
        errors.row,
        h('div', { class: 'form-actions rubric-actions' }, up, down, remove)));
    const row = { node, legend, name, description, weight, errors, up, down, remove };
    up.addEventListener('click', () => move(row, -1));
    down.addEventListener('click', () => move(row, +1));
    remove.addEventListener('click', () => drop(row));
    name.addEventListener('input', () => label(row));
    rows.push(row);
    return row;
  }

  function move(row, step) {
    const from = rows.indexOf(row);
    const to = from + step;
    if (to < 0 || to >= rows.length) return;
    rows.splice(from, 1);
    rows.splice(to, 0, row);
    redraw();
    onChange();
    // Focus stays with the row; at the end of the list the other direction is the one left.
    const pressed = step < 0 ? row.up : row.down;
    (pressed.disabled ? (step < 0 ? row.down : row.up) : pressed).focus();
    total.textContent = `${describeRow(row)} moved to position ${to + 1} of ${rows.length}. ${totalText()}`;
  }

  function drop(row) {
    const at = rows.indexOf(row);
    rows.splice(at, 1);
    row.node.remove();
    redraw();
    onChange();
    const next = rows[at] ?? rows[at - 1];
    (next ? next.name : add).focus();
  }

  function describeRow(row) {
    const position = rows.indexOf(row) + 1;
    const name = row.name.value.trim();
    return name ? `Dimension ${position}, ${name},` : `Dimension ${position}`;
  }

  function label(row) {
    const position = rows.indexOf(row) + 1;
    const name = row.name.value.trim();
    row.legend.textContent = name ? `Dimension ${position}: ${name}` : `Dimension ${position}`;
  }

  function redraw() {
    list.replaceChildren(...rows.map((row) => row.node));
    rows.forEach((row, index) => {
      label(row);
      row.up.disabled = index === 0;
      row.down.disabled = index === rows.length - 1;
    });
    emptyNote.hidden = rows.length > 0;
    add.disabled = rows.length >= MAX_DIMENSIONS;
    split.hidden = rows.length < 2;
    showTotal();
  }

  function sum() {
    let hundred = 0;
    for (const row of rows) hundred += Math.round((Number(row.weight.value) || 0) * 100);
    return hundred;
  }

  function totalText() {
    const hundred = sum();
    const shown = formatNumber(hundred / 100, 2);
    if (hundred === FULL) return `Total ${shown} of 100.`;
    const gap = formatNumber(Math.abs(FULL - hundred) / 100, 2);
    return hundred < FULL ? `Total ${shown} of 100: ${gap} left to share.` : `Total ${shown} of 100: ${gap} too many.`;
  }

  function showTotal() {
    const hundred = sum();
    total.dataset.state = hundred === FULL ? 'ok' : hundred < FULL ? 'under' : 'over';
    total.textContent = totalText();
    // A refusal that the weights now answer is taken back as soon as they do.
    if (hundred === FULL && listError.dataset.kind === 'total') {
      listError.textContent = '';
      delete listError.dataset.kind;
    }
  }

  for (const dimension of initial ?? []) addRow(dimension);
  redraw();

  const node = h('section', { class: 'card profile-section', 'aria-labelledby': 'rubric-title',
    'data-testid': 'profile-rubric' },
  h('h2', { id: 'rubric-title', class: 'section-title', text: 'Rubric' }),
  h('p', { id: 'rubric-legend', class: 'hint', text: 'The dimensions the interviewer scores, and how much each '
      + 'counts. Weights are percentages (up to 2 decimals) and must total exactly 100.' }),
  emptyNote, list,
  h('div', { class: 'rubric-summary' }, total, listError),
  h('div', { class: 'form-actions' }, add, split));

  return {
    node,
    totalHundredths: sum,
    names: () => rows.map((row) => row.name.value.trim()).filter(Boolean),
    value: () => ({ rubric: rows.map((row) => ({ name: row.name.value.trim(),
      description: row.description.value.trim(), weight: numberOf(row.weight) })) }),
    /** The refusal when the weights do not total 100: a sentence, or '' when they do. */
    totalProblem() {
      if (!rows.length) return 'Add at least one dimension.';
      const hundred = sum();
      if (hundred === FULL) return '';
      return `The weights total ${formatNumber(hundred / 100, 2)}; they must total exactly 100 before you can save.`;
    },
    /** Problems the API would refuse, found before sending: `[path, text]`. */
    problems() {
      const found = [];
      const seen = new Map();
      rows.forEach((row, index) => {
        const name = row.name.value.trim();
        if (!name) found.push([`rubric[${index}].name`, 'Enter a name.']);
        else if (seen.has(name.toLowerCase())) {
          found.push([`rubric[${index}].name`, `Dimension ${seen.get(name.toLowerCase()) + 1} has this name already.`]);
        } else seen.set(name.toLowerCase(), index);
        const weight = numberOf(row.weight);
        if (hundredths(weight) === null) {
          found.push([`rubric[${index}].weight`, 'Enter a weight above 0 and at most 100, with up to 2 decimals.']);
        }
      });
      const problem = this.totalProblem();
      if (problem) found.push(['rubric', problem]);
      return found;
    },
    /** Shows the total's refusal by the list; later changes that make it 100 take it back. */
    refuse(text) {
      listError.textContent = text;
      listError.dataset.kind = 'total';
    },
    entries() {
      // The list's own error sends focus to the first weight that is not a valid share, else the first.
      const focusList = () => {
        const row = rows.find((item) => hundredths(numberOf(item.weight)) === null) ?? rows[0];
        (row ? row.weight : add).focus();
      };
      const map = { rubric: { error: listError, input: null, focus: { focus: focusList } } };
      rows.forEach((row, index) => {
        map[`rubric[${index}]`] = { error: row.errors.row, input: null, focus: row.name };
        map[`rubric[${index}].name`] = { error: row.errors.name, input: row.name };
        map[`rubric[${index}].description`] = { error: row.errors.description, input: row.description };
        map[`rubric[${index}].weight`] = { error: row.errors.weight, input: row.weight };
      });
      return map;
    },
  };
}
