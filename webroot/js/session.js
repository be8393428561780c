/**
 * The signed-in session: {token, user}. It lives in localStorage so every tab of the site shares one sign-in and
 * survives a reload. The token never goes into a URL. What protects it is that no script but Parley's own can run
 * on these pages: a strict Content-Security-Policy (script-src 'self', no inline script) and pages that insert
 * only the server's sanitised bodyHtml as HTML, everything else as text.
 */
const KEY = 'parley.session';

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
  localStorage.setItem(KEY, JSON.stringify(session));
}

export function clear() {
  localStorage.removeItem(KEY);
}

/** The token, or null once it has expired (an expired token would only get public requests refused). */
export function token() {
  const t = current()?.token ?? null;
  if (t && expired(t)) {
    clear();
    return null;
  }
  return t;
}

function expired(jwt) {
  try {
    const claims = JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return typeof claims.exp === 'number' && claims.exp * 1000 <= Date.now();
  } catch {
    return false;
  }
}

export function isModerator() {
  if (!token()) return false;
  const role = current()?.user?.role;
  return role === 'moderator' || role === 'admin';
}
