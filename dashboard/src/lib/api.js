// The API client: bearer token, one transparent refresh on expiry, problem+json errors as ApiError.
import * as session from './session.js';

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    this.kind = (problem?.type || '').split('/').pop();
  }

  /** Field or line errors flattened to readable strings. */
  get messages() {
    const out = [];
    const walk = (value, path) => {
      if (Array.isArray(value)) value.forEach((v) => (typeof v === 'string' ? out.push(path ? `${path}: ${v}` : v) : walk(v, path)));
      else if (value && typeof value === 'object') Object.entries(value).forEach(([k, v]) => walk(v, path ? `${path}.${k}` : k));
    };
    walk(this.problem.errors, '');
    return out;
  }
}

let refreshing = null;
const listeners = new Set();

/** Called when the session ends (refresh refused): the app shows the login form. */
export function onSignedOut(callback) { listeners.add(callback); }

async function refresh() {
  const current = session.load();
  if (!current?.refreshToken) throw new ApiError(401, { detail: 'Not signed in.' });
  refreshing ||= fetch('/api/auth/refresh', {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: current.refreshToken }),
  }).then(async (response) => {
    const body = await response.json().catch(() => null);
    if (!response.ok) throw new ApiError(response.status, body);
    return session.save(body);
  }).finally(() => { refreshing = null; });
  return refreshing;
}

function endSession() {
  session.clear();
  listeners.forEach((callback) => callback());
}

async function send(path, options, retry = true) {
  let current = session.load();
  if (current && Date.now() > current.expiresAt) {
    try { current = await refresh(); } catch { endSession(); throw new ApiError(401, { detail: 'Session expired.' }); }
  }
  const headers = { ...(options.headers || {}) };
  if (current) headers.Authorization = `Bearer ${current.accessToken}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && retry && current) {
    try { await refresh(); } catch { endSession(); throw new ApiError(401, { detail: 'Session expired.' }); }
    return send(path, options, false);
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => ({ detail: response.statusText }));
    throw new ApiError(response.status, problem);
  }
  return response;
}

function withQuery(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === '') continue;
    (Array.isArray(value) ? value : [value]).forEach((v) => params.append(key, v));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function get(path, query) {
  const response = await send(withQuery(path, query), { method: 'GET' });
  return response.json();
}

export async function post(path, body, query) {
  const response = await send(withQuery(path, query), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return response.status === 204 ? null : response.json();
}

export async function put(path, body) {
  const response = await send(path, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  return response.json();
}

/** A file as a multipart `file` part; options in the query string. */
export async function upload(path, file, query) {
  const form = new FormData();
  form.append('file', file, file.name);
  const response = await send(withQuery(path, query), { method: 'POST', body: form });
  return response.json();
}

/** A binary answer (PDF, image, export) as a Blob plus the file name the server suggests. */
export async function blob(path, query) {
  const response = await send(withQuery(path, query), { method: 'GET' });
  const disposition = response.headers.get('Content-Disposition') || '';
  const name = /filename="([^"]+)"/.exec(disposition)?.[1];
  return { blob: await response.blob(), name };
}

export async function login(username, password) {
  const response = await fetch('/api/auth/login', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export async function logout() {
  const current = session.load();
  session.clear();
  if (current?.refreshToken) {
    await fetch('/api/auth/logout', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: current.refreshToken }),
    }).catch(() => {});
  }
}
