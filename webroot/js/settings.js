/**
 * The account page: profile, password, sessions, notification preferences, the people you blocked, your reports, a
 * copy of your data, and deleting the account.
 */
import { download, get, post, put, patch, del, SESSION_ENDED_ACTION, UNREACHABLE } from './api.js';
import * as session from './session.js';
import { h, time, renderHeader, refreshTimes, showProblem, clearProblem, userLink, signInHref, me, noticeOnNextPage,
  remoteImagesShown, showRemoteImages } from './ui.js';

const $ = (id) => document.getElementById(id);
const REASONS = { spam: 'as spam', harassment: 'as harassment', hate: 'as hate', misinformation: 'as misinformation',
  off_topic: 'as off topic', other: 'for another reason' };
const STATUS = { open: 'waiting for a moderator', dismissed: 'reviewed, no action needed', actioned: 'upheld: the content was removed' };

/**
 * The username, the email and the bio others read on the profile page (PATCH /api/me, only what was changed; a new
 * username or email with the current password).
 */
function profileForm(user) {
  const form = $('profile-form');
  let saved = user;
  const show = () => {
    form.elements.username.value = saved.username;
    form.elements.email.value = saved.email ?? '';
    form.elements.bio.value = saved.bio ?? '';
    $('profile-link').href = `/u/${encodeURIComponent(saved.username)}`;
  };
  show();
  // A ban stops profile changes (the server refuses them, 403): said before anything is typed, the form kept to read,
  // not offered to fill in and refused at Save (a page review).
  if (user.ban) {
    form.prepend(h('p', { class: 'ban-state banned', id: 'profile-banned' },
      'While you are banned you cannot change your username, email or bio.'));
    form.querySelectorAll('input, textarea, button').forEach((field) => { field.disabled = true; });
    return;
  }
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    $('profile-done').textContent = '';
    const changes = {};
    for (const name of ['username', 'email', 'bio']) {
      const value = name === 'bio' ? form.elements[name].value : form.elements[name].value.trim();
      if (value !== (saved[name] ?? '')) changes[name] = value;
    }
    if (Object.keys(changes).length === 0) {
      $('profile-done').textContent = 'Nothing to save.';
      return;
    }
    // What signs you in changes only with your password (the server says so if it is missing or wrong).
    if (form.elements.currentPassword.value) changes.currentPassword = form.elements.currentPassword.value;
    try {
      saved = await patch('/api/me', changes);
      form.elements.currentPassword.value = '';
      show();
      // The header names the member from the stored session: it follows a new username at once.
      const stored = session.current();
      if (stored) session.save({ ...stored, user: { ...stored.user, username: saved.username } });
      document.querySelector('#nav .who a')?.replaceWith(userLink(saved.username));
      $('profile-done').textContent = 'Saved.';
    } catch (error) {
      showProblem(form, error);
    }
  });
}

function passwordForm() {
  const form = $('password-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    $('password-done').textContent = '';
    try {
      // This device stays signed in with the new session; every other one was signed out.
      await session.replaceWith(() => put('/api/me/password', {
        currentPassword: form.elements.currentPassword.value, newPassword: form.elements.newPassword.value }));
      form.reset();
      $('password-done').textContent = 'Password changed. Other devices and browsers were signed out.';
    } catch (error) {
      showProblem(form, error);
    }
  });
  $('logout-all').addEventListener('click', async () => {
    if (!confirm('Sign out of every device and browser, this one included?')) return;
    await post('/api/auth/logout-all');
    session.clear();
    location.assign('/');
  });
}

/** This browser's choice about images from other sites (kept in the browser, not the account: see ui.js). */
function imagesChoice() {
  const box = $('remote-images');
  box.checked = remoteImagesShown();
  box.addEventListener('change', () => showRemoteImages(box.checked));
}

async function preferences() {
  const form = $('prefs-form');
  const current = await get('/api/me/notification-settings');
  for (const [name, on] of Object.entries(current)) {
    if (form.elements[name]) form.elements[name].checked = on;
  }
  form.addEventListener('change', async (event) => {
    const box = event.target;
    try {
      await put('/api/me/notification-settings', { [box.name]: box.checked });
      $('prefs-done').textContent = 'Saved.';
    } catch (error) {
      box.checked = !box.checked;
      $('prefs-done').textContent = error.message;
    }
  });
}

async function blocks() {
  const page = await get('/api/me/blocks?limit=200');
  $('blocks-empty').hidden = page.items.length > 0;
  $('blocks').replaceChildren(...page.items.map((b) => {
    const item = h('li', { class: 'row' }, userLink(b.username),
      h('button', { type: 'button', 'data-unblock': b.username, onclick: async () => {
        await del(`/api/me/blocks/${encodeURIComponent(b.username)}`);
        item.remove();
        $('blocks-empty').hidden = $('blocks').children.length > 0;
      } }, `Unblock ${b.username}`));
    return item;
  }));
}

async function reports() {
  const page = await get('/api/me/reports?limit=50');
  $('reports-empty').hidden = page.items.length > 0;
  // Which report is which: the post's title (while it may be read), a comment's author and first words (two on one
  // post read alike, a page review), and the reporter's own words.
  const what = (r) => {
    if (r.postTitle == null) return `A ${r.targetType}`;
    if (r.targetType !== 'comment') return `The post “${r.postTitle}”`;
    return r.commentAuthor == null ? `A comment on “${r.postTitle}”`
      : `${r.commentAuthor}’s comment “${r.commentExcerpt}” on “${r.postTitle}”`;
  };
  $('reports').replaceChildren(...page.items.map((r) => h('li', {},
    h('a', { href: r.targetType === 'comment' ? `/c/${r.targetId}` : `/posts/${r.targetId}` }, what(r)),
    ` reported ${REASONS[r.reason] ?? `for ${r.reason}`} `, time(r.createdAt), ': ',
    h('span', { class: `report-status ${r.status}` }, STATUS[r.status] ?? r.status),
    ...(r.details ? [' · you wrote: ', h('q', { class: 'report-words' }, r.details)] : []))));
}

