/**
 * A user's record for moderators, one card for the dashboard and the thread: who they are, whether they are banned
 * (with a ban form, or a button that lifts it), their counts, their latest moderation as sentences with links, an
 * admin's password reset link, and the moderators' private notes with a form to add one. Also the words and links
 * those sentences are made of, which the dashboard uses for its audit log and cards.
 *
 * Needs the page's <dialog id="user-card"> with #user-card-title, #user-card-close and #user-card-body, and
 * setUpUserCard() once.
 */
import { get, post, del, download, UNREACHABLE } from './api.js';
import * as session from './session.js';
import { h, time, userLink, announce, showProblem, clearProblem, plural, reasonGiven, shortened } from './ui.js';

const $ = (id) => document.getElementById(id);
export const DATE = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

let serial = 0;
/** A fresh element id: cards are built many times, and each label needs its own control. */
export const uniqueId = (prefix) => `${prefix}-${++serial}`;
/** Post titles seen so far, for entries and events that carry the post's id only. */
export const titles = new Map();

// ---------- words and links ----------

/** Where a post or comment is read: a comment's permalink is its anchor in the thread. */
export function permalink(targetType, id, postId) {
  return targetType === 'comment' ? `/posts/${postId}#comment-${id}` : `/posts/${postId ?? id}`;
}

/** How much of a quoted title shows: about what fits the stylesheet's 22em before it would cut the title itself. */
const QUOTED_TITLE_CHARS = 40;

/**
 * A post's title quoted in a sentence, as a link. A long one is cut at a word (the stylesheet's own ellipsis, at the
 * box's edge, left a gap before the closing quote); its whole title is the link's tooltip and what screen readers
 * read. On a narrow screen the stylesheet may still cut it shorter.
 */
export function titleLink(postId, title) {
  const link = h('a', { href: `/posts/${postId}`, class: 'post-title' });
  const show = (whole) => {
    const cut = shortened(whole, QUOTED_TITLE_CHARS);
    link.textContent = cut;
    if (cut !== whole) {
      link.title = whole;
      link.setAttribute('aria-label', whole);
    }
  };
  show(title ?? 'a post');
  if (!title && postId) knownTitle(postId).then((t) => { if (t) show(t); });
  return h('span', { class: 'quoted-title' }, '"', link, '"');
}

export async function knownTitle(postId) {
  if (!titles.has(postId)) {
    titles.set(postId, get(`/api/posts/${postId}`).then((p) => p.title ?? null).catch(() => null));
  }
  return titles.get(postId);
}

/** A name that opens the user's card (their record and the moderators' notes). */
export function person(username) {
  if (!username) return h('span', {}, 'someone');
  return h('button', { type: 'button', class: 'link person', 'aria-haspopup': 'dialog', 'data-username': username,
    onclick: (event) => openUserCard(event.currentTarget.dataset.username, event.currentTarget) }, username);
}

/**
 * Every person on the page named {@code from} is named {@code to} now: a member's rename, told live. Their name
 * buttons and links say the new name and lead to it, and their card, if it is open, is read again under it.
 */
export function renamePeople(from, to) {
  if (!from || !to) return;
  for (const el of document.querySelectorAll('button.person')) {
    if (el.dataset.username !== from) continue;
    el.dataset.username = to;
    el.textContent = to;
  }
  const oldHref = `/u/${encodeURIComponent(from)}`;
  for (const el of document.querySelectorAll('a[href]')) {
    if (el.getAttribute('href') !== oldHref) continue;
    el.setAttribute('href', `/u/${encodeURIComponent(to)}`);
    if (el.textContent === from) el.textContent = to;
  }
  // The forms labelled with whose content they act on ("Reject bob's comment": a pending card's), as a word of its
  // own; not every label, since a filter's may hold any words.
  const named = new RegExp(`(^|\\s)${from.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'s `, 'g');
  for (const el of document.querySelectorAll('form[aria-label]')) {
    const label = el.getAttribute('aria-label');
    const renamed = label.replace(named, (match, before) => `${before}${to}'s `);
    if (renamed !== label) el.setAttribute('aria-label', renamed);
  }
  if ($('user-card')?.open && $('user-card-title').textContent === from) openUserCard(to, cardOpener);
}

