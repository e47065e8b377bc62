/*
 * Company settings page: the company's name and id, and the settings PATCH /v1/company takes (the
 * monthly interview minutes limit and the retention period). Every signed-in recruiter may read them;
 * changing them is an administrator's (write:api_keys), and the page says so rather than fail.
 */

import * as api from './api.js';
import { ADMIN_WRITE, count, heldScopes, pageHead } from './admin-common.js';
import { amountChoice } from './amount-choice.js';
import { errorBox, facts, fill, h, loading, time } from './dom.js';
import { formErrors, notify } from './forms.js';

const LIMIT = 'monthly_interview_minutes_limit';
const RETENTION = 'retention_days';

export async function render(root, ctx) {
  const held = heldScopes(ctx);
  const head = pageHead('Company settings', 'Settings that apply to everyone in your company: how many '
    + 'interview minutes it may use per month, and how long it keeps candidates’ data.');
  const notices = h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'company-notices' });
  const body = h('div', { class: 'stack' }, loading('Loading the settings…'));
  fill(root, ...head, notices, body);
  let company;
  try {
    company = await api.get('/v1/company', {}, { signal: ctx.signal });
  } catch (error) {
    if (api.isAbort(error) || ctx.signal.aborted) return;
    fill(body, errorBox(error, 'The settings could not be loaded'));
    return;
  }
  if (ctx.signal.aborted) return;
  fill(body, about(company), held.has(ADMIN_WRITE) ? settingsForm(company, notices, ctx) : readOnly(company));
}

function about(company) {
  return h('section', { class: 'card', 'aria-labelledby': 'company-about-title', 'data-testid': 'company-about' },
    h('h2', { id: 'company-about-title', class: 'section-title', text: 'Company' }),
    facts([
      ['Name', h('span', { 'data-testid': 'company-name', text: company.name })],
      ['Company ID', h('code', { class: 'company-id', 'data-testid': 'company-id', text: company.id })],
      ['Created', time(company.created_at)],
    ]),
    h('p', { class: 'hint', text: 'The name is set when the company is created; it cannot be changed here. '
      + 'Integrators’ partner keys name the company by its ID.' }));
}

function limitText(minutes) {
  return minutes === null ? 'No limit' : `${count(minutes)} minutes per month`;
}

function retentionText(days) {
  return days === null ? 'Kept until erased on request or at their own expiry date'
    : `Erased after ${count(days)} days without activity`;
}

function readOnly(company) {
  return h('section', { class: 'card', 'aria-labelledby': 'company-settings-title', 'data-testid': 'company-settings' },
    h('h2', { id: 'company-settings-title', class: 'section-title', text: 'Settings' }),
    facts([
      ['Monthly interview minutes limit', h('span', { 'data-testid': 'company-limit-text',
        text: limitText(company[LIMIT]) })],
      ['Candidates’ data', h('span', { 'data-testid': 'company-retention-text',
        text: retentionText(company[RETENTION]) })],
    ]),
    h('div', { class: 'notice', dataset: { kind: 'attention' }, 'data-testid': 'company-read-only' },
      h('p', { class: 'notice-text', text: 'Only administrators can change these settings: it needs the '
        + `${ADMIN_WRITE} scope, which your sign-in does not have.` })));
}

function settingsForm(company, notices, ctx) {
  let saved = company;
  const limit = amountChoice({
    id: 'company-limit', legend: 'Monthly interview minutes limit', value: saved[LIMIT], min: 1, max: 10000000,
    hint: 'Minutes of real interviews per calendar month (UTC); test sessions never count. New sessions that '
      + 'would pass the limit are refused; nothing already booked or held is undone.',
    offLabel: 'No limit', onLabel: 'Limit the minutes per month', unitLabel: 'Minutes per month',
    unitHint: 'A whole number from 1 to 10,000,000.',
  });
  const retention = amountChoice({
    id: 'company-retention', legend: 'Retention of candidates’ data', value: saved[RETENTION], min: 1, max: 36500,
    hint: 'Candidates with no change to them or their sessions for this long are erased with their recordings, '
      + 'transcripts and analyses; only anonymous counts remain.',
    offLabel: 'Keep it until erased on request or at the candidate’s own expiry date',
    onLabel: 'Erase it after a period without activity', unitLabel: 'Days',
    unitHint: 'A whole number of days from 1 to 36,500, e.g. 365.',
  });
  const general = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'company-form-error' });
  const errors = formErrors({ [LIMIT]: limit, [RETENTION]: retention }, general);
  const submit = h('button', { type: 'submit', class: 'button button-primary', 'data-testid': 'company-save',
    text: 'Save settings' });
  const form = h('form', { class: 'form company-form', novalidate: true, 'data-testid': 'company-form' },
    limit.node, retention.node, general, h('div', { class: 'form-actions' }, submit));
  let baseline = [limit.snapshot(), retention.snapshot()].join('|');
  ctx.guardLeave({ dirty: () => [limit.snapshot(), retention.snapshot()].join('|') !== baseline,
    message: 'Your changes to the company settings are not saved yet.' });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    errors.clear();
    const values = { [LIMIT]: limit.read(), [RETENTION]: retention.read() };
    if (errors.check({ [LIMIT]: values[LIMIT].problem, [RETENTION]: values[RETENTION].problem })) return;
    // Only what changed: the other setting stays as it is even if someone else changed it meanwhile.
    const patch = {};
    for (const [name, read] of Object.entries(values)) if (read.value !== saved[name]) patch[name] = read.value;
    if (!Object.keys(patch).length) {
      notify(notices, 'info', 'Nothing to save: the settings are as they were.', 'company-unchanged');
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Saving…';
    try {
      saved = await api.patch('/v1/company', patch);
    } catch (error) {
      if (!api.isAbort(error)) errors.fromApi(error);
      return;
    } finally {
      submit.disabled = false;
      submit.textContent = 'Save settings';
    }
    baseline = [limit.snapshot(), retention.snapshot()].join('|');
    notify(notices, 'success', `Settings saved. Monthly limit: ${limitText(saved[LIMIT]).toLowerCase()}. `
      + `Candidates’ data: ${retentionText(saved[RETENTION]).toLowerCase()}.`, 'company-saved');
  });

  return h('section', { class: 'card', 'aria-labelledby': 'company-settings-title', 'data-testid': 'company-settings' },
    h('h2', { id: 'company-settings-title', class: 'section-title', text: 'Settings' }), form,
    h('p', { class: 'muted company-links' }, 'See what the company has used on the ',
      h('a', { href: '/review/usage', 'data-testid': 'company-usage-link', text: 'Usage' }), ' page; every change '
      + 'here is recorded in the ', h('a', { href: '/review/audit', 'data-testid': 'company-audit-link',
      text: 'Audit log' }), '.'));
}
