/*
 * Participant page: who they are, where they stand in the template's stages,
 * and every session with the decisions a recruiter takes on it (approve or
 * reject a result awaiting a human, share an invite link, schedule a retake).
 */

import * as api from './api.js';
import {
  FINAL_STATUSES, actionButton, announce, clock, confirmDialog, empty, errorBox, facts, fill, formatNumber, h, humanize,
  loading, outcomeBadge, ratingText, recommendationBadge, sentence, statusBadge, time, writeClipboard,
} from './dom.js';
import { copyInviteLink, linkField } from './invite-link.js';
import { decisionButtons } from './stage-decision.js';

const enc = encodeURIComponent;

export async function render(root, ctx) {
  const { signal } = ctx;
  root.append(loading('Loading participant…'));
  const person = await api.get(`/v1/participants/${enc(ctx.params[0])}`, {}, { signal });
  const templates = await api.templates().catch(() => new Map());
  if (signal.aborted) return;
  document.title = `${person.name} · Interview review`;

  const notices = h('div', { class: 'notices', tabindex: '-1' });
  const pipelineSlot = h('div', {}, loading('Loading pipeline…'));
  const sessionsSlot = h('div', {}, loading('Loading sessions…'));
  fill(root, header(person, templates), notices, h('div', { class: 'participant-grid' }, pipelineSlot, sessionsSlot));

  const page = { person, templates, signal, notices, refresh };

  async function refresh() {
    const [pipeline, sessions] = await Promise.allSettled([
      api.get(`/v1/participants/${enc(person.id)}/pipeline`, {}, { signal }),
      api.listAll('/v1/sessions', { participant_id: person.id }, { signal }),
    ]);
    if (signal.aborted) return;
    const list = sessions.status === 'fulfilled' ? sessions.value : [];
    const stageNames = await api.stageNames(list.map((s) => s.template_id));
    if (signal.aborted) return;
    fill(pipelineSlot, pipeline.status === 'fulfilled'
      ? pipelineSection(pipeline.value, templates)
      : errorBox(pipeline.reason, 'The pipeline could not be loaded'));
    fill(sessionsSlot, sessions.status === 'fulfilled'
      ? sessionsSection(list, stageNames, page)
      : errorBox(sessions.reason, 'Sessions could not be loaded'));
  }

  await refresh();
}

function header(person, templates) {
  const profile = person.profile ?? {};
  const background = person.background ?? {};
  const join = (items) => (items?.length ? items.join(', ') : null);
  const link = /^https?:\/\//i.test(person.resume_url ?? '')
    ? h('a', { href: person.resume_url, rel: 'noopener noreferrer', target: '_blank', text: 'Open resume' }) : null;
  // The file kept when they were created from an uploaded resume: always downloaded, never shown inline.
  const kept = person.resume ? h('a', { href: `/v1/participants/${enc(person.id)}/resume`,
    download: person.resume.filename, 'data-testid': 'participant-resume',
    text: `Download ${person.resume.filename}` }) : null;
  const resume = kept && link ? [kept, ' · ', link] : kept ?? link;
  return h('section', { class: 'card', 'aria-labelledby': 'participant-title', 'data-testid': 'participant' },
    h('p', { class: 'eyebrow', text: 'Participant' }),
    h('h1', { id: 'participant-title', class: 'title', tabindex: '-1', text: person.name }),
    facts([
      ['Email', person.email],
      ['External ID', person.external_id],
      ['Template', templates.get(person.evaluation_template_id)?.name],
      ['Tags', person.tags?.length
        ? h('ul', { class: 'tags' }, person.tags.map((tag) => h('li', { class: 'tag', text: tag }))) : null],
      ['Title', profile.title],
      ['Organisation', profile.organization],
      ['Experience', profile.experienceLevel ?? profile.experience_level],
      ['Location', profile.location],
      ['Education', background.education],
      ['Skills', join(background.skills)],
      ['Languages', join(background.languages)],
      ['Resume', resume],
    ]));
}

// ---- Pipeline --------------------------------------------------------------------

function pipelineSection(position, templates) {
  const section = h('section', { class: 'card', 'data-testid': 'pipeline', 'aria-labelledby': 'pipeline-title' },
    h('h2', { id: 'pipeline-title', class: 'section-title', text: 'Pipeline' }));
  const stages = [...(position?.stages ?? [])].sort((a, b) => a.order - b.order);
  if (!stages.length) {
    section.append(empty(position?.template_id ? 'This template has no stages.'
      : 'This participant has no evaluation template, so there is no pipeline.'));
    return section;
  }
  const template = templates.get(position.template_id)?.name;
  if (template) section.append(h('p', { class: 'muted', text: template }));
  section.append(h('ol', { class: 'pipeline' }, stages.map((stage) => {
    const result = stage.result;
    const isCurrent = stage.stage_id === position.current_stage_id;
    return h('li', { class: ['stage', isCurrent && 'is-current'], 'data-testid': 'pipeline-stage',
      dataset: { stageId: stage.stage_id, status: stage.status }, 'aria-current': isCurrent ? 'step' : null },
    h('span', { class: 'stage-number', 'aria-hidden': 'true', text: String(stage.order + 1) }),
    h('div', { class: 'stage-body' },
      h('div', { class: 'stage-head' },
        h('h3', { class: 'stage-name', text: stage.name || `Stage ${stage.order + 1}` }),
        outcomeBadge(stage.status, { 'data-testid': 'stage-status' })),
      h('p', { class: 'muted stage-meta' }, [
        `${stage.attempts} attempt${stage.attempts === 1 ? '' : 's'}`,
        result?.overallRating !== undefined && result?.overallRating !== null
          ? `rating ${formatNumber(result.overallRating, 0)} vs pass mark ${formatNumber(result.passThreshold, 0)}` : null,
        result?.outcome && result.outcome !== stage.status ? humanize(result.outcome) : null,
        isCurrent ? 'current stage' : null,
      ].filter(Boolean).join(' · ')),
      stage.session_id ? h('a', { href: api.sessionPath(stage.session_id), text: 'View session' }) : null));
  })));
  return section;
}

