/**
 * The signed-in session: {token, user}. It lives in localStorage so every tab of the site shares one sign-in and
 * survives a reload. The token never goes into a URL. What protects it is that no script but Parley's own can run
 * on these pages: a strict Content-Security-Policy (script-src 'self', no inline script) and pages that insert
 * only the server's sanitised bodyHtml as HTML, everything else as text.
 */
const KEY = 'parley.session';
/** Why the last session ended when another tab should say more than a sign-out: 'deleted' (its account). */
const ENDED = 'parley.session.ended';

/** @returns {{token: string, user: {id: number, username: string, role: string}}|null} */
export function current() {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? JSON.parse(raw) : null;
  } catch {
    return null;
  }
}

export function save(session) {
  localStorage.removeItem(ENDED);
  localStorage.setItem(KEY, JSON.stringify(session));
  // This page's session from now on (a sign-in, a password change, which ends the token before it).
  held = session.token;
  watchExpiry();
}

/**
 * Ends the session in every tab; {@code why} 'deleted' when its account was deleted, which the other tabs then say
 * instead of "You signed out in another tab" (written before the session goes, so they find it when they hear).
 */
export function clear(why) {
  if (why) localStorage.setItem(ENDED, why);
  else localStorage.removeItem(ENDED);
  localStorage.removeItem(KEY);
}

/** The token, or null once it has expired (an expired token would only get public requests refused). */
export function token() {
  const t = current()?.token ?? null;
  if (t && expired(t)) {
    ended('expired');
    return null;
  }
  return t;
}

/**
 * The session this page was opened with, until it ends. A page drawn for a signed-in member that went on looking
 * signed in after its token expired or was revoked stopped its live updates silently and answered a comment with the
 * API's "Sign in first: send Authorization…" (a page probe): so the end is noticed, and told, wherever it is met.
 */
let held = current()?.token ?? null;
const endListeners = new Set();
let expiryTimer;
let endedWhy = null;

/** Why the page's session ended ('expired', 'refused', 'signed-out', 'deleted', 'changed'), or null while not. */
export function endedBecause() {
  return held ? null : endedWhy;
}

/**
 * Calls listener(why) once the page's session ends: 'expired' (its token's time ran out), 'refused' (the server
 * refused the token: signed out everywhere, a password change, the account gone), 'signed-out' (in another tab),
 * 'deleted' (another tab deleted the account), or
 * 'changed' (another tab signed in as someone else); and listener('started') when another tab signs in after that.
 */
export function onEnded(listener) {
  endListeners.add(listener);
  watchExpiry();
}

/**
 * The page's session is over (see onEnded): forgets it here and in every tab, and tells the page once. Given the
 * token that ended, only if it is still the page's: an older one ending (the page changed its password, which ends
 * the token before) says nothing of the session saved since.
 */
export function ended(why, token) {
  if (!held || (token && token !== held)) return;
  if (token && token === replacing) {
    // Its end is the replacement's doing (a password change ends the token before it): heard from the server before
    // the answer with the new session, it is not the page's session ending (a page review: "Your session has
    // ended" under "Password changed"). Told after all if the replacement fails.
    endedMeanwhile = why;
    return;
  }
  const gone = held;
  // Refused because another tab deleted the account, which it wrote down just before: said so, and the word kept
  // for the other tabs (this tab's clear() erased it when the refusal came between the other tab's two writes, and
  // the other tabs then said "Your session has ended": seen once in a full run under load). Any sign-in since the
  // deletion would have erased it (save).
  const deleted = why === 'refused' && localStorage.getItem(ENDED) === 'deleted';
  endHere(deleted ? 'deleted' : why);
  // Only the session that ended: another tab may have saved a newer one a moment ago (its password change).
  if (current()?.token === gone) clear(deleted ? 'deleted' : undefined);
}

/** The token a request of this page is replacing with a new session, and the end heard for it meanwhile. */
let replacing = null;
let endedMeanwhile = null;

/**
 * Runs {@code request}, which ends the page's token and answers {token, user} (a password change), and saves the
 * session it answers: the old token's end, heard meanwhile, is not told. Resolves with the answer.
 */
export async function replaceWith(request) {
  const old = held;
  replacing = old;
  endedMeanwhile = null;
  let fresh;
  try {
    fresh = await request();
  } catch (error) {
    // Not replaced after all: an end heard meanwhile is the session's, and told now.
    const why = endedMeanwhile;
    replacing = null;
    endedMeanwhile = null;
    if (why) ended(why, old);
    throw error;
  }
  const heard = endedMeanwhile;
  replacing = null;
  endedMeanwhile = null;
  save({ token: fresh.token, user: fresh.user });
  // The live topics the old token's end closed (the header's own) are opened again with the new one: the header is
  // drawn anew, as when another tab signs in.
  if (heard) tell('started');
  return fresh;
}

/** Forgets the page's session (not the saved one: see ended) and tells the listeners why. */
function endHere(why) {
  held = null;
  endedWhy = why;
  clearTimeout(expiryTimer);
  tell(why);
}

/** Tells the listeners, after the caller is done: a listener redraws the page, which may ask for the token again. */
function tell(why) {
  queueMicrotask(() => endListeners.forEach((listener) => listener(why)));
}

/** Looks at the token again when it is due to expire, so a page left open says so then, not at the next click. */
function watchExpiry() {
  clearTimeout(expiryTimer);
  const exp = held ? claims(held)?.exp : undefined;
  if (typeof exp !== 'number') return;
  // setTimeout takes at most about 24 days.
  expiryTimer = setTimeout(() => token(), Math.min(Math.max(exp * 1000 - Date.now(), 0) + 500, 2 ** 31 - 1));
}

// Another tab signing out, or in (the session is shared through localStorage).
addEventListener('storage', (event) => {
  if (event.key !== KEY && event.key !== ENDED && event.key !== null) return;
  const now = current()?.token ?? null;
  const deleted = !now && localStorage.getItem(ENDED) === 'deleted';
  if (!held && !now && deleted && endedWhy !== 'deleted') {
    // The end was heard first from the server (its token refused, as the deletion ends every token): now why.
    endedWhy = 'deleted';
    tell('deleted');
    return;
  }
  if (now === held) return;
  if (replacing && held === replacing) {
    // Another tab heard the old token's end first and signed the browser out: this tab's replacement saves the new
    // session in a moment, which the other tabs then take up (a review: this tab said "You signed out in another tab").
    endedMeanwhile = now ? 'changed' : deleted ? 'deleted' : 'signed-out';
    return;
  }
  if (held) endHere(now ? 'changed' : deleted ? 'deleted' : 'signed-out');
  if (now && !held) {
    held = now;
    watchExpiry();
    tell('started');
  }
});

function claims(jwt) {
  try {
    return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
  } catch {
    return null;
  }
}

function expired(jwt) {
  const exp = claims(jwt)?.exp;
  return typeof exp === 'number' && exp * 1000 <= Date.now();
}

export function isModerator() {
  if (!token()) return false;
  const role = current()?.user?.role;
  return role === 'moderator' || role === 'admin';
}