/**
 * Deleting the account (POST /api/me/delete with the password), asked twice on the page: "Delete my account", then
 * "Yes, delete my account for good" or Cancel. The second step takes the focus on Cancel, not on Yes: an Enter pressed
 * twice in the password field must not delete an account. Deleted, the page signs out as the header's "Sign out"
 * does and goes to the front page, which says so once.
 */
function deleteForm(user) {
  const form = $('delete-form');
  // A banned member may not delete the account while the ban lasts (the server refuses it, 403): said before the
  // password is typed, not after (a page review), with whom to ask instead.
  if (user?.ban) {
    form.replaceChildren(h('p', { class: 'ban-state banned', id: 'delete-banned' },
      'While you are banned you cannot delete your account. An admin can delete it for you.'));
    return;
  }
  const password = form.elements.currentPassword;
  const ask = $('delete-ask');
  const step = $('delete-confirm');
  const yes = $('delete-yes');
  const cancel = $('delete-cancel');
  // Back to the first step; the password typed for the deletion is not kept.
  const back = () => {
    step.hidden = true;
    ask.hidden = false;
    password.disabled = false;
    password.value = '';
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearProblem(form);
    if (!password.value) {
      showProblem(form, { fieldErrors: () => ({ currentPassword: 'is required to delete your account' }) });
      password.focus();
      return;
    }
    form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    password.setAttribute('aria-describedby', 'delete-password-hint');
    const name = session.current()?.user?.username;
    $('delete-question').textContent = `Delete ${name ? `the account ${name}` : 'your account'}, its posts and its `
      + 'profile, for good? This cannot be undone.';
    password.disabled = true;
    ask.hidden = true;
    step.hidden = false;
    cancel.focus();
  });
  cancel.addEventListener('click', () => {
    back();
    $('delete-start').focus();
  });
  step.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || yes.disabled) return;
    event.preventDefault();
    cancel.click();
  });
  yes.addEventListener('click', async () => {
    yes.disabled = true;
    cancel.disabled = true;
    try {
      await post('/api/me/delete', { currentPassword: password.value });
      session.clear('deleted');
      noticeOnNextPage('Your account was deleted.');
      // Not back to a page of an account that is gone.
      location.replace('/');
    } catch (error) {
      back();
      // A refusal of the token (signed out elsewhere, meanwhile) sent no text to keep.
      if (error.status === 401) error.message = SESSION_ENDED_ACTION;
      // The ban's own words say how long, not what it refuses here.
      if (error.problem.type?.endsWith('/banned')) {
        error.message += `${/[.!?]$/.test(error.message) ? ' ' : '. '}While you are banned you cannot delete your `
          + 'account.';
      }
      showProblem(form, error);
      password.focus();
    } finally {
      yes.disabled = false;
      cancel.disabled = false;
    }
  });
}

/**
 * A copy of the member's data (GET /api/me/export), saved as the file the server names. The request carries the
 * session's token, so it is fetched here and handed to the browser to save, rather than followed as a link.
 */
function exportForm() {
  const form = $('export-form');
  const button = $('export-start');
  const label = button.textContent;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    $('export-done').textContent = '';
    button.disabled = true;
    button.textContent = 'Preparing your file…';
    try {
      const name = await download('GET', '/api/me/export', undefined, 'parley-data.json');
      $('export-done').textContent = `Your file ${name} is downloaded.`;
      // Focus left the button as it was disabled: back on it once it is pressable again (below).
      queueMicrotask(() => button.focus());
    } catch (error) {
      // The token ended meanwhile (signed out elsewhere): the API's words would be "Sign in first".
      if (error.status === 401) error.message = SESSION_ENDED_ACTION;
      // Words for this form: there is no text here to keep, and the limit is a day's, not a burst's.
      if (error.message === UNREACHABLE) error.message = "Can't reach Parley. Try again in a moment.";
      if (error.status === 429) {
        error.message = `Your data can be downloaded a few times a day. ${error.message.replace(/^Slow down: t/, 'T')}`;
      }
      showProblem(form, error);
      // (Still disabled here: focused once the finally below has enabled it.)
      queueMicrotask(() => button.focus());
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  });
}

async function start() {
  renderHeader();
  refreshTimes();
  // The token may have ended elsewhere (signed out everywhere, a password change): ask before showing anything.
  const user = session.token() ? await me().catch(() => null) : null;
  if (!session.token()) {
    renderHeader();
    $('signed-out').hidden = false;
    $('signed-out-link').href = signInHref();
    return;
  }
  $('settings').hidden = false;
  // One outcome on the page at a time: "Saved." under the profile stayed while the password form below said it was
  // refused, which read as if that had been saved (a page review).
  $('settings').addEventListener('submit', (event) => {
    for (const done of $('settings').querySelectorAll('[id$="-done"]')) {
      if (!event.target.contains(done)) done.textContent = '';
    }
  }, true);
  if (user) profileForm(user);
  passwordForm();
  exportForm();
  deleteForm(user);
  imagesChoice();
  // An address naming a part of the page (/settings#password-title, from the reset page) lands on it: the browser
  // looked for it while the page was still hidden, and found nothing to scroll to.
  if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
  await Promise.all([preferences(), blocks(), reports()]);
}

start();
