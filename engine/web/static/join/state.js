/*
 * The page's shared state: the join token from the URL, the base of its API
 * calls, and `app`, the one mutable record of the setup and the call that the
 * other modules read and write.
 */

function tokenFromPath(pathname) {
  const parts = pathname.split('/').filter(Boolean);
  return parts.length ? decodeURIComponent(parts[parts.length - 1]) : '';
}

export const token = tokenFromPath(window.location.pathname);
export const base = '/join/' + encodeURIComponent(token);

export const app = {
  info: null, // the /state answer
  micStream: null,
  meter: null,
  pc: null,
  channel: null,
  lostTimer: null,
  statsTimer: null,
  clockTimer: null,
  confirmTimer: null,
  callStartedAt: null,
  connecting: false,
  ended: false,
  interviewerPartial: null,
  candidatePartial: null,
};
