/**
 * A new password with a reset link an admin issued (/reset#token=…: the token after '#' never reaches a server or a
 * Referer). Using it signs this browser in as the account, in place of the session it had; only opening it changes
 * nothing (it signed the browser out before, so anyone could sign a member out with a made-up link).
 */
import * as session from './session.js';
import { renderHeader, submitsSignIn } from './ui.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const form = document.getElementById('reset-form');
if (!token) {
  form.hidden = true;
  document.getElementById('reset-missing').hidden = false;
} else {
  // Out of the address bar and the history, so the link is not left behind on this browser.
  history.replaceState(null, '', location.pathname);
  // The link speaks for its account: no other sign-in goes with the request (sent anonymously), and the session
  // this browser had is replaced only once the new password is set.
  submitsSignIn(form, '/api/auth/reset', (data) => ({ token, newPassword: data.get('newPassword') }), () => '/',
    (error) => {
      const fields = error.fieldErrors ? error.fieldErrors() : {};
      if (!fields.token) return;
      // A dead link stays dead: say so, and take the form away rather than invite more tries.
      document.getElementById('reset-dead').textContent = `This link ${fields.token}. Ask an admin for a new one.`;
      document.getElementById('reset-dead').hidden = false;
      form.hidden = true;
    }, { anonymous: true });
}
// A link pasted into the address bar of this page changes only what follows '#': read it as a new visit.
window.addEventListener('hashchange', () => location.reload());
renderHeader();
