/*
 * Loading the link and the setup screen: fetches /state, blocks links that
 * are unknown or not joinable, and fills in the interview's details, the
 * recording notice and the start button.
 */

import { errorMessage, fetchState } from './api.js';
import { debug } from './debug.js';
import { $, el } from './dom.js';
import { updateSetupButtons } from './mic.js';
import { clearNotice, showBlocked, showScreen } from './screens.js';
import { app, token } from './state.js';

const STATUS_TITLES = {
  completed: 'This interview is already complete — thank you',
  cancelled: 'This interview has been cancelled',
  expired: 'This interview link has expired',
  failed: 'This interview could not be completed',
  in_progress: 'This interview is already in progress',
  scheduled: 'This interview is not available yet',
};

const STATUS_TEXTS = {
  completed: 'Your answers have been received. There is nothing more to do here.',
  cancelled: 'Please contact the person who invited you if you think this is a mistake.',
  expired: 'Please contact the person who invited you to ask for a new link.',
  failed: 'Something went wrong with this interview. Please contact the person who invited you.',
  in_progress: 'It may be open in another window or on another device.',
  scheduled: 'Please try again later.',
};

export async function loadState() {
  clearNotice();
  showScreen('screen-loading');
  if (!token) {
    showBlocked('This link is not valid', 'Please check that you copied the whole link from your invitation.');
    return;
  }
  const result = await fetchState();
  if (result.status === 404) {
    showBlocked('This link is not valid', 'Please check that you copied the whole link from your invitation.');
    return;
  }
  if (!result.ok || !result.body || typeof result.body !== 'object') {
    const text = result.status === 0
      ? 'We could not reach the interview server. Check your internet connection and try again.'
      : errorMessage(result, 'The interview could not be loaded. Please try again in a moment.');
    showBlocked('Something went wrong', text, true);
    return;
  }
  const info = result.body;
  app.info = info;
  debug.state = info;
  if (info.interview_title) document.title = info.interview_title + ' — Interview';

  if (!info.joinable) {
    const status = String(info.status || '');
    const title = STATUS_TITLES[status] || 'This interview is not available';
    const text = info.message || STATUS_TEXTS[status] || '';
    showBlocked(title, text);
    return;
  }
  renderSetup(info);
}

function renderSetup(info) {
  el.welcomeBack.hidden = !info.resume;
  $('interview-title').textContent = info.interview_title || 'Interview';
  $('call-title').textContent = info.interview_title || 'Interview';
  $('interviewer-name').textContent = info.interviewer_name || 'AI interviewer';
  if (info.candidate_name) {
    $('candidate-name').textContent = info.candidate_name;
    $('fact-candidate').hidden = false;
  }
  if (typeof info.duration_minutes === 'number' && info.duration_minutes > 0) {
    $('duration').textContent = 'About ' + info.duration_minutes + ' minute' + (info.duration_minutes === 1 ? '' : 's');
    $('fact-duration').hidden = false;
    $('timer-total').textContent = ' / ~' + info.duration_minutes + ' min';
  }
  $('recording-notice').textContent = info.recording_notice || 'This interview is recorded and transcribed.';
  renderPolicyLink(info.privacy_policy_url);
  el.start.textContent = info.resume ? 'Continue interview' : 'Start interview';
  updateSetupButtons();
  showScreen('screen-setup', 'interview-title');
}

// The company's privacy policy, next to the recording notice. Built with DOM APIs (the URL is configured,
// not trusted as markup), and only for http(s): a javascript: or data: URL never becomes a link.
function renderPolicyLink(value) {
  const holder = $('privacy-policy');
  if (!holder) return;
  holder.replaceChildren();
  holder.hidden = true;
  if (typeof value !== 'string' || !value) return;
  let url;
  try {
    url = new URL(value);
  } catch {
    return;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return;
  const link = document.createElement('a');
  link.href = url.href;
  link.target = '_blank';
  link.rel = 'noopener noreferrer';
  link.textContent = 'How your data is handled: privacy policy (opens in a new tab)';
  holder.append(link);
  holder.hidden = false;
}
