/*
 * "+ Add" > Import by Excel: download the .xlsx template, fill one row per candidate, upload it. "Check
 * file" is a dry run (POST /v1/participants/import with dry_run) that lists each row as it would go:
 * created, duplicate (skipped) or invalid with the column named. Only a file without invalid rows can be
 * imported, and the import itself is all or nothing: a 422 carries the same per-row results and nothing
 * was written. Each imported candidate is booked and emailed an invitation (invite=true).
 */

import * as api from './api.js';
import { fill, h, sentence } from './dom.js';
import { field } from './forms.js';
import { stepDialog } from './session-dialog.js';
import { many } from './session-fields.js';

const TEMPLATE_URL = '/v1/participants/import-template.xlsx';
const XLSX_ACCEPT = '.xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const OUTCOMES = {
  created: ['Created', 'positive'],
  would_create: ['Will be created', 'info'],
  duplicate: ['Duplicate, skipped', 'attention'],
  invalid: ['Invalid', 'negative'],
};

function outcomeBadge(status) {
  const [text, tone] = OUTCOMES[status] ?? [sentence(status), 'neutral'];
  return h('span', { class: 'badge', dataset: { tone, outcome: status }, text });
}

function details(item) {
  if (item.errors?.length) {
    return h('ul', { class: 'ts-row-errors' }, item.errors.map((e) => h('li', {},
      e.column ? h('strong', { text: `${e.column}: ` }) : null, sentence(e.message))));
  }
  if (item.status === 'duplicate') return h('span', { class: 'muted', text: 'Already a candidate of this interview' });
  return h('span', { class: 'muted', text: '—' });
}

function resultsTable(results) {
  return h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-stack ts-import-table', 'data-testid': 'ts-excel-results' },
      h('caption', { class: 'visually-hidden', text: 'Rows of the file' }),
      h('thead', {}, h('tr', {}, ['Row', 'Email', 'Result', 'Details'].map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, results.map((item) => h('tr', { 'data-testid': 'ts-excel-row',
        dataset: { row: String(item.row ?? ''), status: item.status ?? '' } },
      h('td', { class: 'cell-number', 'data-label': 'Row', text: String(item.row ?? '—') }),
      h('td', { class: 'cell-email', 'data-label': 'Email', text: item.email || '—' }),
      h('td', { 'data-label': 'Result' }, outcomeBadge(item.status)),
      h('td', { 'data-label': 'Details' }, details(item)))))));
}

const isAre = (n, word) => `${many(n, word)} ${n === 1 ? 'is' : 'are'}`;

function count(results, status) {
  return results.filter((item) => item.status === status).length;
}

export async function importExcel(page) {
  const d = stepDialog({ title: 'Import candidates from Excel', testid: 'ts-excel' });
  const file = field({ id: 'ts-excel-file', label: 'Spreadsheet (.xlsx)', type: 'file', accept: XLSX_ACCEPT,
    hint: 'One row per candidate; name and email are required.' });
  const report = h('div', { class: 'ts-report', tabindex: '-1', 'data-testid': 'ts-excel-report' });
  let imported = null;

  const close = d.button('Cancel', 'ts-excel-close', () => d.close());
  const check = d.button('Check file', 'ts-excel-check', () => run(true), { primary: true });
  const confirm = d.button('Import', 'ts-excel-import', () => run(false), { primary: true });
  confirm.hidden = true;
  d.actions.append(close, check, confirm);
  d.body.append(
    h('p', {}, 'Download the ',
      h('a', { href: TEMPLATE_URL, download: '', 'data-testid': 'ts-excel-template',
        text: 'Excel template' }),
      `, fill it in and upload it here. Each candidate is booked for ${page.template.name} and emailed an `
      + 'invitation. Check the file first: nothing is imported until you confirm.'),
    file.wrap, report);

  file.input.addEventListener('change', () => {
    fill(report);
    confirm.hidden = true;
    check.classList.add('button-primary');
    file.error.textContent = '';
    file.input.setAttribute('aria-invalid', 'false');
  });

  async function run(dryRun) {
    const chosen = file.input.files?.[0];
    if (!chosen) {
      file.error.textContent = 'Choose the filled-in spreadsheet.';
      file.input.setAttribute('aria-invalid', 'true');
      file.input.focus();
      return;
    }
    file.error.textContent = '';
    file.input.setAttribute('aria-invalid', 'false');
    const button = dryRun ? check : confirm;
    let body;
    let refused = null;
    await d.busy(button, dryRun ? 'Checking…' : 'Importing…', async () => {
      try {
        body = await api.upload('/v1/participants/import', { file: chosen, template_id: page.template.id,
          invite: 'true', dry_run: dryRun ? 'true' : 'false' }, { signal: page.signal });
      } catch (error) {
        if (api.isAbort(error)) return;
        refused = error;
      }
    });
    if (refused) {
      showRefused(refused);
      return;
    }
    if (body) showResults(body, dryRun);
  }

  function showRefused(error) {
    const results = error.details?.results;
    confirm.hidden = true;
    check.classList.add('button-primary');
    if (!Array.isArray(results)) {
      // The file as a whole: not a spreadsheet, too large, no header row, ...
      file.error.textContent = sentence(error.message);
      file.input.setAttribute('aria-invalid', 'true');
      fill(report);
      file.input.focus();
      return;
    }
    summarize('error', `Nothing was imported: ${isAre(count(results, 'invalid'), 'row')} invalid. Fix `
      + 'them and check the file again.', results);
  }

  function showResults(body, dryRun) {
    const results = body.results ?? [];
    const invalid = body.invalid ?? count(results, 'invalid');
    const skipped = body.skipped ?? count(results, 'duplicate');
    if (dryRun) {
      const creating = count(results, 'would_create') || body.created || 0;
      if (invalid) {
        confirm.hidden = true;
        summarize('error', `${isAre(invalid, 'row')} invalid: fix them and check the file again. Nothing has `
          + 'been imported.', results);
        return;
      }
      confirm.hidden = creating === 0;
      confirm.textContent = `Import ${creating}`;
      check.classList.toggle('button-primary', creating === 0);
      summarize(creating ? 'attention' : 'error', creating
        ? `Ready: ${many(creating, 'candidate')} will be created and invited${skipped
          ? `, ${many(skipped, 'duplicate')} skipped` : ''}. Nothing has been imported yet.`
        : 'Nothing to import: every row is already a candidate of this interview.', results);
      return;
    }
    imported = { created: body.created ?? count(results, 'created'), skipped };
    confirm.hidden = true;
    check.hidden = true;
    close.textContent = 'Done';
    summarize('success', `Imported ${many(imported.created, 'candidate')}; each is emailed an invitation.`
      + (skipped ? ` ${many(skipped, 'duplicate')} skipped.` : ''), results);
  }

  function summarize(kind, text, results) {
    fill(report,
      h('div', { class: 'notice', dataset: { kind }, role: kind === 'error' ? 'alert' : 'status',
        'data-testid': 'ts-excel-summary' }, h('p', { class: 'notice-text', text })),
      results.length ? resultsTable(results) : null);
    report.focus();
  }

  await d.open();
  if (!imported) return;
  await page.refresh();
  page.notify('success', `Imported ${many(imported.created, 'candidate')} from the spreadsheet; each is emailed `
    + `an invitation.${imported.skipped ? ` ${many(imported.skipped, 'duplicate')} skipped.` : ''}`, 'ts-imported');
}
