/**
 * A new password with a reset link an admin issued (/reset#token=…: the token after '#' never reaches a server or a
 * Referer). Using it signs this browser in as the account, in place of the session it had; only opening it changes
 * nothing (it signed the browser out before, so anyone could sign a member out with a made-up link).
 */
import { post } from './api.js';
import { current } from './session.js';
import { h, renderHeader, submitsSignIn } from './ui.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const form = document.getElementById('reset-form');
/** Whose password was just set, kept across the page's reload that follows it (a review: see done). */
const DONE = 'parley.resetDone';
const justSet = sessionStorage.getItem(DONE);
sessionStorage.removeItem(DONE);
if (justSet && !token) {
  form.hidden = true;
  document.getElementById('reset-done-text').textContent =
    `Your new password is set, and you are signed in as ${justSet}.`;
  document.getElementById('reset-done').hidden = false;
  // Focused, so that it is read out; the way on is the next stop.
  document.getElementById('reset-done-text').focus();
} else if (!token) {
  form.hidden = true;
  const missing = document.getElementById('reset-missing');
  // Signed in (this page reloaded after a reset, or opened from a bookmark): the way on is the settings' own form.
  const signedIn = current()?.user?.username;
  if (signedIn) {
    missing.replaceChildren(`This address has no reset link in it. You are signed in as ${signedIn}: change your `
      + 'password in ', h('a', { href: '/settings#password-title' }, 'your settings'), '.');
    // Directions, not an error (a page review).
    missing.classList.remove('form-error');
    missing.removeAttribute('role');
  }
  missing.hidden = false;
} else {
  // Out of the address bar and the history, so the link is not left behind on this browser.
  history.replaceState(null, '', location.pathname);
  // The link speaks for its account: no other sign-in goes with the request (sent anonymously), and the session
  // this browser had is replaced only once the new password is set.
  // Once the form is sent its answer says what happened: a late answer to the question below must not (a review).
  let sent = false;
  form.addEventListener('submit', () => { sent = true; });
  submitsSignIn(form, '/api/auth/reset', (data) => ({ token, newPassword: data.get('newPassword') }), () => '/',
    deadLink, { anonymous: true, onSignedIn: done });
  // Whose password this sets, said before it is set (and given to a password manager with the new one); a link
  // that is already dead says so at once. Anything else (no connection, too many tries) leaves the form to say it.
  post('/api/auth/reset/account', { token }, { anonymous: true })
    .then(({ username }) => {
      if (sent) return;
      document.getElementById('reset-account').value = username;
      document.getElementById('reset-account-field').hidden = false;
      // A shared computer: whoever is signed in here is signed out by it, and should know before (a page review).
      const here = current()?.user?.username;
      if (here && here !== username) {
        const other = document.getElementById('reset-switch');
        other.textContent = `This browser is signed in as ${here}: setting the password signs it in as ${username} `
          + 'instead.';
        other.hidden = false;
      }
    })
    .catch((error) => { if (!sent) deadLink(error); });
}

/** A dead link stays dead: say so, and take the form away rather than invite more tries. */
function deadLink(error) {
  const fields = error?.fieldErrors ? error.fieldErrors() : {};
  if (!fields.token) return;
  const dead = document.getElementById('reset-dead');
  // The way on, as the page without a link gives it: the field says to ask an admin for a new one; the other way is
  // the password the member still has.
  dead.replaceChildren(`This link ${fields.token}, or `, h('a', { href: '/login' }, 'sign in'), '.');
  dead.hidden = false;
  form.hidden = true;
}

/**
 * The password is set and this browser signed in as the account: the page is loaded again, so that everything on
 * it (the header, its unread count, its live connection) belongs to that account from the start, and says so.
 * Redrawing the header in place left the account the browser had before with a live badge of its own, and the two
 * rewrote the title in turn without end (a review: the tab froze).
 */
function done(result) {
  sessionStorage.setItem(DONE, result.user.username);
  location.replace(location.pathname);
}
// A link pasted into the address bar of this page changes only what follows '#': read it as a new visit.
window.addEventListener('hashchange', () => location.reload());
renderHeader();
