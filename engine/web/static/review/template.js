/*
 * One interview (evaluation template) in three tabs: Sessions (the default;
 * template-sessions.js), Stages (the pipeline, template-stages.js) and Settings
 * (every template field and the public link, template-settings.js). The tab is
 * in the address (?tab=stages) so a link or a reload opens the same one; each
 * panel renders the first time it is shown.
 */

import * as api from './api.js';
import { errorBox, fill, h, loading } from './dom.js';
import { notify } from './forms.js';
import { tabs } from './tabs.js';
import * as sessionsTab from './template-sessions.js';
import * as settingsTab from './template-settings.js';
import * as stagesTab from './template-stages.js';
import { USE_CASES, labelOf, takeFlash, verdictText } from './template-vocab.js';
import { deniedNotice } from './templates.js';

const TABS = [
  { key: 'sessions', label: 'Sessions' },
  { key: 'stages', label: 'Stages' },
  { key: 'settings', label: 'Settings' },
];

export async function render(root, ctx) {
  const [id] = ctx.params;
  document.title = 'Interview · Interview review';
  const held = new Set(ctx.identity?.scopes ?? []);
  const back = h('p', { class: 'back-link' }, h('a', { href: '/review/templates', text: '← All interviews' }));
  const title = h('h1', { class: 'title', tabindex: '-1', 'data-testid': 'template-title', text: 'Interview' });
  if (!held.has('read:templates')) {
    fill(root, back, title, deniedNotice());
    return;
  }
  fill(root, back, title, loading('Loading the interview…'));
  const path = `/v1/templates/${encodeURIComponent(id)}`;
  const template = await api.get(path, {}, { signal: ctx.signal });
  if (ctx.signal.aborted) return;

  const summary = h('p', { class: 'template-summary muted', 'data-testid': 'template-summary' });
  const page = {
    ctx,
    held,
    path,
    template,
    notices: h('div', { class: 'notices', tabindex: '-1', 'data-testid': 'template-notices' }),
    /** After a save: the new template everywhere on the page. */
    setTemplate(updated) {
      page.template = updated;
      drawHead();
    },
  };
  function drawHead() {
    title.textContent = page.template.name;
    document.title = `${page.template.name} · Interview review`;
    fill(summary, labelOf(USE_CASES, page.template.use_case), ' · ', verdictText(page.template), ' · ',
      `${page.template.duration_minutes} min`);
  }
  drawHead();

  const rendered = new Set();
  const sections = tabs({
    id: 'template',
    label: 'Interview sections',
    items: TABS,
    onSelect: (key, panel) => {
      keepInAddress(key);
      if (rendered.has(key)) return;
      rendered.add(key);
      renderPanel(key, panel, page);
    },
  });
  fill(root, back, h('div', { class: 'template-head' }, title, summary), page.notices, sections.list,
    [...sections.panels.values()]);
  const flash = takeFlash('template');
  if (flash) notify(page.notices, 'success', flash, 'template-flash', { focus: false });
  sections.select(ctx.query.get('tab') ?? 'sessions');
}

/** The selected tab in the address bar, without a history entry per tab or a re-render. */
function keepInAddress(key) {
  const url = new URL(window.location.href);
  if (url.searchParams.get('tab') === key) return;
  if (key === 'sessions' && !url.searchParams.has('tab')) return;
  url.searchParams.set('tab', key);
  window.history.replaceState(window.history.state, '', url);
}

async function renderPanel(key, panel, page) {
  fill(panel, loading());
  try {
    if (key === 'sessions') {
      panel.replaceChildren();
      await sessionsTab.render(panel, page.ctx, page.template);
    } else if (key === 'stages') {
      await stagesTab.render(panel, page);
    } else {
      await settingsTab.render(panel, page);
    }
  } catch (error) {
    if (api.isAbort(error) || page.ctx.signal.aborted) return;
    fill(panel, errorBox(error, 'This tab could not be loaded'));
  }
}
