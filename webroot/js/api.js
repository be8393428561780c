/** The REST API: JSON in and out, the session's token attached, problems thrown as ApiError. */
import * as session from './session.js';

export class ApiError extends Error {
  /** @param {object} problem RFC 9457 problem+json body */
  constructor(status, problem) {
    super(problem?.detail || `Request failed (${status})`);
    this.status = status;
    this.problem = problem || {};
  }

  /** field -> message, from a validation problem's errors. */
  fieldErrors() {
    const out = {};
    for (const e of this.problem.errors || []) out[e.field] = e.message;
    return out;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  const token = session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 401 && token) {
    // The token was refused (revoked key, account gone): sign out locally, and read public data anonymously.
    session.clear();
    if (method === 'GET') return api(method, path, body);
  }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, problem);
  }
  return response.status === 204 ? null : response.json();
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);
