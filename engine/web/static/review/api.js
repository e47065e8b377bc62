/*
 * The review UI's only way to the API.
 *
 * The sign-in cookie is HttpOnly and rides along by itself; what this module
 * adds is the CSRF token, kept in memory only (never localStorage) so a script
 * that is not ours cannot lift it from storage, on every state-changing call.
 */

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let csrfToken = null;
let onUnauthorized = null;
// Per sign-in: another recruiter may sign in to another company in the same tab.
let templatesCache = null;
const stagesCache = new Map();

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export function isAbort(error) {
  return error?.name === 'AbortError';
}

/** Called with the ApiError whenever a call (other than the sign-in ones) answers 401. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

/** Takes the body of /v1/auth/login or /v1/auth/me, or null after signing out. */
export function setAuth(auth) {
  csrfToken = auth?.csrf_token ?? null;
  templatesCache = null;
  stagesCache.clear();
}

/** `{a: 1, b: '', c: null}` -> `?a=1`: empty filters are left out rather than sent as blanks. */
export function queryString(params = {}) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

async function readBody(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function request(method, path, options = {}) {
  try {
    return await send(method, path, options);
  } catch (error) {
    // Signing in again in another tab replaces the cookie, and with it the token this tab holds:
    // fetch the current one and try once more.
    if (error.status !== 403 || error.details?.header !== 'X-CSRF-Token' || options.auth) throw error;
    if (!(await me())) {
      onUnauthorized?.(error);
      throw error;
    }
    return send(method, path, options);
  }
}

async function send(method, path, { query, body, signal, headers = {}, auth = false } = {}) {
  const sent = { Accept: 'application/json', ...headers };
  // A FormData body (file uploads) sets its own multipart boundary.
  const isForm = body instanceof FormData;
  if (body !== undefined && !isForm) sent['Content-Type'] = 'application/json';
  if (MUTATING.has(method) && csrfToken) sent['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(path + queryString(query), {
      method,
      headers: sent,
      body: body === undefined || isForm ? body : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal,
    });
  } catch (error) {
    if (isAbort(error)) throw error;
    throw new ApiError(0, 'network_error', 'Could not reach the server. Check your connection and try again.');
  }
  if (response.status === 204) return null;
  const data = await readBody(response);
  if (response.ok) return data;
  const detail = data?.error ?? {};
  const error = new ApiError(
    response.status,
    detail.code ?? `http_${response.status}`,
    detail.message || `The server answered ${response.status} ${response.statusText}`.trim(),
    detail.details,
  );
  // The sign-in calls report their own 401s (wrong password, not signed in yet).
  if (response.status === 401 && !auth && onUnauthorized) onUnauthorized(error);
  throw error;
}

export const get = (path, query, options = {}) => request('GET', path, { ...options, query });
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const patch = (path, body, options = {}) => request('PATCH', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });
export const del = (path, options = {}) => request('DELETE', path, options);
/** Files as multipart/form-data: `fields` maps a name to a string, a File or a list of Files. */
export function upload(path, fields, options = {}) {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== null && item !== undefined) form.append(name, item);
    }
  }
  return request('POST', path, { ...options, body: form });
}

/**
 * Whether a media URL answers, without downloading it (a one-byte Range): an
 * <audio> element only reports "error", never why (404 "no recording yet").
 */
export async function probe(path, { signal } = {}) {
  let response;
  try {
    response = await fetch(path, { headers: { Range: 'bytes=0-0' }, credentials: 'same-origin', cache: 'no-store',
      signal });
  } catch (error) {
    if (isAbort(error)) throw error;
    return { ok: false, status: 0, message: 'Could not reach the server.' };
  }
  if (response.ok) {
    response.body?.cancel().catch(() => {});
    return { ok: true, status: response.status, message: '' };
  }
  const data = await readBody(response);
  if (response.status === 401 && onUnauthorized) onUnauthorized(null);
  return { ok: false, status: response.status, message: data?.error?.message ?? `Error ${response.status}` };
}

// ---- Sign-in ----------------------------------------------------------------

/** The signed-in identity, or null when there is none (401). */
export async function me() {
  try {
    const auth = await request('GET', '/v1/auth/me', { auth: true });
    setAuth(auth);
    return auth;
  } catch (error) {
    if (error.status === 401) return null;
    throw error;
  }
}

/** `credentials`: `{email, password}` or `{api_key}`. */
export async function login(credentials) {
  const auth = await request('POST', '/v1/auth/login', { body: credentials, auth: true });
  setAuth(auth);
  return auth;
}

export async function logout() {
  try {
    await request('POST', '/v1/auth/logout', { auth: true });
  } finally {
    setAuth(null);
  }
}

// ---- Shared look-ups ----------------------------------------------------------

/** Every page of a list endpoint, up to `maxPages` (a guard, not an expected size). */
export async function listAll(path, query = {}, { signal, maxPages = 20 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const body = await get(path, { ...query, limit: 100, cursor }, { signal });
    items.push(...(body?.data ?? []));
    cursor = body?.next_cursor;
    if (!cursor) break;
  }
  return items;
}

// The cached look-ups take no abort signal: a page that is left must not cancel a load that the
// next page is already waiting on.

/** Drops the cached templates and stages: an editor that changed them calls it after saving. */
export function forgetTemplates() {
  templatesCache = null;
  stagesCache.clear();
}

/** Templates by id, loaded once per sign-in. */
export function templates() {
  if (!templatesCache) {
    templatesCache = listAll('/v1/templates')
      .then((list) => new Map(list.map((t) => [t.id, t])))
      .catch((error) => {
        templatesCache = null;
        throw error;
      });
  }
  return templatesCache;
}

/** A template's stages in pipeline order, loaded once per sign-in. */
export function stages(templateId) {
  if (!templateId) return Promise.resolve([]);
  if (!stagesCache.has(templateId)) {
    const loaded = listAll(`/v1/templates/${encodeURIComponent(templateId)}/stages`)
      .then((list) => list.sort((a, b) => (a.order ?? 0) - (b.order ?? 0)))
      .catch((error) => {
        stagesCache.delete(templateId);
        throw error;
      });
    stagesCache.set(templateId, loaded);
  }
  return stagesCache.get(templateId);
}

/** Stage names by id for the given templates; templates that fail to load are skipped. */
export async function stageNames(templateIds) {
  const names = new Map();
  const unique = [...new Set(templateIds.filter(Boolean))];
  const results = await Promise.allSettled(unique.map((id) => stages(id)));
  for (const result of results) {
    if (result.status !== 'fulfilled') continue;
    for (const stage of result.value) names.set(stage.id, stage.name);
  }
  return names;
}

export function sessionPath(id) {
  return `/review/sessions/${encodeURIComponent(id)}`;
}

export function participantPath(id) {
  return `/review/participants/${encodeURIComponent(id)}`;
}