/** "grumpy_gus's comment on "Harbour footbridge"", each part a link. */
export function whose(targetType, id, target = {}) {
  const owner = target.username ? [person(target.username), "'s "] : ['a '];
  if (targetType === 'post') {
    return [...owner, 'post ', target.postTitle || target.postId ? titleLink(target.postId ?? id, target.postTitle) : ''];
  }
  const comment = target.postId ? h('a', { href: permalink('comment', id, target.postId) }, 'comment') : 'comment';
  return [...owner, comment, ...(target.postId ? [' on ', titleLink(target.postId, target.postTitle)] : [])];
}

// ---------- the audit log, as sentences ----------

const CONTENT_VERBS = { hidden: 'hid', restored: 'restored', approved: 'approved', rejected: 'rejected',
  deleted: 'deleted' };

/** One audit entry as a sentence: "sam_mod hid grumpy_gus's comment on "Harbour footbridge": Spam". */
export function sentence(entry) {
  const actor = userLink(entry.actor?.username);
  const t = entry.target ?? {};
  const d = entry.details ?? {};
  const user = () => person(t.username ?? d.username);
  const [kind, verb] = entry.action.split('.');
  let said;
  if ((kind === 'post' || kind === 'comment') && CONTENT_VERBS[verb]) {
    said = [actor, ` ${CONTENT_VERBS[verb]} `, ...whose(kind, entry.targetId, t)];
  } else if (entry.action === 'post.locked' || entry.action === 'post.unlocked') {
    said = [actor, ` ${verb} the thread `, titleLink(t.postId ?? entry.targetId, t.postTitle)];
  } else if (entry.action === 'report.dismissed' || entry.action === 'report.actioned') {
    said = [actor, verb === 'dismissed' ? ' dismissed the reports on ' : ' closed the reports on ',
      ...whose(entry.targetType, entry.targetId, t)];
  } else if (entry.action === 'user.banned') {
    said = [actor, ' banned ', user(), d.until ? ` until ${DATE.format(new Date(d.until))}` : ' for good'];
  } else if (entry.action === 'user.unbanned') {
    said = [actor, ' lifted the ban on ', user()];
  } else if (entry.action === 'user.role_changed') {
    said = [actor, ' changed ', user(), `'s role from ${d.from} to ${d.to}`];
  } else if (entry.action === 'user.password_reset') {
    said = [actor, ' made a password reset link for ', user()];
  } else if (entry.action === 'user.renamed') {
    // The member's own doing, kept so a rename does not hide who someone was.
    said = [actor, ` changed their username from ${d.from} to ${d.to}`];
  } else if (entry.action === 'user.deleted') {
    // Under the name the account had, as text: it names no one now, so there is no card to open. By the member
    // themselves, or (details.self false) by an admin.
    said = d.self === false ? [actor, ` deleted ${d.from ?? 'an account'}'s account`]
      : [d.from ?? 'Someone', ' deleted their account'];
  } else if (entry.action === 'user.exported') {
    said = [actor, ' downloaded ', user(), "'s data for them"];
  } else if (entry.action === 'user.noted') {
    said = [actor, ' added a note about ', user()];
  } else if (kind === 'filter') {
    said = [actor, verb === 'added' ? ' added the ' : ' removed the ', d.kind === 'pattern' ? 'pattern ' : 'word ',
      h('code', {}, d.pattern ?? ''), verb === 'added' ? ' to the filters' : ' from the filters',
      d.action ? ` (${d.action === 'hold' ? 'hold for approval' : 'refuse'})` : ''];
  } else {
    said = [actor, ` ${entry.action} ${entry.targetType} ${entry.targetId}`];
  }
  return [...said, entry.reason ? `: ${entry.reason}` : ''];
}

// ---------- the ban form: opened on request, confirmed before it is sent ----------

/**
 * The ban toggle and its form for a member; {@code rename} gives them the member's new name (a rename while the
 * form is open keeps what the moderator typed, and the ban goes to the name the member has now).
 */
