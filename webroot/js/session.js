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

export function token() {
  return current()?.token ?? null;
}

export function isModerator() {
  const role = current()?.user?.role;
  return role === 'moderator' || role === 'admin';
}
