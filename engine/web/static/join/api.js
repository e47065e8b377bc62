/*
 * The join page's only way to the engine: GET /join/{token}/state and
 * POST /join/{token}/offer. No credentials beyond the token in the path.
 * Every call resolves (never throws) to { ok, status, body, error }; status 0
 * means the server could not be reached.
 */

import { base } from './state.js';

async function requestJson(url, options) {
  let response;
  try {
    response = await fetch(url, { credentials: 'same-origin', cache: 'no-store', ...options });
  } catch {
    return { ok: false, status: 0, body: null, error: { code: 'network', message: '' } };
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const error = body && typeof body === 'object' && body.error && typeof body.error === 'object' ? body.error : null;
  return { ok: response.ok, status: response.status, body, error };
}

/** The server's error message for the candidate, or `fallback`. */
export function errorMessage(result, fallback) {
  if (result.error && typeof result.error.message === 'string' && result.error.message) {
    return result.error.message;
  }
  return fallback;
}

/** What the link opens: titles, status, whether joinable, ICE servers. */
export function fetchState() {
  return requestJson(base + '/state', { method: 'GET', headers: { Accept: 'application/json' } });
}

/** Signalling: the complete offer (ICE gathered) for the complete answer. */
export async function postOffer(description) {
  const result = await requestJson(base + '/offer', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ sdp: description.sdp, type: 'offer', consent: true }),
  });
  if (result.ok && result.body && typeof result.body.sdp === 'string') {
    return { ok: true, sdp: result.body.sdp };
  }
  return { ok: false, result };
}
