/** Small DOM helpers. Text always goes in as text; only the server's sanitised bodyHtml is ever parsed as HTML. */
import * as session from './session.js';
import { banText, get, post } from './api.js';
import { connection, onStatus } from './connection.js';

/**
 * Creates an element. attrs: plain attributes, plus `on<event>` handlers, `class`, `text` (textContent).
 * Children: nodes or strings (strings become text nodes, never HTML).
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'text') el.textContent = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

const REMOTE_IMAGES = 'parley.remoteImages';

/** Whether this browser shows images from other sites in posts and comments without asking (Settings). */
export function remoteImagesShown() {
  try {
    return localStorage.getItem(REMOTE_IMAGES) === 'show';
  } catch {
    return false;
  }
}

export function showRemoteImages(show) {
  try {
    if (show) localStorage.setItem(REMOTE_IMAGES, 'show');
    else localStorage.removeItem(REMOTE_IMAGES);
  } catch {
    // storage refused (a private window's quota): the choice lasts this page only
  }
}

/**
 * What an image's words may not bring into a button naming its site: characters that reorder the text around them
 * (a review turned the site's name around with U+202E), characters that draw nothing or look blank (forty braille
 * blanks pushed a fake "Show image from parley.example" onto the button's second line), and quotation marks (a fake
 * closing quote).
 */
const REORDERING = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]/g;
const BLANK = /[\p{Default_Ignorable_Code_Point}\u2800]/gu;
const QUOTES = /["“”„‟«»‹›〝〞＂]/g;
const IMAGE_WORDS = 80;

/** An image's words (its alt text) as a button may quote them: one line, in their own direction, at most 80 long. */
function imageWords(alt) {
  const words = Array.from((alt ?? '').replace(REORDERING, ' ').replace(BLANK, '').replace(QUOTES, '')
    .replace(/\s+/g, ' ').trim());
  return words.length > IMAGE_WORDS ? words.slice(0, IMAGE_WORDS - 1).join('') + '…' : words.join('');
}

/** This site's own image files (not an API path, no query), which load with the page. */
const OWN_IMAGE = /^\/(?!api\/|realworld\/)[^?#]*\.(png|jpe?g|gif|svg|webp|avif|ico)$/i;

/**
 * The one place HTML from the network is inserted: the server renders Markdown to safe HTML (bodyHtml).
 *
 * An image from another site waits for a click, unless the reader chose in Settings to show them: loading it tells
 * that site who reads the page and when (a one-pixel image in a comment logs every reader's address, moderators
 * reviewing a report included). The HTML is parsed in a template, whose content loads nothing, and each such image
 * is swapped for a button naming its site first, then its words, isolated so that they cannot reorder the name
 * (see above); the click puts the image back and focus on it. An image from another site over plain http is asked
 * for over https, as a browser does on an https page anyway: the Content-Security-Policy refuses plain http.
 */
export function setBodyHtml(el, bodyHtml) {
  const parsed = document.createElement('template');
  parsed.innerHTML = bodyHtml;
  const ask = !remoteImagesShown();
  for (const img of parsed.content.querySelectorAll('img')) {
    let url;
    try {
      url = new URL(img.getAttribute('src') ?? '', location.href);
    } catch {
      continue;
    }
    if (!img.getAttribute('src')) continue; // an address the server refused: nothing to load
    // This site's own image files load; any other address here (an API path: a live stream's held a reader's every
    // connection, a review) always waits for a click, whatever the reader chose for other sites' images.
    const own = url.origin === location.origin;
    if (own && OWN_IMAGE.test(url.pathname) && !url.search) continue;
    if (!own && url.protocol === 'http:') {
      url.protocol = 'https:';
      img.setAttribute('src', url.href);
    }
    if (ask || own) {
      const words = imageWords(img.getAttribute('alt'));
      const button = h('button', { type: 'button', class: 'link remote-image', title: url.href },
        `Show image from ${url.host}`, words ? [': ', h('bdi', {}, `“${words}”`)] : []);
      button.addEventListener('click', (event) => {
        event.preventDefault(); // inside a link, the click shows the image and goes nowhere
        img.tabIndex = -1; // where focus goes from the button it replaces
        button.replaceWith(img);
        img.focus({ preventScroll: true });
      });
      img.replaceWith(button);
    }
  }
  // A long line of code scrolls sideways inside its block: the block takes focus, so a keyboard can scroll it too
  // (axe's scrollable-region-focusable, found by a page review).
  for (const pre of parsed.content.querySelectorAll('pre')) pre.tabIndex = 0;
  // A table wider than the column scrolls sideways inside a box of its own, which takes focus for the same reason.
  for (const table of parsed.content.querySelectorAll('table')) {
    const box = h('div', { class: 'table-scroll', tabindex: '0' });
    table.replaceWith(box);
    box.append(table);
    markEdges(box);
  }
  el.replaceChildren(parsed.content);
}

/**
 * Marks a box that scrolls sideways with the edges that have more beyond them (data-more="start end"), for the
 * stylesheet to fade the table out there: a phone shows no scroll bar until the box is touched, and a cut-off column
 * read as the whole table. A fade, not a painted shadow: the box sits on whatever is behind it (the thread, a card,
 * a linked comment's tint), which a painted cover would have to match (a review found a white block on the tint).
 */
function markEdges(box) {
  const mark = () => {
    const more = [];
    if (box.scrollLeft > 1) more.push('start');
    if (box.scrollLeft + box.clientWidth < box.scrollWidth - 1) more.push('end');
    box.dataset.more = more.join(' ');
  };
  box.addEventListener('scroll', mark, { passive: true });
  new ResizeObserver(mark).observe(box);
}

const UNITS = [['year', 31536000], ['month', 2592000], ['day', 86400], ['hour', 3600], ['minute', 60]];
const RELATIVE = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

/** "3 minutes ago", with the exact time in a <time> element's datetime and title. */
export function time(iso) {
  const el = h('time', { datetime: iso, title: new Date(iso).toLocaleString() }, ago(iso));
  return el;
}

const EXACT = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
/** This year's dates without the year: "(Dec 4, 10:59 AM)" keeps a comment's header to one line on more phones. */
const EXACT_THIS_YEAR = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', hour: 'numeric',
  minute: '2-digit' });