export function banControls(name, onBanned) {
  let username = name;
  const formId = uniqueId('ban-form');
  const reasonId = uniqueId('ban-reason');
  const durationId = uniqueId('ban-duration');
  const questionId = uniqueId('ban-question');
  const toggle = h('button', { type: 'button', class: 'ban-toggle', 'aria-expanded': 'false', 'aria-controls': formId },
    `Ban ${username}…`);
  const reason = h('input', { id: reasonId, name: 'reason', maxlength: 1000, autocomplete: 'off' });
  const duration = h('select', { id: durationId, name: 'duration' },
    h('option', { value: '1' }, '1 day'), h('option', { value: '7', selected: true }, '7 days'),
    h('option', { value: '30' }, '30 days'), h('option', { value: '' }, 'For good'));
  // A spammer's wave: everything they have on the site goes with the ban, each piece hidden (or declined, if held).
  const removeContent = h('input', { type: 'checkbox', name: 'removeContent', class: 'remove-content' });
  const question = h('p', { id: questionId, class: 'ban-question' });
  const confirm = h('button', { type: 'button', class: 'danger confirm-ban', 'aria-describedby': questionId },
    `Yes, ban ${username}`);
  const firstStep = h('div', { class: 'row' }, h('button', { type: 'submit', class: 'danger' }, 'Ban…'),
    h('button', { type: 'button', onclick: () => close() }, 'Cancel'));
  const secondStep = h('div', { class: 'ban-confirm', hidden: true }, question,
    h('div', { class: 'row' }, confirm, h('button', { type: 'button', onclick: () => back() }, 'Go back')));
  const form = h('form', { id: formId, class: 'ban-form', hidden: true, novalidate: true, 'aria-label': `Ban ${username}` },
    h('div', { class: 'fields' },
      h('div', {}, h('label', { for: reasonId, 'data-label': 'Reason' }, 'Reason they are told'), reason),
      h('div', {}, h('label', { for: durationId }, 'For'), duration)),
    h('label', { class: 'check' }, removeContent, ' Also hide everything they posted, with this reason'),
    h('p', { class: 'form-error', role: 'alert' }), firstStep, secondStep);

  const open = () => {
    form.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    reason.focus();
  };
  const close = () => {
    back();
    form.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    toggle.focus();
  };
  const back = () => {
    secondStep.hidden = true;
    firstStep.hidden = false;
    reason.disabled = false;
    duration.disabled = false;
    removeContent.disabled = false;
    if (!form.hidden) reason.focus();
  };
  toggle.addEventListener('click', () => (form.hidden ? open() : close()));
  // Escape closes the form, as Escape closes the thread's dialogs (and, in the user card, not the card itself).
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !form.contains(reason)) return;
    event.preventDefault();
    close();
  });
  const asking = () => {
    const days = duration.value;
    return `Ban ${username} ${days ? `for ${plural(Number(days), 'day')}` : 'for good'}`
      + `${removeContent.checked ? ', and hide every post and comment of theirs' : ''}? `
      + 'They will not be able to post, comment or report.';
  };
  const rename = (next) => {
    username = next;
    toggle.textContent = `Ban ${username}…`;
    confirm.textContent = `Yes, ban ${username}`;
    form.setAttribute('aria-label', `Ban ${username}`);
    if (!secondStep.hidden) question.textContent = asking();
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearProblem(form);
    if (!reasonGiven(form, 'the person')) return;
    question.textContent = asking();
    reason.disabled = true;
    duration.disabled = true;
    removeContent.disabled = true;
    firstStep.hidden = true;
    secondStep.hidden = false;
    confirm.focus();
  });
  confirm.addEventListener('click', async () => {
    const days = duration.value;
    const until = days ? new Date(Date.now() + Number(days) * 86400000).toISOString() : undefined;
    confirm.disabled = true;
    try {
      const removed = await post(`/api/mod/users/${encodeURIComponent(username)}/ban`,
        { reason: reason.value.trim(), until, ...(removeContent.checked ? { removeContent: true } : {}) });
      // Focus to the result only if it was still here (or lost with the disabled button): a moderator who moved on
      // while the ban was on its way keeps their place (a review).
      const stayed = form.contains(document.activeElement) || !document.activeElement
        || document.activeElement === document.body;
      form.replaceChildren(h('p', { class: 'ok', tabindex: '-1' },
        `${username} is banned ${until ? `until ${DATE.format(new Date(until))}` : 'for good'}.`
        + (removed ? ` ${takenDown(removed)}` : '')));
      if (stayed) form.firstElementChild.focus();
      toggle.hidden = true;
      // With its content taken down, a report card the ban was made from goes (its reports are settled): its page
      // says so where it stays in sight (onBanned), and the words are said aloud.
      const said = `${username} is banned.${removed ? ` ${takenDown(removed)}` : ''}`;
      announce(said);
      onBanned?.(said, removed);
    } catch (error) {
      back();
      form.querySelector('.form-error').textContent = error.message;
    } finally {
      confirm.disabled = false;
    }
  });
  return { toggle, form, rename };
}

