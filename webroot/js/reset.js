/**
 * A new password with a reset link an admin issued (/reset#token=…: the token after '#' never reaches a server or a
 * Referer). Using it signs this browser in as the account; the session this browser had is dropped first.
 */
import * as session from './session.js';
import { renderHeader, submitsSignIn } from './ui.js';

const token = new URLSearchParams(location.hash.slice(1)).get('token');
const form = document.getElementById('reset-form');
if (!token) {
  form.hidden = true;
  document.getElementById('reset-missing').hidden = false;
} else {
  // The link speaks for its account: no other sign-in goes with the request.
  session.clear();
  // Out of the address bar and the history, so the link is not left behind on this browser.
  history.replaceState(null, '', location.pathname);
  submitsSignIn(form, '/api/auth/reset', (data) => ({ token, newPassword: data.get('newPassword') }), () => '/',
    (error) => {
      const fields = error.fieldErrors ? error.fieldErrors() : {};
      if (fields.token) form.querySelector('.form-error').textContent = `This link ${fields.token}.`;
    });
}
renderHeader();