// ---- Sessions and actions ----------------------------------------------------------

function sessionsSection(sessions, stageNames, page) {
  const section = h('section', { class: 'card', 'data-testid': 'participant-sessions', 'aria-labelledby': 'ps-title' },
    h('h2', { id: 'ps-title', class: 'section-title', text: 'Sessions' }));
  if (!sessions.length) {
    section.append(empty('No sessions yet.'));
    return section;
  }
  const ordered = [...sessions].sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
  const retakeId = retakeCandidate(ordered);
  section.append(h('div', { class: 'table-wrap' },
    h('table', { class: 'table table-participant' },
      h('thead', {}, h('tr', {}, ['Session', 'Stage', 'Status', 'Rating', 'Recommendation', 'Stage result',
        'Actions'].map((text) => h('th', { scope: 'col', text })))),
      h('tbody', {}, ordered.map((s) => sessionRow(s, stageNames, page, s.id === retakeId))))));
  return section;
}

// Only the participant's newest session may be retaken, once it is final: a newer session means the
// pipeline has moved on (advanced, or a retake is already waiting), and a second one would compete with it.
function retakeCandidate(newestFirst) {
  const real = newestFirst.filter((s) => !s.is_test);
  return real.length && FINAL_STATUSES.has(real[0].status) ? real[0].id : null;
}

function sessionRow(session, stageNames, page, canRetake) {
  const status = h('p', { class: 'row-status', role: 'status', 'data-testid': 'row-status' });
  const extra = h('div', { class: 'row-extra' });
  const actions = [];
  const outcome = session.stage_result?.outcome;
  actions.push(...decisionButtons(session, page.person.name, {
    status,
    onDone: async (text) => {
      notice(page, 'success', h('p', { class: 'notice-text', text }));
      await page.refresh();
    },
    onError: (error) => notice(page, 'error', h('p', { class: 'notice-text', text: sentence(error.message) })),
  }));
  if (!FINAL_STATUSES.has(session.status)) {
    actions.push(button('Copy invite link', 'copy-link', '',
      () => copyInviteLink(session, { status, extra, testid: 'invite-link' })));
  }
  if (canRetake) actions.push(button('Schedule retake', 'retake', '', () => retake(session, page, status)));
  const where = [page.templates.get(session.template_id)?.name, session.is_test ? 'test' : null]
    .filter(Boolean).join(' · ');
  return h('tr', { 'data-testid': 'participant-session', dataset: { sessionId: session.id } },
    h('td', { 'data-label': 'Session' },
      h('a', { href: api.sessionPath(session.id) }, time(session.created_at)),
      session.duration_seconds ? h('span', { class: 'cell-sub', text: clock(session.duration_seconds) }) : null),
    h('td', { 'data-label': 'Stage' },
      stageNames.get(session.stage_id) ?? '—',
      where ? h('span', { class: 'cell-sub', text: where }) : null),
    h('td', { 'data-label': 'Status' }, statusBadge(session.status)),
    h('td', { class: 'cell-number', 'data-label': 'Rating', text: ratingText(session.analysis) }),
    h('td', { 'data-label': 'Recommendation' }, recommendationBadge(session.analysis?.recommendation)),
    h('td', { 'data-label': 'Stage result' }, outcomeBadge(outcome)),
    h('td', { class: 'cell-actions', 'data-label': 'Actions' },
      actions.length ? h('div', { class: 'actions' }, actions) : h('span', { class: 'muted', text: '—' }),
      status, extra));
}

function button(label, testid, variant, onClick) {
  return actionButton({ class: ['button', 'button-small', variant], 'data-testid': testid, text: label }, onClick);
}

function notice(page, kind, ...children) {
  fill(page.notices, h('div', { class: 'notice', dataset: { kind }, role: kind === 'error' ? 'alert' : 'status',
    'data-testid': 'action-notice' }, children));
}

async function retake(session, page, status) {
  const ok = await confirmDialog({
    title: 'Schedule a retake?',
    message: `A new session at the same stage is created for ${page.person.name}; this one is kept.`,
    confirmLabel: 'Schedule retake',
  });
  if (!ok) return;
  status.textContent = 'Scheduling…';
  let created;
  try {
    created = await api.post(`/v1/sessions/${enc(session.id)}/retake`);
  } catch (error) {
    status.textContent = '';
    if (!api.isAbort(error)) notice(page, 'error', h('p', { class: 'notice-text', text: sentence(error.message) }));
    return;
  }
  const copy = h('button', { type: 'button', class: 'button button-small', text: 'Copy link' });
  const copied = h('span', { class: 'muted', role: 'status' });
  copy.addEventListener('click', async () => {
    copied.textContent = (await writeClipboard(created.join_url)) ? 'Link copied' : 'Select the link and copy it.';
  });
  notice(page, 'success',
    h('p', { class: 'notice-title', text: 'Retake scheduled' }),
    h('p', { class: 'notice-text' }, 'Send this link to the participant, or ',
      h('a', { href: api.sessionPath(created.id), text: 'open the new session' }), '.'),
    created.join_url ? h('div', { class: 'link-row' }, linkField(created.join_url, 'retake-link'), copy, copied) : null);
  announce('Retake scheduled.');
  await page.refresh();
  page.notices.focus();
}