/** What a ban that removed content took down, in words: "Hidden: 2 posts, 3 comments. Declined: 1 held comment." */
function takenDown({ hidden, rejected }) {
  const part = (n, what) => (n ? [plural(n, what)] : []);
  const shown = [...part(hidden.posts, 'post'), ...part(hidden.comments, 'comment')];
  const declined = [...part(rejected.posts, 'held post'), ...part(rejected.comments, 'held comment')];
  if (!shown.length && !declined.length) return 'Nothing of theirs was up to hide.';
  return [shown.length ? `Hidden: ${shown.join(', ')}.` : '', declined.length ? `Declined: ${declined.join(', ')}.` : '']
    .filter(Boolean).join(' ');
}

// ---------- an admin deletes an account: a reason, then asked again ----------

/**
 * For admins: deletes the member's account and erases what they wrote (POST /api/admin/users/{name}/delete), for a
 * member who asked to be forgotten and cannot do it themselves. A reason for the audit log, then a second step on
 * the card whose focus is on Cancel, as the member's own deletion on the settings page is: nothing undoes it.
 */
export function deleteAccountTools(username, onDeleted) {
  const reasonId = uniqueId('delete-reason');
  const questionId = uniqueId('delete-question');
  const reason = h('textarea', { id: reasonId, name: 'reason', maxlength: 1000, rows: 2, autocomplete: 'off' });
  const question = h('p', { id: questionId, class: 'ban-question' },
    `Delete ${username}'s account and erase everything they wrote, for good?`);
  const confirm = h('button', { type: 'button', class: 'danger confirm-delete', 'aria-describedby': questionId },
    `Yes, delete ${username}'s account`);
  const cancel = h('button', { type: 'button' }, 'Cancel');
  const firstStep = h('div', { class: 'row' }, h('button', { type: 'submit', class: 'danger' }, 'Delete the account…'));
  const secondStep = h('div', { class: 'ban-confirm', hidden: true }, question, h('div', { class: 'row' }, confirm, cancel));
  const form = h('form', { class: 'delete-account-form', novalidate: true, 'aria-labelledby': `${reasonId}-title` },
    h('label', { for: reasonId }, 'Why (kept in the audit log)'), reason,
    h('p', { class: 'form-error', role: 'alert' }), firstStep, secondStep);
  const back = () => {
    secondStep.hidden = true;
    firstStep.hidden = false;
    reason.disabled = false;
    reason.focus();
  };
  cancel.addEventListener('click', back);
  form.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !secondStep.hidden) {
      event.preventDefault();
      event.stopPropagation();
      back();
    }
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearProblem(form);
    if (!reason.value.trim()) {
      showProblem(form, { fieldErrors: () => ({ reason: 'is required: the audit log keeps why.' }) });
      reason.focus();
      return;
    }
    reason.disabled = true;
    firstStep.hidden = true;
    secondStep.hidden = false;
    cancel.focus();
  });
  confirm.addEventListener('click', async () => {
    confirm.disabled = true;
    try {
      await post(`/api/admin/users/${encodeURIComponent(username)}/delete`, { reason: reason.value.trim() });
      announce(`${username}'s account is deleted.`);
      onDeleted?.();
    } catch (error) {
      back();
      form.querySelector('.form-error').textContent = error.message;
    } finally {
      confirm.disabled = false;
    }
  });
  return h('section', { 'aria-labelledby': `${reasonId}-title` },
    h('h3', { id: `${reasonId}-title` }, 'Delete the account'),
    h('p', { class: 'muted' }, `For a member who asked to be forgotten and cannot do it themselves: ${username}'s `
      + 'posts go, their comments become tombstones, and the account names no one. It cannot be undone.'),
    form);
}

// ---------- an admin downloads a member's data for them ----------

/**
 * For admins: the file the member's own "Your data" gives (POST /api/admin/users/{name}/export), for a member who
 * asked for a copy and cannot download it themselves. A reason for the audit log, which keeps that it was done.
 */