/**
 * The exact date and time, visible (a hover title is out of reach on a phone); the year only when it is not this
 * one. The stylesheet never breaks it across lines.
 */
export function exact(iso) {
  const date = new Date(iso);
  const format = date.getFullYear() === new Date().getFullYear() ? EXACT_THIS_YEAR : EXACT;
  return h('span', { class: 'exact', title: EXACT.format(date) }, `(${format.format(date)})`);
}

export function ago(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return RELATIVE.format(Math.round(seconds / size), unit);
  }
  return 'just now';
}

/** Keeps relative times fresh without touching anything else on the page. */
export function refreshTimes() {
  setInterval(() => {
    document.querySelectorAll('time[datetime]').forEach((t) => { t.textContent = ago(t.getAttribute('datetime')); });
  }, 30000);
}

/** "1 comment", "2 comments". */
export function plural(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * Text cut to about {@code max} characters at a word, with an ellipsis; the text itself when it fits. A text with no
 * space in its second half is cut at max.
 */
export function shortened(text, max) {
  if (text.length <= max) return text;
  const cut = text.lastIndexOf(' ', max);
  // "repairs…", not "repairs,…": a mark the cut left at the end goes with it.
  return `${text.slice(0, cut > max / 2 ? cut : max).trimEnd().replace(/[,;:\-–—]+$/, '')}…`;
}

/** A {@code tag} element of {@code text} cut at a word after about {@code max} characters; cut, its tooltip is the whole. */
export function cutText(tag, attrs, text, max) {
  const cut = shortened(text, max);
  return h(tag, { ...attrs, title: cut === text ? null : text }, cut);
}

export function userLink(username) {
  return username ? h('a', { href: `/u/${encodeURIComponent(username)}` }, username) : h('span', {}, 'someone');
}

/** What a role is called on a badge; a member has no badge. */
export const ROLE_NAMES = { moderator: 'Moderator', admin: 'Admin' };

/**
 * The badges after an author's name: their role if they are staff (as it is now: the server reads it with the
 * content), and "OP" when they wrote the thread's post ({@code postAuthor}, on comments only).
 */
export function authorBadges(author, postAuthor) {
  const out = [];
  const role = ROLE_NAMES[author?.role];
  if (role) out.push(' ', h('span', { class: 'badge staff', title: `A ${role.toLowerCase()} of this community` }, role));
  if (author?.username && author.username === postAuthor) {
    out.push(' ', h('span', { class: 'badge op', title: 'Wrote the post' }, 'OP'));
  }
  return out;
}

export function domain(url) {
  try { return new URL(url).hostname.replace(/^www\./, ''); } catch { return url; }
}

/**
 * A link's address as shown to a reader: its host in ASCII form (https://xn--l-7sba6dbr.com/login), as the
 * browser parses it, so a look-alike written in another script (Cyrillic раураl.com) shows as what it is, not as
 * paypal.com; the rest as written.
 */
export function asciiUrl(url) {
  const written = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  // An ASCII host stays as written (the parser would lower its case); only another script's is converted.
  if (!written || /^[\x00-\x7f]*$/.test(written[2])) return url;
  try {
    return written[1] + new URL(url).host + url.slice(written[0].length);
  } catch { return url; }
}

/** Shows a form's problems: field messages next to their inputs (data-field), the rest at the form's top. */
export function showProblem(form, error) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  const general = form.querySelector('.form-error');
  const fields = error.fieldErrors ? error.fieldErrors() : {};
  let first = null;
  const unplaced = [];
  for (const [field, message] of Object.entries(fields)) {
    const input = form.querySelector(`[name="${CSS.escape(field.replace(/\[\d+\]$/, ''))}"]`);
    if (!input) {
      // Words that say what the field is ("is already taken") need its name; others say what they are about.
      unplaced.push(/^(is|are|was|were|must|has|have|should|can|cannot|can't|does|do)\b/.test(message)
        ? `${field} ${message}` : message);
      continue;
    }
    const id = `${input.id || input.name}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.after(h('p', { class: 'field-error', id, role: 'alert' }, `${labelOf(input)} ${message}`));
    first ??= input;
  }
  // An error about something the form has no field for (a reply's parent, removed meanwhile) reads as a sentence,
  // not as a field's words with no field before them ("the comment you are replying to was removed…").
  const said = unplaced.length ? unplaced.map(asSentence).join(' ') : (error.message || 'Something went wrong.');
  if (general) general.textContent = first ? '' : said;
  // The reader who just sent the form (focus on its button, or lost when the button was disabled while it went)
  // goes on at the field to correct, as a browser's own validation would take them; focus elsewhere stays.
  const active = document.activeElement;
  if (first && (!active || active === document.body || form.contains(active))) first.focus();
}

/** "was removed" -> "Was removed.": a capital first letter and a full stop. */
function asSentence(text) {
  const t = String(text).trim();
  return t.charAt(0).toUpperCase() + t.slice(1) + (/[.!?]$/.test(t) ? '' : '.');
}

/** What a field's error calls it: its label, or the label's data-label where the label is a sentence or has a hint. */
function labelOf(input) {
  const label = input.id ? document.querySelector(`label[for="${input.id}"]`) : null;
  if (label?.dataset.label) return label.dataset.label;
  return label ? label.textContent.replace(/[:*]/g, '').trim() : input.name;
}

/**
 * " · " and a badge, which a narrow line moves to the next line together (a "·" ended a line, its badge alone
 * below); {@code cls} styles the badge, {@code mark} names the whole for a script to find it.
 */
export function badgeMark(text, { cls = '', mark = '', title } = {}) {
  return h('span', { class: `nowrap ${mark}`.trim() }, ' · ', h('span', { class: `badge ${cls}`.trim(), title }, text));
}

/** "rust, show-hn #go" -> ["rust", "show-hn", "go"]: commas or spaces between, a leading # dropped, no repeats. */
export function parseTags(text) {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.replace(/^#/, '').toLowerCase()).filter(Boolean))];
}

/**
 * The server names a bad tag or source by its place (tags[2], sources[1]); the reader sees one message next to the
 * field that quotes it (Tags "c++" must be …; Sources "ftp://x" must be …), not one per item with the same id.
 * Each list is [field, the values sent].
 */
export function listProblems(error, ...lists) {
  const errors = error?.problem?.errors;
  if (!Array.isArray(errors)) return error;
  for (const [field, values] of lists) {
    const about = error.problem.errors.filter((e) => new RegExp(`^${field}(\\[\\d+\\])?$`).test(e.field));
    if (!about.length) continue;
    const messages = about.map((e) => {
      const i = /\[(\d+)\]/.exec(e.field);
      return i && values[Number(i[1])] !== undefined ? `"${values[Number(i[1])]}" ${e.message}` : e.message;
    });
    error.problem.errors = [...error.problem.errors.filter((e) => !about.includes(e)),
      { field, message: [...new Set(messages)].join('; ') }];
  }
  return error;
}

export function clearProblem(form) {
  form.querySelectorAll('.field-error').forEach((e) => e.remove());
  const general = form.querySelector('.form-error');
  if (general) general.textContent = '';
}

/**
 * Whether a moderator's form has its reason (the field named "reason"); if not, says so by the field, as the server
 * would, naming who is told it, and puts the focus there.
 */
export function reasonGiven(form, told) {
  const reason = form.elements.reason;
  if (reason.value.trim()) return true;
  showProblem(form, { fieldErrors: () => ({ reason: `is required: ${told} is told why.` }) });
  reason.focus();
  return false;
}

/**
 * Sends a form that signs in (sign-in, registration, a reset link) as `toBody(formData)` to `path`: on success keeps
 * the session and goes to `destination()`; otherwise shows the problem by its fields, then `onProblem(error)`.
 */
export function submitsSignIn(form, path, toBody, destination, onProblem = () => {}, options = {}) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const button = form.querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const result = await post(path, toBody(new FormData(form)), options);
      session.save({ token: result.token, user: result.user });
      // A page that says what happened itself (options.onSignedIn) stays; the others go on to where they lead.
      if (options.onSignedIn) options.onSignedIn(result);
      else location.assign(destination());
    } catch (error) {
      showProblem(form, error);
      onProblem(error);
    } finally {
      button.disabled = false;
    }
  });
}

/** Where to sign in and come back to this very place (path, query and anchor). */
export function signInHref(mode) {
  const here = location.pathname + location.search + location.hash;
  return `/login?next=${encodeURIComponent(here)}${mode === 'register' ? '&mode=register' : ''}`;
}

/**
 * A menu that would open past the screen's edge opens the other way: aligned to its button's right edge, a comment's
 * Moderate menu under deep replies ran off the left of a phone's screen, its first item cut (a page review).
 */
document.addEventListener('toggle', (event) => {
  const menu = event.target;
  if (!(menu instanceof HTMLDetailsElement) || !menu.open || !menu.classList.contains('menu')) return;
  const items = menu.querySelector(':scope > .menu-items');
  if (!items) return;
  items.style.left = '';
  items.style.right = '';
  const box = items.getBoundingClientRect();
  if (box.left < 0) {
    items.style.left = '0';
    items.style.right = 'auto';
  } else if (box.right > document.documentElement.clientWidth) {
    items.style.left = 'auto';
    items.style.right = '0';
  }
}, true);

/** Where a line for the next page waits (see noticeOnNextPage). */
const CARRIED = 'parley.notice';
let carriedTaken = false;

/**
 * Says {@code text} at the top of the next page this tab loads, once: what happened on a page the reader is sent away
 * from (their account deleted). Kept in this tab's sessionStorage, as the reset page keeps its news across its reload.
 */
export function noticeOnNextPage(text) {
  try { sessionStorage.setItem(CARRIED, text); } catch { /* storage refused: the next page says nothing */ }
}

/** The line a page before left for this one (noticeOnNextPage), at the top, focused so that it is read out. */
function showCarried() {
  if (carriedTaken) return;
  carriedTaken = true;
  let text = null;
  try {
    text = sessionStorage.getItem(CARRIED);
    sessionStorage.removeItem(CARRIED);
  } catch { return; }
  const main = document.querySelector('main');
  if (!text || !main) return;
  const line = h('p', { class: 'carried-notice', id: 'carried-notice', tabindex: '-1' }, text);
  main.prepend(line);
  line.focus();
}

/** The header every page shares: brand, the search box, the notifications badge, who is signed in, links. */
export function renderHeader() {
  const nav = document.getElementById('nav');
  if (!nav) return;
  showCarried();
  searchBox(nav);
  nav.replaceChildren();
  watchSession();
  stopBadge();
  const s = session.token() ? session.current() : null;
  if (s) {
    const count = h('span', { class: 'count', id: 'inbox-count', hidden: true });
    const unreadWord = h('span', { class: 'visually-hidden', hidden: true }, ' unread');
    const inbox = h('a', { href: '/notifications', id: 'inbox-link' }, 'Notifications', count, unreadWord);
    nav.append(inbox, h('a', { href: '/settings', id: 'settings-link' }, 'Settings'));
    if (session.isModerator()) nav.append(h('a', { href: '/mod' }, 'Moderation'));
    // The name's whole self as its tooltip: a phone cuts a long one.
    const name = userLink(s.user.username);
    name.title = s.user.username;
    nav.append(h('span', { class: 'muted who' }, h('span', { class: 'who-label' }, 'Signed in as '), name));
    nav.append(h('button', { class: 'link', type: 'button', id: 'sign-out', onclick: () => {
      session.clear();
      location.reload();
    } }, 'Sign out'));
    startBadge(s, count, unreadWord);
    showBan();
    followAccount();
    // The link to the page one is on says so (and a phone leaves it out, to keep the header to two rows).
    for (const a of nav.querySelectorAll('a')) if (a.pathname === location.pathname) a.setAttribute('aria-current', 'page');
  } else if (location.pathname !== '/login') {
    nav.append(h('a', { href: signInHref(), id: 'sign-in' }, 'Sign in'),
      h('a', { href: signInHref('register'), id: 'sign-up', class: 'button primary' }, 'Sign up'));
  }
}

const SESSION_ENDED = {
  expired: 'Your session has expired.',
  refused: 'Your session has ended (signed out everywhere, or the password was changed).',
  'signed-out': 'You signed out in another tab.',
  deleted: 'Your account was deleted in another tab.',
  changed: 'Another tab signed in as someone else.',
};

let sessionWatched = false;
/**
 * A session that ends while the page is open (see session.onEnded) is said at the top of the page, with a way to
 * sign in again that leaves this page, and anything being written on it, where it is: the sign-in opens in a new
 * tab, and this page hears of it and says so. The header follows: signed out, then signed in again. Pages hear of it
 * too ('parley:session', detail the reason or 'started').
 */
function watchSession() {
  if (sessionWatched) return;
  sessionWatched = true;
  session.onEnded((why) => {
    meAnswer = null;
    renderHeader();
    const shown = document.getElementById('session-notice');
    let line;
    if (why === 'started') {
      if (!shown) return;
      const name = session.current()?.user?.username;
      line = h('p', { class: 'session-notice again', id: 'session-notice', role: 'status' },
        name ? `You are signed in again as ${name}.` : 'You are signed in again.');
    } else {
      // A deleted account has nothing to sign in again to.
      line = why === 'deleted'
        ? h('p', { class: 'session-notice', id: 'session-notice', role: 'status' }, SESSION_ENDED.deleted)
        : h('p', { class: 'session-notice', id: 'session-notice', role: 'status' },
          SESSION_ENDED[why] ?? SESSION_ENDED.refused, ' ',
          h('a', { href: signInHref(), target: '_blank', id: 'sign-in-again' }, 'Sign in again'),
          ' (in a new tab: this page, and anything you are writing on it, stays).');
    }
    if (shown) shown.replaceWith(line);
    else document.querySelector('main')?.prepend(line);
    announce(line.textContent);
    document.dispatchEvent(new CustomEvent('parley:session', { detail: why }));
  });
}

/** The header's live topic (the unread count), while a member is signed in. */
let badgeTopic = null;
function stopBadge() {
  badgeTopic?.();
  badgeTopic = null;
}

let meAnswer = null;
/** The signed-in account as the server has it now, asked once per page: a ban, a token ended elsewhere. */
export function me() {
  meAnswer ??= get('/api/me');
  return meAnswer;
}

/**
 * The stored session names the member and their role as they were at sign-in, and pages decide from it what is
 * theirs (Edit on their own post, the moderators' tools): a rename made on another device, or a role an admin
 * changed, would leave this one offering the wrong things (and linking to a profile name anyone may now take) until
 * the next sign-in. So once the server has said who the member is, a difference is saved and the page loaded again.
 */
function followAccount() {
  me().then((user) => {
    const stored = session.current();
    if (!stored?.user || !user) return;
    if (stored.user.username === user.username && stored.user.role === user.role) return;
    session.save({ ...stored, user: { ...stored.user, username: user.username, role: user.role } });
    location.reload();
  }).catch(() => {});
}

/**
 * A banned member is told so at the top of every page, with when it ends and why, and is not offered what the ban
 * refuses (commenting, replying, quoting, reporting, voting, posting: the body's "banned" class, parley.css). The
 * line follows the ban while the page is open: it appears when a
 * moderator bans them (their own live topic is then revoked, which says so), and says so when the ban ends by itself
 * or, if a moderator lifts it, when they come back to the tab. A ban ends every live topic the page followed with
 * the member's token, so the line then offers a reload rather than a page that looks live and is not.
 */
function showBan(live = false) {
  me().then((user) => {
    const shown = document.getElementById('ban-notice');
    clearTimeout(banCheck);
    document.body.classList.toggle('banned', Boolean(user?.ban));
    if (!user?.ban) {
      if (shown && !shown.classList.contains('lifted')) {
        shown.classList.add('lifted');
        shown.replaceChildren('Your ban is over. ', h('button', { type: 'button', id: 'ban-lifted-reload',
          onclick: () => location.reload() }, 'Reload the page'), ' to follow it live again.');
        announce('Your ban is over.');
      }
      return;
    }
    const said = banText(user.ban);
    const line = h('p', { class: 'ban-notice', id: 'ban-notice' }, said, /[.!?]$/.test(said) ? ' ' : '. ',
      user.ban.until ? 'Until then you can read, but not post, comment, vote, report or change your profile.'
        : 'You can read, but not post, comment, vote, report or change your profile.');
    if (shown) shown.replaceWith(line);
    else document.querySelector('main')?.prepend(line);
    // News only when it changed while the page was open (a new ban, or one made again after it was over).
    if (live && (!shown || shown.classList.contains('lifted'))) announce(said);
    const ends = user.ban.until ? Date.parse(user.ban.until) - Date.now() : Infinity;
    // A clock ahead of the server's sees the end pass first: look again later and later, not every second.
    banRetry = ends > 0 ? 30000 : Math.min(banRetry * 2, 600000);
    // setTimeout takes at most about 24 days; a longer ban is looked at again when the reader comes back.
    if (ends < 2 ** 31 - 1) banCheck = setTimeout(lookAgain, ends > 0 ? ends + 1000 : banRetry);
  }).catch(() => {});
}

let banCheck;
let banRetry = 15000;

/** The account as it stands now, and the ban line with it. */
function lookAgain() {
  meAnswer = null;
  showBan(true);
}

// A "⋯" or moderation menu (a <details>) closes on Escape, as a menu does, with focus back on its button; and on a
// click anywhere outside it.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  const menu = document.activeElement?.closest?.('details.menu[open]');
  if (!menu) return;
  menu.removeAttribute('open');
  menu.querySelector('summary')?.focus();
  event.preventDefault();
});
document.addEventListener('click', (event) => {
  document.querySelectorAll('details.menu[open]').forEach((menu) => {
    if (!menu.contains(event.target)) menu.removeAttribute('open');
  });
});
// And when Tab takes focus out of it: it stayed open, laid over the next comment (a page review). Not when the
// window itself loses focus (no element gains it).
document.addEventListener('focusout', (event) => {
  const menu = event.target.closest?.('details.menu[open]');
  if (menu && event.relatedTarget && !menu.contains(event.relatedTarget)) menu.removeAttribute('open');
});

// A lifted ban shows when the reader comes back to the tab (nothing live tells a banned reader).
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && document.getElementById('ban-notice')) lookAgain();
});

/**
 * A small search form after the brand: a plain GET to /search that needs no handler of its own. Left out on a page
 * that has its own search form (the search page): one search landmark per page.
 */
function searchBox(nav) {
  if (document.getElementById('site-search') || document.querySelector('main form[role="search"]')) return;
  const input = h('input', { type: 'search', id: 'site-search-q', name: 'q', placeholder: 'Search', maxlength: 200,
    required: true, enterkeyhint: 'search', autocomplete: 'off', dir: 'auto' });
  nav.before(h('form', { role: 'search', id: 'site-search', class: 'site-search', action: '/search', method: 'get',
    onsubmit: () => cleanSearch(input) },
  h('label', { for: 'site-search-q', class: 'visually-hidden' }, 'Search Parley'), input));
}

/**
 * A query as the address can carry it: control characters pasted with it (a tab, a vertical tab) become spaces, since
 * the server refuses them in an address and the browser would show its JSON refusal instead of a page (a review).
 */
export function cleanSearch(input) {
  input.value = input.value.replace(/[\u0000-\u001f\u007f]+/g, ' ');
}

/** The unread count in the header and the tab's title, kept current from the reader's own live topic. */
function startBadge(s, count, unreadWord) {
  let unread = 0;
  const show = (n) => {
    unread = n;
    count.hidden = n === 0;
    count.textContent = n > 99 ? '99+' : String(n);
    // The link reads "Notifications 3 unread" (the word only for screen readers); just "Notifications" at 0.
    unreadWord.hidden = n === 0;
    // A page that counts something of its own in its title (the moderators' open reports) keeps it.
    if (document.body.dataset.titleCount === 'page') return;
    const bare = document.title.replace(/^\(\d+\+?\) /, '');
    const titled = n === 0 ? bare : `(${n > 99 ? '99+' : n}) ${bare}`;
    if (document.title !== titled) document.title = titled;
  };
  const refetch = () => get('/api/me/notifications/unread').then((r) => show(r.unread)).catch(() => {});
  // Pages set their own title later: keep the count in front of it.
  new MutationObserver(() => show(unread)).observe(document.querySelector('title'), { childList: true });
  refetch();
  badgeTopic = connection().subscribe(`parley.user.${s.user.id}`, {
    onEvent: (e) => {
      // Every event of the member's own topic, for a page that shows what it is about (their post approved).
      document.dispatchEvent(new CustomEvent('parley:own', { detail: e }));
      if (e.type !== 'notification.created' && e.type !== 'notifications.read') return;
      show(e.data.unread);
      document.dispatchEvent(new CustomEvent('parley:notifications', { detail: e }));
    },
    onResync: refetch,
    // A ban made while the page is open ends the reader's own topic (or refuses it, if it came first): the ban line
    // says why.
    onError: (frame) => { if (frame.body === 'access_revoked' || frame.body === 'rejected') lookAgain(); },
  });
  // Anything announced while the connection was down is in the count the server gives now.
  let wasOpen = false;
  const mine = badgeTopic;
  onStatus((status) => {
    if (badgeTopic !== mine) return; // the header was drawn again since (a session ended or began)
    if (status === 'open' && wasOpen) refetch();
    if (status === 'open') wasOpen = true;
  });
}

/** A live-region announcer for screen readers (arriving comments, connection changes). */
export function announce(text) {
  let region = document.getElementById('announcer');
  if (!region) {
    region = h('div', { id: 'announcer', class: 'visually-hidden', 'aria-live': 'polite' });
    document.body.append(region);
  }
  // The same words again are a change too (a no-break space more or less), or a screen reader would not say them again.
  region.textContent = region.textContent === text ? `${text}\u00a0` : text;
}

const STATES = { open: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', closed: 'Offline' };

/** While a keyed create is sent again after no answer: says so in the form, whose text stays. */
export function retrying(form) {
  const general = form.querySelector('.form-error');
  if (general) general.textContent = "Can't reach Parley. Your text is kept; retrying…";
}

/** An onStatus handler for Live that shows the connection state in a status element. */
export function liveStatus(el) {
  return (state) => {
    if (el.dataset.stopped) return;
    el.dataset.state = state;
    el.textContent = STATES[state] ?? state;
    // A page's first connection is no news ("Live" was read out on every page load, a probe found); from its first
    // settled state on, what changes (reconnecting, offline, live again) is spoken. A page whose first connection
    // fails says so at once.
    if (state !== 'connecting' && !el.hasAttribute('role')) {
      if (state !== 'open') announce(el.textContent);
      queueMicrotask(() => el.setAttribute('role', 'status'));
    }
  };
}

/**
 * The page's own live topic was stopped by the server (its session ended, its thread hidden): the status element
 * says so, whatever the connection does, until {@link liveAgain}. A page that said "Live" and heard nothing was
 * the worst of it (a page probe).
 */
export function notLive(el, text = 'Not live') {
  el.dataset.stopped = 'true';
  el.dataset.state = 'stopped';
  el.textContent = text;
  // Not yet a live region (the page never settled): said through the announcer instead.
  if (!el.hasAttribute('role')) {
    el.setAttribute('role', 'status');
    announce(text);
  }
}

/** The page's topic is followed again: the status element shows the connection's state once more. */
export function liveAgain(el) {
  delete el.dataset.stopped;
  const status = connection().status;
  el.dataset.state = status;
  el.textContent = STATES[status] ?? status;
}
