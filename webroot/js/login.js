/** Sign in and register; errors appear next to the field they concern. */
import { renderHeader, submitsSignIn } from './ui.js';

const next = () => {
  const target = new URLSearchParams(location.search).get('next');
  if (!target) return '/';
  // Only this site: never bounce a fresh session to another origin (the URL parser decides, not a prefix check,
  // since browsers read "/\\evil.example" as another host).
  const url = new URL(target, location.origin);
  return url.origin === location.origin ? url.pathname + url.search + url.hash : '/';
};

function wire(formId, path, toBody) {
  submitsSignIn(document.getElementById(formId), path, toBody, next);
}

renderHeader();
if (new URLSearchParams(location.search).get('mode') === 'register') {
  // "Sign up" opens on the form to fill, its heading at the top (on a phone it is below the sign-in form).
  document.getElementById('register-form').scrollIntoView({ block: 'start' });
  document.getElementById('register-username').focus({ preventScroll: true });
}
wire('login-form', '/api/auth/login', (data) => ({ login: data.get('login'), password: data.get('password') }));
wire('register-form', '/api/auth/register', (data) => ({
  username: data.get('username'), email: data.get('email'), password: data.get('password'),
}));