export function exportDataTools(username) {
  const reasonId = uniqueId('export-reason');
  const reason = h('textarea', { id: reasonId, name: 'reason', maxlength: 1000, rows: 2, autocomplete: 'off' });
  const button = h('button', { type: 'submit', class: 'export-data' }, 'Download their data');
  const label = button.textContent;
  const done = h('p', { class: 'meta export-data-done', role: 'status' });
  const form = h('form', { class: 'export-data-form', novalidate: true },
    h('label', { for: reasonId }, 'Why (kept in the audit log)'), reason,
    h('p', { class: 'form-error', role: 'alert' }), h('div', { class: 'row' }, button), done);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    done.textContent = '';
    if (!reason.value.trim()) {
      showProblem(form, { fieldErrors: () => ({ reason: 'is required: the audit log keeps why.' }) });
      reason.focus();
      return;
    }
    button.disabled = true;
    button.textContent = 'Preparing the file…';
    try {
      const name = await download('POST', `/api/admin/users/${encodeURIComponent(username)}/export`,
        { reason: reason.value.trim() }, `parley-${username}.json`);
      reason.value = '';
      done.textContent = `${name} is downloaded: send it to ${username} yourself.`;
    } catch (error) {
      if (error.message === UNREACHABLE) error.message = "Can't reach Parley. Try again in a moment.";
      showProblem(form, error);
      button.focus();
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  });
  return h('section', { 'aria-labelledby': `${reasonId}-title` },
    h('h3', { id: `${reasonId}-title` }, 'Their data'),
    h('p', { class: 'muted' }, `For a member who asked for a copy of their data and cannot download it themselves: `
      + `the file ${username}'s own "Your data" gives, with everything they wrote and nothing of anyone else's.`),
    form);
}

export function resetForm(form) {
  clearProblem(form);
  form.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  });
}

// ---------- the card ----------


let cardOpener = null;

export async function openUserCard(username, opener) {
  const dialog = $('user-card');
  // A name inside the card opens that person's card in its place; closing returns to what opened the first one.
  if (!dialog.contains(opener)) cardOpener = opener;
  $('user-card-title').textContent = username;
  $('user-card-body').replaceChildren(h('p', { class: 'muted' }, 'Loading…'));
  if (!dialog.open) dialog.showModal();
  try {
    renderUserCard(await get(`/api/mod/users/${encodeURIComponent(username)}`));
  } catch (error) {
    $('user-card-body').replaceChildren(h('p', { class: 'form-error' }, error.message));
  }
}

function note(n) {
  return h('li', {}, h('p', {}, n.body), h('p', { class: 'meta' }, '— ', n.author?.username ?? 'a moderator', ', ',
    time(n.createdAt)));
}

function renderUserCard(card) {
  const c = card.counts ?? {};
  const count = (n, label) => h('div', {}, h('dt', {}, label), h('dd', {}, String(n ?? 0)));
  const ban = card.ban;
  const banLine = ban
    ? h('p', { class: 'ban-state banned', tabindex: '-1' }, h('strong', {}, 'Banned'),
      ban.until ? ` until ${DATE.format(new Date(ban.until))}` : ' for good', ban.reason ? `: ${ban.reason}` : '')
    : h('p', { class: 'ban-state' }, 'Not banned.');
  const reload = () => openUserCard(card.username, cardOpener);
  const banTools = ban
    ? liftBan(card.username, reload)
    : (({ toggle, form }) => h('div', {}, h('div', { class: 'row' }, toggle), form))(banControls(card.username,
      () => reload().then(() => $('user-card-body').querySelector('.ban-state')?.focus())));
  const noteId = uniqueId('note-body');
  const notes = h('ol', { class: 'notes plain' }, (card.notes ?? []).map(note));
  const noNotes = h('p', { class: 'muted', hidden: (card.notes ?? []).length > 0 }, 'No notes yet.');
  const noteForm = h('form', { class: 'note-form', novalidate: true },
    h('label', { for: noteId }, 'Add a note'), h('textarea', { id: noteId, name: 'body', maxlength: 2000, rows: 3 }),
    h('p', { class: 'muted hint' }, 'Only moderators see notes.'),
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'primary' }, 'Add note')));
  noteForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    resetForm(noteForm);
    const submit = noteForm.querySelector('button[type=submit]');
    submit.disabled = true;
    try {
      const added = await post(`/api/mod/users/${encodeURIComponent(card.username)}/notes`,
        { body: noteForm.elements.body.value });
      notes.prepend(note(added));
      noNotes.hidden = true;
      noteForm.elements.body.value = '';
      announce('Note added.');
    } catch (error) {
      showProblem(noteForm, error);
    } finally {
      submit.disabled = false;
    }
  });
  const history = card.history ?? [];
  // An admin makes a password reset link here (not for their own account).
  const me = session.current()?.user;
  const mayReset = me?.role === 'admin' && me.username.toLowerCase() !== card.username.toLowerCase();
  // replaceChildren writes null as the text "null": only the parts that apply.
  $('user-card-body').replaceChildren(...[
    h('p', { class: 'meta' }, card.role, ' · joined ', time(card.createdAt), ' · ',
      h('a', { href: `/u/${encodeURIComponent(card.username)}` }, 'Profile')),
    banLine, banTools,
    h('dl', { class: 'counts' }, count(c.posts, 'Posts'), count(c.comments, 'Comments'),
      count(c.pending, 'Waiting for approval'), count(c.hidden, 'Hidden'), count(c.reports, 'Reports against'),
      count(c.bans, 'Bans')),
    h('h3', {}, 'Recent moderation'),
    history.length ? h('ol', { class: 'history plain' }, history.map((e) => h('li', {}, ...sentence(e), ' · ',
      time(e.createdAt)))) : h('p', { class: 'muted' }, 'Nothing yet.'),
    mayReset ? resetLink(card.username) : null,
    h('h3', {}, 'Notes from moderators'), notes, noNotes, noteForm,
    mayReset ? exportDataTools(card.username) : null,
    mayReset ? deleteAccountTools(card.username, () => {
      // The card is of no one now: it closes, and focus goes back to what opened it (the page says the rest live).
      $('user-card').close();
    }) : null].filter(Boolean));
}

