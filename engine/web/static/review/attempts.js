/*
 * "Attempts at this stage": the participant's sessions for the same template and stage, side by side,
 * with this session's column marked. Nothing is shown for a first and only attempt.
 */

import * as api from './api.js';
import { formatNumber, h, isAssessed, ratingText, recommendationBadge, scaleMax, statusBadge, time } from './dom.js';

export function retakes(session, participantSessions) {
  const attempts = participantSessions
    .filter((s) => s.template_id === session.template_id && s.stage_id === session.stage_id)
    .filter((s) => s.id === session.id || Boolean(s.is_test) === Boolean(session.is_test))
    .sort((a, b) => String(a.created_at).localeCompare(String(b.created_at)));
  if (attempts.length < 2) return null;
  const names = [...new Set(attempts.flatMap((s) => (s.analysis?.dimensions ?? []).map((d) => d.name)))];
  const cell = (s, content) => h('td', { class: s.id === session.id ? 'is-current' : null }, content);
  const rows = [
    ['Date', (s) => time(s.completed_at ?? s.started_at ?? s.created_at)],
    ['Status', (s) => statusBadge(s.status)],
    ['Overall rating', (s) => ratingText(s.analysis)],
    ['Recommendation', (s) => recommendationBadge(s.analysis?.recommendation)],
    ...names.map((n) => [n, (s) => {
      const d = (s.analysis?.dimensions ?? []).find((x) => x.name === n);
      if (!d) return '—';
      if (!isAssessed(d)) return h('span', { class: 'muted', text: 'Not assessed' });
      return `${formatNumber(d.score)} / ${formatNumber(scaleMax(d.scale ?? s.analysis?.scale))}`;
    }]),
  ];
  return h('section', { class: 'card', 'data-testid': 'retakes', 'aria-labelledby': 'retakes-title' },
    h('h2', { id: 'retakes-title', class: 'section-title', text: 'Attempts at this stage' }),
    h('div', { class: 'table-wrap' },
      h('table', { class: 'table table-compare' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Measure' })),
          attempts.map((s, i) => h('th', { scope: 'col', class: s.id === session.id ? 'is-current' : null,
            'data-current': String(s.id === session.id), 'data-session-id': s.id },
          s.id === session.id
            ? h('span', { 'aria-current': 'page' }, `Attempt ${i + 1} `, h('span', { class: 'muted', text: '(this session)' }))
            : h('a', { href: api.sessionPath(s.id), text: `Attempt ${i + 1}` }))))),
        h('tbody', {}, rows.map(([label, value]) => h('tr', {}, h('th', { scope: 'row', text: label }),
          attempts.map((s) => cell(s, value(s)))))))));
}
