/** The REST API: JSON in and out, the session's token attached, problems thrown as ApiError. */
import * as session from './session.js';

const BAN_DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A ban in words, its end in the reader's own time: "You are banned until 30 Dec 2026, 00:00: Spam". */
export function banText({ until, reason }) {
  return `You are banned ${until ? `until ${BAN_DATE.format(new Date(until))}` : 'for good'}${reason ? `: ${reason}` : ''}`;
}

export class ApiError extends Error {
  /** @param {object} problem RFC 9457 problem+json body */
  constructor(status, problem) {
    // The banned problem's detail has its end as an ISO time; the reader gets it in their own.
    super(problem?.type?.endsWith('/banned') ? banText(problem) : problem?.detail || `Request failed (${status})`);
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

/** What a reader sees when a write is refused because their session ended while the page was open. */
export const SESSION_ENDED = 'Your session has ended: sign in again to send this. Your text is kept.';
/** The same, for an action that sends no text (a delete). */
export const SESSION_ENDED_ACTION = 'Your session has ended: sign in again to do that.';

/** What a reader sees when the server cannot be reached at all. */
export const UNREACHABLE = "Can't reach Parley. Your text is kept; try again in a moment.";

/**
 * @param {object} [options]
 * @param {string} [options.idempotencyKey] makes a create safe to send again: the server does it once
 * @param {(attempt: number) => void} [options.onRetry] with a key, a request that could not reach the server is
 *   sent again every 2 s (up to 15 times), and this is called before each new attempt
 * @param {boolean} [options.anonymous] sent without this browser's sign-in (a reset link speaks for its account)
 * @param {boolean} [options.raw] a success's Response itself, its body unread (a file to save, not JSON to use)
 */
export async function api(method, path, body, options = {}) {
  const headers = { Accept: 'application/json' };
  const token = options.anonymous ? null : session.token();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.idempotencyKey) headers['Idempotency-Key'] = options.idempotencyKey;
  let response;
  for (let attempt = 0; ; attempt++) {
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
      break;
    } catch {
      // fetch only rejects when no answer came at all (the network, or the server is down or restarting).
      if (!options.idempotencyKey || attempt >= 15) throw new ApiError(0, { detail: UNREACHABLE });
      options.onRetry?.(attempt + 1);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
  // A sign-in's own 401 (a wrong password) says nothing of the session the page has.
  const signIn = path.startsWith('/api/auth/');
  if (response.status === 401 && token && !signIn) {
    // The token was refused (revoked key, account gone): the session is over; public data is read anonymously.
    session.ended('refused', token);
    // Read again without it, or with a newer one: never with the same one (while a password change replaces it, its
    // end is not the page's, and the same token again was a loop of refusals).
    if (method === 'GET' && session.token() !== token) return api(method, path, body);
  }
  if (!response.ok) {
    let problem = null;
    try { problem = await response.json(); } catch { /* not JSON */ }
    if (response.status === 401 && method !== 'GET' && !signIn && (token || session.endedBecause())) {
      // A write refused because the page's session ended (the page says so at its top, with a link): in words for
      // the reader, not the API's own ("Sign in first: send Authorization: Bearer <token>.").
      problem = { ...problem, detail: body === undefined ? SESSION_ENDED_ACTION : SESSION_ENDED };
    }
    throw new ApiError(response.status, problem);
  }
  if (options.raw) return response;
  return response.status === 204 ? null : response.json();
}

/**
 * Asks for a file (a data export) and saves it under the name the server gives it (Content-Disposition) through a
 * link the browser downloads; resolves with that name. A body cut short is an ApiError (status 0) that says so: the
 * server cuts a file it could not finish, and half a file is never kept as the whole.
 */
export async function download(method, path, body, fallbackName) {
  let file;
  let name;
  try {
    const response = await api(method, path, body, { raw: true });
    name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') ?? '')?.[1] ?? fallbackName;
    file = await response.blob();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw new ApiError(0, { detail: 'The download stopped before the end of the file. Try again.' });
  }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(file);
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  return name;
}

export const get = (path) => api('GET', path);
export const post = (path, body, options) => api('POST', path, body ?? {}, options);

/** A key for one create, kept while its text is being sent. */
export function newKey() {
  // getRandomValues works on plain http too (randomUUID needs a secure context).
  return [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
}
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);