export function setUpUserCard() {
  const dialog = $('user-card');
  $('user-card-close').addEventListener('click', () => dialog.close());
  // A click on the backdrop (outside the dialog's box) closes it too.
  dialog.addEventListener('click', (event) => { if (event.target === dialog) dialog.close(); });
  dialog.addEventListener('close', () => {
    if (cardOpener?.isConnected) cardOpener.focus();
    cardOpener = null;
  });
}

/**
 * A form of one button that runs {@code act} when sent; a refusal is shown in it. The card's one-step actions.
 */
function actionForm(attributes, button, label, act) {
  const form = h('form', { novalidate: true, ...attributes },
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', ...button }, label)));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    try {
      await act();
    } catch (error) {
      showProblem(form, error);
    }
  });
  return form;
}

/** Lifts the ban from the card; the card is read again to show it, and a refusal is shown in it. */
function liftBan(username, reload) {
  return actionForm({ class: 'lift-ban' }, { id: 'lift-ban' }, 'Lift the ban', async () => {
    await del(`/api/mod/users/${encodeURIComponent(username)}/ban`);
    announce(`${username}'s ban is lifted.`);
    await reload();
    $('user-card-close').focus();
  });
}

/**
 * For admins: a one-time link with which the user sets a new password (Parley sends no email; the admin passes it
 * on). Shown once, here; a new one replaces the last.
 */
export function resetLink(username) {
  const out = h('div', { class: 'reset-link', 'aria-live': 'polite' });
  const form = actionForm({}, { id: 'reset-link-make' }, 'Make a password reset link', async () => {
    const made = await post(`/api/admin/users/${encodeURIComponent(username)}/password-reset`, {});
    const url = location.origin + made.link;
    const field = h('input', { id: 'reset-link-url', readonly: true, value: url, 'aria-label': 'Password reset link' });
    const copy = h('button', { type: 'button' }, 'Copy');
    copy.addEventListener('click', async () => {
      field.select();
      try { await navigator.clipboard.writeText(url); announce('Link copied.'); } catch { /* selected for copying */ }
    });
    out.replaceChildren(h('div', { class: 'row' }, field, copy), h('p', { class: 'meta' }, 'Works once; it expires ',
      time(made.expiresAt), `. Give it to ${made.username} yourself; it replaces any link made before.`));
  });
  return h('section', { 'aria-labelledby': 'reset-link-title' },
    h('h3', { id: 'reset-link-title' }, 'Password'),
    h('p', { class: 'muted' }, `If ${username} cannot sign in, make them a one-time link to set a new password.`),
    form, out);
}
