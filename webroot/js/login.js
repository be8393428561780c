/** Sign in and register; errors appear next to the field they concern. */
import { post } from './api.js';
import * as session from './session.js';
import { renderHeader, showProblem, clearProblem } from './ui.js';

const next = () => {
  const target = new URLSearchParams(location.search).get('next');
  if (!target) return '/';
  // Only this site: never bounce a fresh session to another origin (the URL parser decides, not a prefix check,
  // since browsers read "/\\evil.example" as another host).
  const url = new URL(target, location.origin);
  return url.origin === location.origin ? url.pathname + url.search + url.hash : '/';
};

function wire(formId, path, toBody) {
  const form = document.getElementById(formId);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const result = await post(path, toBody(new FormData(form)));
      session.save({ token: result.token, user: result.user });
      location.assign(next());
    } catch (error) {
      showProblem(form, error);
    } finally {
      button.disabled = false;
    }
  });
}

renderHeader();
if (new URLSearchParams(location.search).get('mode') === 'register') {
  document.getElementById('register-username').focus();
}
wire('login-form', '/api/auth/login', (data) => ({ login: data.get('login'), password: data.get('password') }));
wire('register-form', '/api/auth/register', (data) => ({
  username: data.get('username'), email: data.get('email'), password: data.get('password'),
}));
