/**
 * A new password with a reset link an admin issued (/reset#token=…: the token after '#' never reaches a server or a
 * Referer). Using it signs this browser in as the account; the session this browser had is dropped first.
 */
import { post } from './api.js';
import * as session from './session.js';
import { renderHeader, showProblem, clearProblem } from './ui.js';

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
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const result = await post('/api/auth/reset', { token, newPassword: new FormData(form).get('newPassword') });
      session.save({ token: result.token, user: result.user });
      location.assign('/');
    } catch (error) {
      showProblem(form, error);
      const fields = error.fieldErrors ? error.fieldErrors() : {};
      if (fields.token) form.querySelector('.form-error').textContent = `This link ${fields.token}.`;
    } finally {
      button.disabled = false;
    }
  });
}
renderHeader();
