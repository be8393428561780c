/**
 * The moderators' dashboard, meant to be read at a glance: what waits for approval (approve in one click, reject
 * with a reason), the reports grouped by what they are about (each reporter's reason and words, a link to the
 * content itself, hide or dismiss in one click with a few seconds to undo, a ban that opens on request and asks to
 * be confirmed), the new-content stream with its recent history, the audit log written as sentences, the word and
 * pattern filters, and a card per user with their record and the moderators' notes. Everything follows parley.mod
 * live; the tab title counts what waits for a decision (open report cards plus pending items).
 */
import { get, post, put, del } from './api.js';
import * as session from './session.js';
import { connection, onStatus } from './connection.js';
import { h, time, userLink, setBodyHtml, renderHeader, refreshTimes, announce, liveStatus, notLive, liveAgain, showProblem, clearProblem,
  reasonGiven,
  plural } from './ui.js';
import { REASONS, reasonLabel, mayBan } from './modtools.js';
import { uniqueId, titles, permalink, titleLink, knownTitle, person, whose, sentence, banControls, resetForm,
  renamePeople, setUpUserCard } from './usercard.js';

const $ = (id) => document.getElementById(id);

/** How long a hide or dismiss waits for an Undo before it is sent. */
const UNDO_MS = 5000;
const LOG_SIZE = 30;
/** The stream keeps the newest few: it sits above the audit log and the filters. */
const STREAM_SIZE = 20;
const AGAINST_RULES = "Against this site's rules";
/**
 * What a hide tells the author it was for: the reporters' reasons, except that Parley's own report does not say
 * which of the holds an edit matched (that would tell a spammer what to edit around).
 */
const HIDE_NOTES = { ...REASONS, screening: AGAINST_RULES };

/**
 * What the author of content hidden from its report card is told: the reporters' reasons, without "Other", which told
 * them nothing ("A moderator removed your comment (Harassment, Other)", a moderator's probe); the site's rules when
 * nothing else is left.
 */
function hideNote(reasons) {
  const said = [...new Set(reasons.filter((r) => r !== 'other').map((r) => HIDE_NOTES[r] ?? r))];
  return said.length ? said.join(', ') : AGAINST_RULES;
}

const QUEUE_NAMES = { open: 'Open reports', dismissed: 'Dismissed reports', actioned: 'Reports acted on' };

const me = () => session.current()?.user?.username;

/**
 * The open report cards (the first page, unfiltered) and how many targets the open queue holds in all, for the tab's
 * count; what the shown queue holds in all and how many of its cards were read; how many items wait for approval.
 */
let openItems = [];
let openTotal = 0;
let shownTotal = 0;
let shownRead = 0;
let pendingTotal = 0;

// ---------- words and links ----------

/** A post's title as a link, on a line of its own. */
function postLine(postId, title) {
  const link = h('a', { href: `/posts/${postId}`, class: 'post-title', title: title ?? null }, title ?? 'A post');
  if (!title && postId) knownTitle(postId).then((t) => { if (t) link.textContent = link.title = t; });
  return h('p', { class: 'post-line' }, link);
}

function badges(c) {
  return ['hidden', 'pending', 'deleted', 'locked'].filter((flag) => c?.[flag])
    .flatMap((flag) => [' ', h('span', { class: `badge badge-${flag}` }, flag)]);
}

// ---------- the audit log, as sentences ----------

function logItem(entry) {
  return h('li', { class: 'card log-item', id: `log-${entry.id}` },
    h('p', {}, ...sentence(entry), h('span', { class: 'meta' }, ' · ', time(entry.createdAt))));
}

/** Where the audit log's next older page starts (the API's cursor), or null when the oldest entry is shown. */
let logCursor = null;
/** The most entries the log keeps as new ones arrive live before it starts again from the newest. */
const LOG_KEPT = 500;

async function loadLog() {
  const page = await get(`/api/mod/log?limit=${LOG_SIZE}`);
  $('log').replaceChildren(...page.items.map(logItem));
  $('log-empty').hidden = page.items.length > 0;
  logCursor = page.nextCursor;
  $('log-more').hidden = !logCursor;
}

/**
 * The audit log's older entries, a page at a time: the dashboard showed the newest 30 and nothing before them, and a
 * takedown writes an entry per piece, so the ban itself was soon out of reach (a moderator's probe). Focus goes to
 * the first entry it brought.
 */
$('log-more').addEventListener('click', async () => {
  try {
    const page = await get(`/api/mod/log?limit=${LOG_SIZE}&cursor=${encodeURIComponent(logCursor)}`);
    const added = page.items.filter((entry) => !$(`log-${entry.id}`)).map(logItem);
    $('log').append(...added);
    logCursor = page.nextCursor;
    $('log-more').hidden = !logCursor;
    if (added.length) {
      added[0].tabIndex = -1;
      added[0].focus();
    } else {
      $('log-title').focus();
    }
    announce(`${added.length} older ${added.length === 1 ? 'entry' : 'entries'}${logCursor ? '' : ', the oldest'}.`);
  } catch (error) {
    toast(error.message);
  }
});

function addLogEntry(entry) {
  if ($(`log-${entry.id}`)) return;
  $('log').prepend(logItem(entry));
  $('log-empty').hidden = true;
  // New entries are added, none taken from the end (the older pages would then skip them); a log grown that long
  // starts again from the newest, unless the moderator is reading in it.
  if ($('log').children.length > LOG_KEPT && !$('log').contains(document.activeElement)) loadLog().catch(loadFailed);
}

// ---------- lists that keep what the moderator is doing ----------

/**
 * Brings a list in line with items, keyed: existing elements are updated in place and stay where they are (so a
 * half-typed ban reason or reject reason survives a live refresh), new ones are inserted, gone ones removed
 * (except those showing a "handled by" notice for a moment: data-leaving).
 */
function reconcile(list, items, keyOf, build, update) {
  const keys = new Set(items.map(keyOf));
  for (const el of [...list.children]) {
    if (!keys.has(el.dataset.key) && !el.dataset.leaving) {
      // Focus in a card that goes moves on with it, to the next card or the list's heading, not to the page (a ban
      // from a card that took the author's content down settled its reports, and the refresh took the card away
      // with focus: a moderator's probe).
      const moveOn = el.contains(document.activeElement)
        ? focusAfter(el, list.closest('section')?.querySelector('h2') ?? document.body) : null;
      el.remove();
      moveOn?.();
    }
  }
  const existing = new Map([...list.children].map((el) => [el.dataset.key, el]));
  let cursor = list.firstElementChild;
  const skipLeaving = () => { while (cursor?.dataset.leaving) cursor = cursor.nextElementSibling; };
  for (const item of items) {
    const key = keyOf(item);
    let el = existing.get(key);
    if (el) {
      update?.(el, item);
    } else {
      el = build(item);
      el.dataset.key = key;
    }
    skipLeaving();
    if (el === cursor) cursor = cursor.nextElementSibling;
    else list.insertBefore(el, cursor);
  }
}

/**
 * Where focus goes when a card leaves: onto the next card itself (else the previous one, else the heading), where
 * Tab reaches its controls. Not onto its first button: that is Hide or Approve, and a keyboard moderator who pressed
 * Enter again acted on an item not yet read (a page review).
 */
function focusAfter(card, heading) {
  const sibling = card.nextElementSibling ?? card.previousElementSibling;
  return () => {
    const target = sibling?.isConnected ? sibling : null;
    if (target) target.tabIndex = -1;
    (target ?? heading).focus();
  };
}

/** Runs one load at a time; a request made while one runs runs again after it, so no change is missed. */
function coalesced(load) {
  let running = null;
  let again = false;
  const run = () => {
    if (running) {
      again = true;
      return running;
    }
    running = load().then(() => { $('mod-error').hidden = true; }, loadFailed).finally(() => {
      running = null;
      if (again) {
        again = false;
        run();
      }
    });
    return running;
  };
  return run;
}

function loadFailed(error) {
  $('mod-error').textContent = `Could not refresh the dashboard: ${error.message}`;
  $('mod-error').hidden = false;
}

/**
 * A button that runs an action, with its failure shown in the card (never an alert). While it runs it is marked
 * aria-disabled rather than disabled: a disabled button loses focus, and the keyboard user with it.
 */
function actionButton(label, run, cls, action) {
  return h('button', { type: 'button', class: cls, 'data-action': action, 'aria-keyshortcuts': keyFor(action),
    onclick: async (event) => {
    const button = event.currentTarget;
    if (button.getAttribute('aria-disabled') === 'true') return;
    const out = button.closest('.mod-card')?.querySelector('.card-error');
    button.setAttribute('aria-disabled', 'true');
    if (out) out.textContent = '';
    try {
      await run(button);
    } catch (error) {
      if (out) {
        out.textContent = error.message;
        if (error.ask) out.dataset.ask = 'true';
        else delete out.dataset.ask;
      } else {
        toast(error.message);
      }
    } finally {
      button.removeAttribute('aria-disabled');
    }
  } }, label);
}

// ---------- keys on a card ----------

/**
 * One key per decision on the card that has focus, so a keyboard moderator works the queue without tabbing through
 * each card's links to its buttons (five Tabs to Approve, a moderator's probe). Active only while focus is on a card
 * or one of its buttons and links, never in a field or a form, and never with Ctrl, Alt or Meta; the line above the
 * lists names them and turns them off (kept in this browser). A decision made with a key is the click on the card's
 * own button, asked and undone as one made with the mouse; focus then goes to the next card itself, to be read
 * before the next key.
 */
const CARD_KEYS = { a: 'approve', r: 'reject', h: 'hide', d: 'dismiss', b: 'ban' };
const KEYS_OFF = 'parley.mod.keys';
let keysOn = (() => {
  try {
    return localStorage.getItem(KEYS_OFF) !== 'off';
  } catch {
    return true;
  }
})();
/** Set while a key's click runs: {@link later} then moves focus on at once instead of onto Undo. */
let byKey = false;

function keyFor(action) {
  if (!keysOn) return null;
  const key = Object.keys(CARD_KEYS).find((k) => CARD_KEYS[k] === action);
  return key ? key.toUpperCase() : null;
}

/** Every card of both queues in page order, those on their way out included. */
function allCards() {
  return [...document.querySelectorAll('#pending > .mod-card, #queue > .mod-card')];
}

/** A card j and k may land on: shown, and not on its way out. */
const landable = (card) => !card.dataset.leaving && !card.closest('[hidden]');

/**
 * The card j ({@code step} 1) or k (-1) goes to from {@code from}: the next shown one after it in page order (from a
 * card on its way out, "Handled by …", too: it went to the first card of the page); from a queue's heading, that
 * queue's first; from anywhere else, the page's first.
 */
function cardFrom(from, step) {
  const cards = allCards();
  const here = from?.classList.contains('mod-card') ? cards.indexOf(from) : -1;
  if (here < 0) {
    const list = from?.matches?.('h2') ? from.closest('section')?.querySelector('ol') : null;
    return cards.find((card) => landable(card) && (!list || card.parentElement === list))
      ?? cards.find(landable) ?? null;
  }
  for (let i = here + step; i >= 0 && i < cards.length; i += step) {
    if (landable(cards[i])) return cards[i];
  }
  return null;
}

function focusCard(card) {
  card.tabIndex = -1;
  card.focus();
}

/** The newest decision still in its undo window, if any. */
function lastWaiting() {
  return [...waiting.entries()].filter(([, entry]) => !entry.sent).pop()?.[0];
}

/** The buttons' own words, for "this card has no … button". */
const BUTTON_NAMES = { approve: 'Approve', reject: 'Reject', hide: 'Hide', dismiss: 'Dismiss', ban: 'Ban' };
/**
 * How long a card must have had focus before a key decides it: after a decision focus moves on to a card not yet
 * read, and a key held down (its repeats) or pressed twice decided the cards after it, one each (a keyboard probe:
 * holding a approved the whole held queue). Repeats are never taken.
 */
const READ_FIRST_MS = 600;
/** The card focus is in, and when focus came to it (moving between its own buttons does not count). */
let focusedCard = null;
let cameAt = -Infinity;

function cameTo(event) {
  const card = event.target instanceof Element ? event.target.closest('.mod-card') : null;
  if (card === focusedCard) return;
  focusedCard = card;
  cameAt = performance.now();
}

function onKey(event) {
  if (!keysOn || event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey || event.isComposing) return;
  if (event.key.length !== 1 || event.shiftKey) return;
  // Caps Lock's capitals are its letters; Shift's are not keys of these (Shift with Caps Lock gives small ones).
  const key = event.getModifierState?.('CapsLock') ? event.key.toLowerCase() : event.key;
  const at = event.target instanceof Element ? event.target : document.body;
  if (at.closest('input, textarea, select, [contenteditable], form, dialog')) return;
  const card = at.closest('.mod-card');
  const inToast = at.closest('#toasts');
  if (!card && !inToast && at !== document.body && !at.matches('h2')) return;
  if (key === 'j' || key === 'k') {
    event.preventDefault();
    // From a toast's Undo (a decision made with a click): on to the card after the one decided.
    const toastEntry = inToast ? [...waiting.values()].find((entry) => entry.toast.contains(at)) : null;
    if (toastEntry && key === 'j') {
      toastEntry.focusNext();
      return;
    }
    const next = cardFrom(card ?? at, key === 'j' ? 1 : -1);
    if (next) focusCard(next);
    else announce(!allCards().some(landable) ? 'No cards are shown.'
      : key === 'j' ? 'That is the last card.' : 'That is the first card.');
    return;
  }
  if (key === 'u') {
    event.preventDefault();
    const last = lastWaiting();
    if (last) undo(last);
    else announce('Nothing to undo.');
    return;
  }
  const action = CARD_KEYS[key];
  if (!action || !card) return;
  event.preventDefault();
  if (event.repeat) return;
  const button = action === 'ban' ? card.querySelector('.ban-toggle') : card.querySelector(`[data-action="${action}"]`);
  if (!button || button.closest('[hidden]')) {
    announce(`This card has no ${BUTTON_NAMES[action]} button.`);
    return;
  }
  if (card !== focusedCard) {
    // Focus came to it before this page listened (the queue's link to its card): it has been read.
    focusedCard = card;
    cameAt = -Infinity;
  }
  if (performance.now() - cameAt < READ_FIRST_MS) {
    announce(`${BUTTON_NAMES[action]} not pressed: this card has only just been reached.`);
    return;
  }
  byKey = true;
  try {
    button.click();
  } finally {
    byKey = false;
  }
}

/** The line that names the keys, and turns them off or on again. */
function showKeys() {
  $('mod-keys-list').hidden = !keysOn;
  $('mod-keys-off').hidden = keysOn;
  $('mod-keys-toggle').textContent = keysOn ? 'Turn these keys off' : 'Turn card keys on';
  document.querySelectorAll('.mod-card [data-action], .mod-card .ban-toggle').forEach(markKey);
}

/** A card's button says its key to assistive technology (aria-keyshortcuts), while the keys are on. */
function markKey(button) {
  const k = keyFor(button.dataset.action ?? 'ban');
  if (k) button.setAttribute('aria-keyshortcuts', k);
  else button.removeAttribute('aria-keyshortcuts');
}

function setUpKeys() {
  document.addEventListener('keydown', onKey);
  document.addEventListener('focusin', cameTo);
  $('mod-keys-toggle').addEventListener('click', () => {
    keysOn = !keysOn;
    try {
      if (keysOn) localStorage.removeItem(KEYS_OFF);
      else localStorage.setItem(KEYS_OFF, 'off');
    } catch { /* storage full or off: the choice lasts as long as the page */ }
    showKeys();
    announce(keysOn ? 'Card keys are on.' : 'Card keys are off.');
  });
  showKeys();
}

// ---------- toasts and undo ----------

/** A toast; {@code quiet} when its words were already said aloud. */
function toast(text, undo, { quiet = false } = {}) {
  const textId = uniqueId('toast');
  const el = h('div', { class: 'toast' }, h('span', { id: textId }, text),
    undo ? h('button', { type: 'button', class: 'undo', 'aria-describedby': textId, 'aria-keyshortcuts': keysOn ? 'U' : null,
      onclick: undo }, 'Undo') : null);
  $('toasts').append(el);
  clearOfToasts();
  if (!quiet) announce(undo ? `${text} Undo is possible for ${UNDO_MS / 1000} seconds.` : text);
  if (!undo) setTimeout(() => el.remove(), quiet ? 8000 : 4000);
  return el;
}

/**
 * Keeps the card (or whatever has focus) clear of the toasts at the foot of the window: on a phone they span its
 * width, and covered the next card's Approve and Reject just after a decision moved focus onto it there, for the
 * whole undo window (a page review, 320 px wide). The page scrolls it up above them; main's padding at the foot
 * (mod.css) leaves room to, even for the last card.
 */
function clearOfToasts() {
  const stack = $('toasts');
  const focused = document.activeElement;
  if (!stack.childElementCount || !focused || focused === document.body || stack.contains(focused)) return;
  const target = focused.closest('li') ?? focused;
  const box = stack.getBoundingClientRect();
  const r = target.getBoundingClientRect();
  if (r.bottom > box.top && r.top < box.bottom && r.right > box.left && r.left < box.right) {
    window.scrollBy({ top: r.bottom - box.top + 8, behavior: 'instant' });
  }
}

document.addEventListener('focusin', clearOfToasts);

/*
 * Undo, by waiting: a hide or dismiss takes the card away at once, but the request is only sent when the undo
 * window is over, so Undo just cancels it and the server never acted. (Sending at once and undoing with "restore"
 * would leave the reports closed, a hidden-and-restored pair in the audit log, and the author notified.) A page
 * that is left or closed in the window sends what is waiting at once on pagehide, with a keepalive fetch that
 * outlives the page. While an action waits or is being sent its card stays out of every refresh.
 */
const waiting = new Map(); // target key -> {path, body, label, timer, toast, card, place, focusNext, sent}

function later({ key, path, body, label, card }) {
  const entry = { path, body, label, card, sent: false,
    place: { list: card.parentElement, next: card.nextElementSibling }, focusNext: focusAfter(card, $('queue-title')) };
  card.remove();
  entry.toast = toast(label, () => undo(key));
  // Made with a key: focus goes on to the next card at once (u undoes); made with a click or Enter: onto Undo.
  if (byKey) entry.focusNext();
  else entry.toast.querySelector('button').focus();
  entry.timer = setTimeout(() => send(key), UNDO_MS);
  waiting.set(key, entry);
  showQueueSize();
  updateCounts();
}

function undo(key) {
  const entry = waiting.get(key);
  if (!entry || entry.sent) return;
  clearTimeout(entry.timer);
  waiting.delete(key);
  entry.toast.remove();
  const { list, next } = entry.place;
  list.insertBefore(entry.card, next?.parentElement === list ? next : null);
  // The card itself, not its first button: that is Hide again, one Enter away (a keyboard probe).
  focusCard(entry.card);
  announce(`Undone: ${entry.label.replace(/\.$/, '')}, cancelled.`);
  showQueueSize();
  updateCounts();
  refreshQueue();
}

/** Ends the undo window; leaves focus on the next card if it was on the Undo button. */
function closeWindow(entry) {
  entry.sent = true;
  clearTimeout(entry.timer);
  const hadFocus = entry.toast.contains(document.activeElement);
  entry.toast.remove();
  if (hadFocus) entry.focusNext();
}

async function send(key) {
  const entry = waiting.get(key);
  if (!entry || entry.sent) return;
  closeWindow(entry);
  try {
    await post(entry.path, entry.body);
  } catch (error) {
    toast(error.status === 409 ? 'Another moderator had already handled that.' : `That failed: ${error.message}`);
  } finally {
    waiting.delete(key);
    refreshQueue();
  }
}

addEventListener('pagehide', () => {
  const token = session.token();
  for (const [key, entry] of waiting) {
    if (entry.sent) continue;
    // Forgotten at once: should the page come back from the back/forward cache, a refresh shows where things are.
    waiting.delete(key);
    entry.toast.remove();
    clearTimeout(entry.timer);
    // Headers as api.js makes them; keepalive lets the request finish after the page is gone.
    fetch(entry.path, { method: 'POST', keepalive: true, body: JSON.stringify(entry.body), headers: {
      Accept: 'application/json', 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}),
    } }).catch(() => {});
  }
});
addEventListener('pageshow', (event) => { if (event.persisted && session.isModerator()) refreshAll().catch(loadFailed); });

// ---------- claims: who is on what ----------

/**
 * Live claims by item ("comment-42"): who is on which card, read at the start and on a resync, then kept by
 * claim.taken and claim.released. A claim is advisory: acting on an item another moderator holds takes a second press.
 */
const claims = new Map();
const expiries = new Map();
const CLOCK = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** The live claim on an item, or null (one past its until is over: no event says so). */
function claimOf(key) {
  const claim = claims.get(key);
  if (claim && Date.parse(claim.until) <= Date.now()) {
    claims.delete(key);
    return null;
  }
  return claim ?? null;
}

/** Another moderator's live claim on an item, or null. */
function heldByOther(key) {
  const claim = claimOf(key);
  return claim && claim.moderator?.username !== me() ? claim : null;
}

/**
 * Someone else is on this item: the first press of an action says so in the card and asks for a second one (the
 * claim refuses nothing on the server; this is the moderators' courtesy). Throws the card's message the first time.
 */
function askFirst(button, key, verb = button.textContent.replace(/…$/, '')) {
  const other = heldByOther(key);
  // Confirmed for this claim only: a new claim (another holder, or the same one taking it again) asks again.
  const claimId = other ? `${other.moderator.username} ${other.since}` : null;
  if (!other || button.dataset.confirmed === claimId) return;
  button.dataset.confirmed = claimId;
  const error = new Error(`${other.moderator.username} is on this. Press ${verb} again to act anyway.`);
  error.ask = true;
  throw error;
}

/** The card's words for a claim that has changed since: an ask about it is out of date, and so is its confirmation. */
function forgetAsks(card) {
  for (const out of card.querySelectorAll('.card-error[data-ask], .form-error[data-ask]')) {
    out.textContent = '';
    delete out.dataset.ask;
  }
  for (const button of card.querySelectorAll('[data-confirmed]')) delete button.dataset.confirmed;
}

/** The line of a card that says who is on it, with what the moderator can do about it. */
function claimLine(key) {
  const [type, id] = key.split('-');
  const path = `/api/mod/${type}s/${id}/claim`;
  const claim = claimOf(key);
  const take = (body) => async () => {
    const kept = claimOf(key)?.moderator?.username === me();
    try {
      const claim = await put(path, body);
      setClaim(claim);
      announce(`${kept ? 'Kept' : 'You are on this'} until ${CLOCK.format(new Date(claim.until))}.`);
    } catch (error) {
      // Someone was quicker: the card shows who.
      if (error.problem?.claim) setClaim(error.problem.claim);
      throw error;
    }
  };
  let line;
  if (!claim) {
    line = h('p', { class: 'claim-line' }, actionButton("I'm on it", take({}), 'claim', 'claim'),
      h('span', { class: 'meta' }, 'Other moderators will see you are.'));
  } else if (claim.moderator?.username === me()) {
    line = h('p', { class: 'claim-line mine' },
      h('span', {}, h('strong', {}, 'You are on this'), ` until ${CLOCK.format(new Date(claim.until))}`),
      actionButton('Keep it', take({}), null, 'keep'),
      actionButton('Let go', async () => {
        await del(path);
        dropClaim(key);
        announce('Let go: other moderators see it is free.');
      }, null, 'let-go'));
  } else {
    line = h('p', { class: 'claim-line theirs' },
      h('span', {}, person(claim.moderator?.username), h('strong', {}, ' is on this'), ' since ', time(claim.since)),
      actionButton('Take over', take({ takeOver: true }), null, 'take-over'));
  }
  line.dataset.claim = key;
  line.dataset.holder = claim ? `${claim.moderator?.username} ${claim.since}` : '';
  return line;
}

/** Draws an item's claim line anew on each of its cards (the report card, the pending card), keeping focus. */
function showClaim(key) {
  // A settled report card (the dismissed and acted-on views) has no claim line: nothing about it waits.
  const report = $('view-status').value === 'open' ? $(`target-${key}`) : null;
  for (const card of [report, $(`pending-${key}`)]) {
    if (!card || card.dataset.leaving) continue;
    const old = card.querySelector('.claim-line');
    const fresh = claimLine(key);
    const focused = old?.contains(document.activeElement) ? document.activeElement : null;
    if (old && old.dataset.holder !== fresh.dataset.holder) forgetAsks(card);
    if (old) old.replaceWith(fresh);
    else card.querySelector('.card-error')?.before(fresh);
    if (!focused) continue;
    // The same button if the new line has it ("Keep it" after "Keep it"); else the line itself, never the holder's
    // name or Take over, where an Enter meant for "I'm on it" would open a card or take the item (a page probe).
    const same = fresh.querySelector(`[data-action="${focused.dataset.action}"]`);
    if (same) {
      same.focus();
    } else {
      fresh.tabIndex = -1;
      fresh.focus();
    }
  }
}

/** What a card is about, for what is announced of it: "troll's comment on "Harbour footbridge"". */
function itemWords(key) {
  const card = $(`target-${key}`) ?? $(`pending-${key}`);
  const [type] = key.split('-');
  const author = card?.dataset.author || card?.querySelector('.meta .person')?.textContent;
  const title = card?.querySelector('.meta a[href^="/posts/"], .post-line a')?.textContent;
  return `${author ? `${author}'s` : 'a'} ${type}${title ? ` on "${title}"` : ''}`;
}

function setClaim(claim) {
  const key = `${claim.targetType}-${claim.targetId}`;
  claims.set(key, claim);
  clearTimeout(expiries.get(key));
  // Over at its until without an event: the line goes back to "I'm on it" then.
  expiries.set(key, setTimeout(() => showClaim(key), Math.max(0, Date.parse(claim.until) - Date.now()) + 500));
  showClaim(key);
}

function dropClaim(key) {
  claims.delete(key);
  clearTimeout(expiries.get(key));
  showClaim(key);
}

/** Claim events heard, counted, and the count at each item's last: a read begun before an event does not undo it. */
let claimEvents = 0;
const touched = new Map();

async function loadClaims() {
  const begun = claimEvents;
  let page;
  try {
    page = await get('/api/mod/claims');
  } catch (error) {
    // No longer a moderator (a demotion heard on this page): the dashboard says so itself.
    if (error.status === 403 || error.status === 401) return;
    throw error;
  }
  const fresh = (key) => !(touched.get(key) > begun);
  const keys = new Set(page.items.map((c) => `${c.targetType}-${c.targetId}`));
  for (const key of [...claims.keys()]) if (!keys.has(key) && fresh(key)) dropClaim(key);
  for (const claim of page.items) if (fresh(`${claim.targetType}-${claim.targetId}`)) setClaim(claim);
}

// ---------- reports ----------

const targetKey = (item) => `${item.targetType}-${item.targetId}`;
const view = () => ({ show: $('view-show').value, status: $('view-status').value, reason: $('view-reason').value });

/** The reports on one target, grouped by reason: who reported it, and in their own words. */
function reportList(item) {
  const byReason = new Map();
  for (const r of item.reports ?? []) {
    if (!byReason.has(r.reason)) byReason.set(r.reason, []);
    byReason.get(r.reason).push(r);
  }
  return h('ul', { class: 'reports' }, [...byReason].map(([reason, reports]) => h('li', {},
    h('p', {}, h('strong', { class: 'reason' }, reasonLabel(reason)), ' from ',
      reports.flatMap((r, i) => [i ? ', ' : '', r.reporter ? person(r.reporter.username) : reporterless(r)])),
    reports.filter((r) => r.details).map((r) => h('blockquote', { class: 'details' },
      h('p', {}, r.details), h('p', { class: 'meta' }, '— ', r.reporter?.username ?? reporterless(r).textContent, ', ',
        time(r.createdAt)))))));
}

/** Who filed a report without a reporter: Parley, when an edit brought in what its holds hold (else, someone). */
function reporterless(report) {
  return h('span', {}, report.reason === 'screening' ? 'Parley' : 'someone');
}

/**
 * What the first report was about, when the author has edited it since: shown as the reporters saw it, as plain text
 * (the Markdown as written), under the current version.
 */
function asFirstReported(item) {
  const version = item.asFirstReported;
  if (!version) return null;
  return h('div', { class: 'as-reported' },
    h('p', { class: 'as-reported-label' }, h('strong', {}, 'Edited after it was reported.'), ' As first reported:'),
    h('blockquote', { class: 'quoted' },
      version.title !== undefined ? h('p', { class: 'as-reported-title' }, version.title) : null,
      h('p', { class: 'as-reported-body' }, version.body)));
}

function reportMain(item) {
  const c = item.content ?? {};
  const body = h('div', { class: 'body quoted' });
  if (c.bodyHtml) setBodyHtml(body, c.bodyHtml);
  const kind = item.targetType === 'post' ? 'Post' : 'Comment';
  return h('div', { class: 'card-main' },
    h('p', { class: 'meta' }, `${kind} by `, person(item.author?.username),
      item.targetType === 'comment' && c.postTitle ? [' on ', titleLink(c.postId, c.postTitle)] : '',
      ' · ', time(c.createdAt ?? item.firstReportedAt), c.editedAt ? [' · edited ', time(c.editedAt)] : '',
      ...badges(c), item.authorBanned ? [' ', h('span', { class: 'badge badge-banned' }, 'author banned')] : ''),
    item.targetType === 'post' ? postLine(c.postId, c.postTitle) : null,
    body,
    asFirstReported(item),
    h('p', { class: 'permalink-line' }, h('a', { class: 'permalink', href: permalink(item.targetType, c.id, c.postId) },
      item.targetType === 'post' ? 'Open the post' : 'Open the comment in its thread')),
    h('p', { class: 'report-summary' }, h('strong', {}, plural(item.reportCount, 'report')), ' · last ',
      time(item.lastReportedAt)),
    reportList(item),
    settledLine(item));
}

/**
 * Who settled a closed card's reports, when, and with what note ("Acted on by sam_mod · 2 hours ago: Spam"): the
 * dismissed and acted-on queues are a record, and a record says who did it.
 */
function settledLine(item) {
  const settled = (item.reports ?? []).map((r) => r.resolution).filter(Boolean)
    .reduce((newest, r) => (!newest || r.at > newest.at ? r : newest), null);
  if (!settled) return null;
  // Closed by Parley when its author deleted their account: no one to name, the note says why.
  if (settled.automatic) {
    return h('p', { class: 'settled' }, h('strong', {}, 'Closed'), ' · ', time(settled.at),
      settled.note ? `: ${settled.note}` : '');
  }
  return h('p', { class: 'settled' }, h('strong', {}, $('view-status').value === 'dismissed' ? 'Dismissed' : 'Acted on'),
    ' by ', settled.by ? person(settled.by.username) : 'a moderator whose account is gone', ' · ', time(settled.at),
    settled.note ? `: ${settled.note}` : '');
}

function reportSignature(item) {
  const c = item.content ?? {};
  // The names too: a member who renames shows under the new name at once (user.renamed).
  return JSON.stringify([item.reports?.map((r) => [r.id, r.reporter?.username]), c.hidden, c.locked, c.deleted,
    c.pending, c.body, c.postTitle, item.asFirstReported, item.authorBanned, item.author?.username]);
}

function reportCard(item, status) {
  // Someone banned already is not offered again (the card says "author banned").
  // A ban that took the content down settles the card (it goes); a plain ban leaves it, and focus goes back to the
  // card itself, where the keys work (it stayed on the form's result line, where they do not: a keyboard probe).
  const ban = mayBan(item.author) && !item.authorBanned
    ? banControls(item.author.username, (said, removed) => {
      if (removed) bannedFromCard(li, said);
      else if (li.isConnected && (li.contains(document.activeElement) || document.activeElement === document.body)) {
        focusCard(li);
      }
    }) : null;
  const li = h('li', { class: 'card mod-card report-card', id: `target-${item.targetType}-${item.targetId}`,
    'data-report': item.firstReportId, 'data-signature': reportSignature(item),
    'data-author': item.author?.username ?? '' },
  reportMain(item),
  status === 'open' ? claimLine(targetKey(item)) : null,
  h('p', { class: 'card-error form-error', role: 'alert' }),
  reportActions(item, status, ban?.toggle),
  ban?.form);
  li.banControls = ban;
  if (ban) {
    markKey(ban.toggle);
    ban.toggle.addEventListener('click', () => { li.moveOn = focusAfter(li, $('queue-title')); });
  }
  return li;
}

/**
 * A ban from a report card that also took the author's content down has settled the card's reports: the card goes
 * at once, a toast says what was done (it was said inside the card, which the queue's refresh then took away with
 * focus, a moderator's probe), and focus moves to the next card.
 */
function bannedFromCard(card, said) {
  const focusLost = !document.activeElement || document.activeElement === document.body;
  if (card.isConnected) {
    const next = card.contains(document.activeElement) || focusLost ? focusAfter(card, $('queue-title')) : null;
    card.remove();
    next?.();
    showQueueSize();
    refreshQueue();
  } else if (focusLost) {
    // The takedown's events came first and a refresh took the card; focus had gone to the page as the confirm
    // button was disabled for the request: on to the card that followed it when the ban form was opened.
    (card.moveOn ?? (() => $('queue-title').focus()))();
  }
  toast(said, null, { quiet: true });
}

/** The card's buttons for the content's state; the ban toggle is passed in so that its open form survives. */
function reportActions(item, status, banToggle) {
  const c = item.content ?? {};
  const author = item.author?.username;
  const what = `${author ? `${author}'s` : 'the'} ${item.targetType}`;
  // The newest report the card shows: a dismissal sent when its undo window ends closes none filed meanwhile (its
  // card is out of every refresh while it waits, so such a report was dismissed unread: a review).
  const upTo = Math.max(item.firstReportId, ...(item.reports ?? []).map((r) => r.id));
  const resolve = (action, label) => (button) => askFirst(button, targetKey(item)) ?? later({ key: targetKey(item),
    card: button.closest('.mod-card'), path: `/api/mod/reports/${item.firstReportId}/resolve`, label,
    // The hide's reason is what the reporters said it was: the author is told it and the log shows it.
    body: action === 'hide' ? { action, note: hideNote(item.reasons), upTo } : { action, upTo } });
  return h('div', { class: 'row actions' },
    status === 'open' && !c.hidden ? actionButton('Hide', resolve('hide', `Hiding ${what}.`), 'danger', 'hide') : null,
    status === 'open'
      ? actionButton('Dismiss', resolve('dismiss', `Dismissing the reports on ${what}.`), null, 'dismiss') : null,
    c.hidden && !c.deleted
      ? actionButton('Restore', () => post(`/api/mod/${item.targetType}s/${c.id}/restore`, {}), null, 'restore') : null,
    c.deleted ? null : c.locked
      ? actionButton('Unlock thread', () => post(`/api/mod/posts/${c.postId}/unlock`, {}), null, 'lock')
      // The whole thread, beside Dismiss, in one click and with its author told: asked first (a moderator's probe).
      : actionButton('Lock thread…', async () => {
        if (!window.confirm(`Lock the whole thread${c.postTitle ? ` \u201c${c.postTitle}\u201d` : ''} to new comments? `
          + 'Its author is told.')) return;
        await post(`/api/mod/posts/${c.postId}/lock`, {});
      }, null, 'lock'),
    banToggle);
}

/**
 * A card whose reports or content changed (a new report, hidden, locked) is renewed in place: what it shows and
 * its buttons; the ban form and anything typed in it stay, and focus stays on the same kind of button.
 */
function updateReportCard(li, item) {
  const signature = reportSignature(item);
  if (li.dataset.signature === signature) return;
  // The author renamed: the ban form, open or not, keeps what the moderator typed and bans the new name.
  if ((li.dataset.author ?? '') !== (item.author?.username ?? '')) {
    li.dataset.author = item.author?.username ?? '';
    if (item.author?.username) li.banControls?.rename(item.author.username);
  }
  li.dataset.signature = signature;
  const main = li.querySelector('.card-main');
  if (main) main.replaceWith(reportMain(item));
  const actions = li.querySelector('.actions');
  if (!actions) return;
  const focused = actions.contains(document.activeElement) ? document.activeElement : null;
  const banToggle = actions.querySelector('.ban-toggle');
  const fresh = reportActions(item, $('view-status').value, item.authorBanned ? null : banToggle);
  actions.replaceWith(fresh);
  if (focused === banToggle) banToggle?.focus();
  else if (focused) {
    (fresh.querySelector(`[data-action="${focused.dataset.action}"]`) ?? fresh.querySelector('button'))?.focus();
  }
}

async function loadQueue() {
  const { status, reason } = view();
  const query = new URLSearchParams({ status, limit: '100' });
  if (reason) query.set('reason', reason);
  const shown = await get(`/api/mod/queue?${query}`);
  const open = status === 'open' && !reason ? shown : await get('/api/mod/queue?status=open&limit=100');
  openItems = open.items;
  openTotal = open.total ?? open.items.length;
  shownTotal = shown.total ?? shown.items.length;
  shownRead = shown.items.length;
  for (const { content } of shown.items) {
    if (content?.postTitle) titles.set(content.postId, Promise.resolve(content.postTitle));
  }
  const items = shown.items.filter((item) => !waiting.has(targetKey(item)));
  reconcile($('queue'), items, (item) => `${status}:${targetKey(item)}`, (item) => reportCard(item, status),
    updateReportCard);
  $('queue-name').textContent = QUEUE_NAMES[status];
  $('queue-empty').textContent = status === 'open' ? 'Nothing to review.' : 'None.';
  showQueueSize();
  updateCounts();
}

/**
 * The queue's count and its empty line as its cards stand now: a card taken away for its undo window, or saying who
 * handled it, is not counted.
 */
function showQueueSize() {
  const cards = [...$('queue').children].filter((el) => !el.dataset.leaving).length;
  // The cards are the oldest 100: those behind them count too, and a line says they are there.
  const behind = Math.max(0, shownTotal - shownRead);
  $('queue-count').textContent = String(cards + behind);
  $('queue-empty').hidden = cards + behind > 0;
  $('queue-more').hidden = behind === 0;
  $('queue-more').textContent = behind
    ? `${behind} more behind these, oldest first: each one settled brings the next.` : '';
}

const refreshQueue = coalesced(loadQueue);

/** Someone else settled a card: say who, then let it go. An action of ours waiting on it is cancelled. */
function handledElsewhere(d) {
  const key = `${d.targetType}-${d.targetId}`;
  const by = d.resolvedBy?.username;
  // A dismissal of the reports its moderator was shown, with one filed since still open: the card stays in the
  // queue, read again (with what is still open), and a decision of ours waiting on it goes on.
  if ((by && by === me()) || d.stillOpen) {
    refreshQueue();
    return;
  }
  const entry = waiting.get(key);
  if (entry && !entry.sent) {
    closeWindow(entry);
    waiting.delete(key);
    toast(by || !d.note ? `${by ?? 'Another moderator'} had already handled that.` : `Closed: ${d.note}`);
  }
  const card = $(`target-${key}`);
  if (card && $('view-status').value === 'open') {
    const hadFocus = card.contains(document.activeElement);
    const next = focusAfter(card, $('queue-title'));
    card.dataset.leaving = 'true';
    showQueueSize();
    // The tab's count too, at once rather than after the card has gone (a page probe: 3 s behind).
    openTotal = Math.max(0, openTotal - 1);
    updateCounts();
    card.replaceChildren(h('p', { class: 'muted', tabindex: '-1' }, by || !d.note
      ? `Handled by ${by ?? 'another moderator'}: ${d.action === 'hide' ? 'hidden' : 'dismissed'}.`
      : `Closed: ${d.note}`));
    if (hadFocus) card.firstElementChild.focus();
    setTimeout(() => {
      const focusMoves = card.contains(document.activeElement);
      card.remove();
      if (focusMoves) next();
      refreshQueue();
    }, 3000);
  } else {
    refreshQueue();
  }
}

// ---------- pending ----------

function pendingSignature(item) {
  return JSON.stringify([item.body, item.editedAt, item.postTitle, item.author?.username]);
}

function pendingMeta(item) {
  const kind = item.targetType === 'post' ? 'Post' : 'Comment';
  return h('p', { class: 'meta' }, `${kind} by `, person(item.author?.username),
    item.author?.createdAt ? [' (joined ', time(item.author.createdAt), ')'] : '',
    item.targetType === 'comment' ? [' on ', titleLink(item.postId, item.postTitle)] : '', ' · ', time(item.createdAt),
    item.editedAt ? [' · edited ', time(item.editedAt)] : '');
}

/** A pending item its author edited while its card was open: the card shows what approving would now publish. */
function updatePendingCard(li, item) {
  const signature = pendingSignature(item);
  if (li.dataset.signature === signature) return;
  li.dataset.signature = signature;
  li.dataset.editedAt = item.editedAt ?? '';
  li.querySelector('.meta').replaceWith(pendingMeta(item));
  li.querySelector('.post-line')?.replaceWith(postLine(item.postId, item.postTitle));
  setBodyHtml(li.querySelector('.body'), item.bodyHtml ?? '');
}

function pendingCard(item) {
  const author = item.author?.username;
  const what = `${author ? `${author}'s` : 'the'} ${item.targetType}`;
  const body = h('div', { class: 'body quoted' });
  if (item.bodyHtml) setBodyHtml(body, item.bodyHtml);
  const path = `/api/mod/${item.targetType}s/${item.id}`;
  const reasonId = uniqueId('reject-reason');
  const formId = uniqueId('reject-form');
  const rejectToggle = h('button', { type: 'button', class: 'danger', 'data-action': 'reject',
    'aria-keyshortcuts': keyFor('reject'), 'aria-expanded': 'false', 'aria-controls': formId }, 'Reject…');
  const reason = h('input', { id: reasonId, name: 'reason', maxlength: 1000, autocomplete: 'off' });
  const form = h('form', { id: formId, class: 'reject-form', hidden: true, novalidate: true, 'aria-label': `Reject ${what}` },
    h('label', { for: reasonId, 'data-label': 'Reason' }, 'Reason the author is told'), reason,
    h('p', { class: 'form-error', role: 'alert' }),
    h('div', { class: 'row' }, h('button', { type: 'submit', class: 'danger' }, `Reject ${item.targetType} for good`),
      h('button', { type: 'button', onclick: () => closeReject() }, 'Cancel')));
  const li = h('li', { class: 'card mod-card pending-card', id: `pending-${item.targetType}-${item.id}`,
    'data-signature': pendingSignature(item), 'data-edited-at': item.editedAt ?? '' },
    pendingMeta(item),
    item.targetType === 'post' ? postLine(item.postId, item.postTitle) : null,
    item.reason ? h('p', { class: 'held' }, h('strong', {}, 'Held: '), item.reason) : null,
    body,
    h('p', { class: 'permalink-line' }, h('a', { class: 'permalink', href: permalink(item.targetType, item.id, item.postId) },
      item.targetType === 'post' ? 'Open the post' : 'Open the comment in its thread')),
    claimLine(`${item.targetType}-${item.id}`),
    h('p', { class: 'card-error form-error', role: 'alert' }),
    h('div', { class: 'row actions' }, actionButton('Approve', async (button) => {
      askFirst(button, `${item.targetType}-${item.id}`);
      // What the moderator read: an edit made since refuses the approval (409) and the card shows the new text.
      const card = button.closest('.mod-card');
      try {
        await post(`${path}/approve`, { editedAt: card.dataset.editedAt || null });
      } catch (error) {
        if (error.fieldErrors?.().editedAt) refreshPending();
        throw error;
      }
      leave(card, `Approved ${what}.`);
    }, 'primary', 'approve'), rejectToggle),
    form);
  const closeReject = () => {
    form.hidden = true;
    rejectToggle.setAttribute('aria-expanded', 'false');
    rejectToggle.focus();
  };
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    event.preventDefault();
    closeReject();
  });
  rejectToggle.addEventListener('click', () => {
    if (!form.hidden) return closeReject();
    form.hidden = false;
    rejectToggle.setAttribute('aria-expanded', 'true');
    return reason.focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    if (!reasonGiven(form, 'the author')) return;
    const submit = form.querySelector('button[type=submit]');
    try {
      askFirst(submit, `${item.targetType}-${item.id}`, 'Reject');
    } catch (error) {
      form.querySelector('.form-error').textContent = error.message;
      form.querySelector('.form-error').dataset.ask = 'true';
      return;
    }
    submit.disabled = true;
    try {
      await post(`${path}/reject`, { reason: reason.value.trim() });
      leave(li, `Rejected ${what}: ${reason.value.trim()}`);
    } catch (error) {
      showProblem(form, error);
    } finally {
      submit.disabled = false;
    }
  });
  return li;
}

/**
 * Another moderator decided an item waiting here: its card says who and what for a moment, then goes (as a report
 * card does), rather than vanishing with whatever this moderator was typing into it (a page probe).
 */
function pendingHandledElsewhere(kind, d, verb) {
  const by = d.actor?.username;
  const card = $(`pending-${kind}-${d.targetId}`);
  if (!card || (by && by === me()) || card.dataset.leaving) return;
  const hadFocus = card.contains(document.activeElement);
  const next = focusAfter(card, $('pending-title'));
  card.dataset.leaving = 'true';
  // What was handled stays named (who wrote it, and the post's title): "Handled by kim_mod" alone left the moderator
  // to guess which card had gone (a page review).
  const named = [...card.children].filter((el) => el.matches('.meta, .post-line'));
  const line = h('p', { class: 'handled', tabindex: '-1' },
    `Handled by ${by ?? 'another moderator'}: ${verb === 'approved' ? 'published' : 'rejected'}.`);
  card.replaceChildren(...named, line);
  if (hadFocus) line.focus();
  pendingTotal = Math.max(0, pendingTotal - 1);
  updatePendingCount();
  setTimeout(() => {
    const focusMoves = card.contains(document.activeElement);
    card.remove();
    if (focusMoves) next();
    refreshPending();
  }, 3000);
}

/** A pending card that was decided: it goes, focus moves on, and a toast says what was done. */
function leave(card, text) {
  // Only if focus was on it: a moderator already in another card's reject form kept typing into the card focus was
  // pulled to, and a letter of the reason decided it (a keyboard probe).
  const moveOn = card.contains(document.activeElement) || document.activeElement === document.body
    ? focusAfter(card, $('pending-title')) : null;
  card.remove();
  moveOn?.();
  pendingTotal = Math.max(0, pendingTotal - 1);
  updatePendingCount();
  toast(text);
  refreshPending();
}

async function loadPending() {
  const page = await get('/api/mod/pending?limit=100');
  pendingTotal = page.total;
  for (const item of page.items) titles.set(item.postId, Promise.resolve(item.postTitle));
  reconcile($('pending'), page.items, (item) => `${item.targetType}-${item.id}`, pendingCard, updatePendingCard);
  updatePendingCount();
}

function updatePendingCount() {
  $('pending-count').textContent = String(pendingTotal);
  $('pending-empty').hidden = $('pending').children.length > 0;
  // The oldest 100 are shown, as in the report queue: those behind them are said to be there.
  const behind = Math.max(0, pendingTotal - [...$('pending').children].filter((el) => !el.dataset.leaving).length);
  $('pending-more').hidden = behind === 0;
  $('pending-more').textContent = behind
    ? `${behind} more behind these, oldest first: each one decided brings the next.` : '';
  updateCounts();
}

const refreshPending = coalesced(loadPending);

// ---------- counts and the view ----------

function updateCounts() {
  const open = Math.max(0, openTotal - openItems.filter((item) => waiting.has(targetKey(item))).length);
  const total = open + pendingTotal;
  const title = total ? `(${total}) Parley moderation` : 'Parley moderation';
  if (document.title !== title) document.title = title;
}

function applyView() {
  const { show } = view();
  $('pending-section').hidden = show === 'reports';
  $('queue-section').hidden = show === 'pending';
  $('view-status').disabled = show === 'pending';
  $('view-reason').disabled = show === 'pending';
}

// ---------- the new-content stream ----------

/**
 * A live item's words as the history's excerpts give them: the text of its rendered body, not its Markdown (a
 * moderator reads "bold", not "**bold**"). The server's HTML is parsed inert (DOMParser runs nothing) and only its
 * text is kept.
 */
function prose(d) {
  if (d.bodyHtml == null) return d.body ?? null;
  const text = new DOMParser().parseFromString(d.bodyHtml, 'text/html').body.textContent;
  return text.replace(/\s+/g, ' ').trim();
}

function streamItem(i) {
  const isPost = i.targetType === 'post';
  const li = h('li', { class: 'card stream-item', id: `stream-${i.targetType}-${i.id}` },
    h('p', { class: 'meta' }, h('a', { href: permalink(i.targetType, i.id, i.postId) }, isPost ? 'Post' : 'Comment'),
      ' by ', person(i.author?.username), isPost ? '' : [' on ', titleLink(i.postId, i.postTitle)],
      ' · ', time(i.createdAt), i.editedAt ? [' · ', h('span', { class: 'edited' }, 'edited ', time(i.editedAt))] : '',
      ...badges(i)),
    isPost ? postLine(i.postId, i.postTitle) : null,
    i.excerpt ? h('p', { class: 'excerpt' }, i.excerpt) : null);
  li.item = i;
  return li;
}

async function loadStream() {
  const page = await get(`/api/mod/recent?limit=${STREAM_SIZE}`);
  for (const item of page.items) titles.set(item.postId, Promise.resolve(item.postTitle));
  $('stream').replaceChildren(...page.items.map(streamItem));
  $('stream-empty').hidden = page.items.length > 0;
}

/** A live post or comment: new ones go on top; one already listed (approved after pending) is renewed in place. */
function addToStream(e) {
  const d = e.data;
  const targetType = e.type.startsWith('post.') ? 'post' : 'comment';
  if (targetType === 'post' && d.title) titles.set(d.id, Promise.resolve(d.title));
  const item = { targetType, id: d.id, postId: targetType === 'post' ? d.id : d.postId,
    // The history's excerpts are short; a live item's whole body is clamped to a few lines by the stylesheet.
    postTitle: targetType === 'post' ? d.title : null, excerpt: d.excerpt ?? prose(d), author: d.author,
    createdAt: d.createdAt, editedAt: d.editedAt,
    hidden: !!d.hidden, pending: e.type.endsWith('.pending') };
  const el = streamItem(item);
  const old = $(el.id);
  if (old) old.replaceWith(el);
  else $('stream').prepend(el);
  while ($('stream').children.length > STREAM_SIZE) $('stream').lastElementChild.remove();
  $('stream-empty').hidden = true;
}

/**
 * An edit renews a listed item in place with the text as it is now and says when it was edited: what a moderator
 * read here must not be the harmless first version of something edited since (spam is often edited in later).
 */
function renewInStream(targetType, d) {
  const old = $(`stream-${targetType}-${d.id}`);
  if (!old?.item) return;
  if (targetType === 'post' && d.title) titles.set(d.id, Promise.resolve(d.title));
  old.replaceWith(streamItem({ ...old.item, excerpt: d.excerpt ?? prose(d), editedAt: d.editedAt,
    postTitle: targetType === 'post' ? d.title : old.item.postTitle }));
}

function markStream(targetType, id, flag, on) {
  const item = $(`stream-${targetType}-${id}`);
  const meta = item?.querySelector('.meta');
  if (!meta) return;
  if (item.item) item.item[flag] = on;
  const badge = meta.querySelector(`.badge-${flag}`);
  if (on && !badge) meta.append(' ', h('span', { class: `badge badge-${flag}` }, flag));
  if (!on && badge) badge.remove();
}

// ---------- filters ----------

function filterItem(f) {
  const what = f.kind === 'pattern' ? 'pattern' : 'word';
  return h('li', { class: 'card filter-item', id: `filter-${f.id}` },
    h('p', {}, h('span', { class: 'badge' }, what), ' ', h('code', {}, f.pattern), ' → ',
      f.action === 'refuse' ? 'refused' : 'held for approval'),
    h('p', { class: 'meta' }, 'Added by ', userLink(f.createdBy?.username), ' · ', time(f.createdAt)),
    h('button', { type: 'button', class: 'danger remove-filter', 'aria-label': `Remove the ${what} ${f.pattern}`,
      onclick: async (event) => {
        const button = event.currentTarget;
        const li = button.closest('li');
        button.disabled = true;
        try {
          await del(`/api/mod/filters/${f.id}`);
          const next = li.nextElementSibling ?? li.previousElementSibling;
          li.remove();
          $('filters-empty').hidden = $('filters').children.length > 0;
          (next?.querySelector('button') ?? $('filter-pattern')).focus();
          announce(`Removed the ${what} ${f.pattern}.`);
        } catch (error) {
          button.disabled = false;
          toast(error.status === 404 ? 'That filter was already removed.' : error.message);
          refreshFilters();
        }
      } }, 'Remove'));
}

async function loadFilters() {
  const page = await get('/api/mod/filters');
  reconcile($('filters'), page.items, (f) => `filter-${f.id}`, filterItem);
  $('filters-empty').hidden = page.items.length > 0;
}

const refreshFilters = coalesced(loadFilters);

async function addFilter(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const submit = form.querySelector('button[type=submit]');
  resetForm(form);
  submit.disabled = true;
  try {
    const f = await post('/api/mod/filters', { kind: form.elements.kind.value, pattern: form.elements.pattern.value,
      action: form.elements.action.value });
    form.elements.pattern.value = '';
    await loadFilters();
    announce(`Added the ${f.kind} ${f.pattern}.`);
  } catch (error) {
    // A duplicate (409) names the field, but its message is a sentence of its own, not one to put after a label.
    const message = error.message.charAt(0).toUpperCase() + error.message.slice(1);
    showProblem(form, error.status === 409 ? { message, fieldErrors: () => ({}) } : error);
    (form.querySelector('[aria-invalid]') ?? form.elements.pattern).focus();
  } finally {
    submit.disabled = false;
  }
}

// ---------- live ----------

/**
 * What arrives live is said once a second at most: each report and each held post or comment was announced as it
 * came, so a burst of 600 reports was 600 polite announcements, read out one after another (a review). One alone is
 * named, as before ("New report: Spam."); more are counted ("12 new reports."). Nothing is dropped from the count.
 */
const ARRIVALS_MS = 1000;
const arrivals = { reports: [], pending: [], timer: null };

function arrived(kind, words) {
  arrivals[kind].push(words);
  arrivals.timer ??= setTimeout(() => {
    const { reports, pending } = arrivals;
    arrivals.reports = [];
    arrivals.pending = [];
    arrivals.timer = null;
    const said = [];
    if (reports.length) said.push(reports.length === 1 ? reports[0] : `${reports.length} new reports.`);
    if (pending.length === 1) said.push(pending[0]);
    else if (pending.length) said.push(`${pending.length} new posts or comments are waiting for approval.`);
    announce(said.join(' '));
  }, ARRIVALS_MS);
}

function onEvent(e) {
  const d = e.data ?? {};
  switch (e.type) {
    case 'report.created':
      arrived('reports', `New report: ${reasonLabel(d.reason)}.`);
      refreshQueue();
      break;
    case 'claim.taken': {
      const key = `${d.targetType}-${d.targetId}`;
      if (d.from?.username === me() && d.moderator?.username !== me()) {
        announce(`${d.moderator?.username} took over ${itemWords(key)}, which you were on.`);
      }
      touched.set(key, ++claimEvents);
      setClaim(d);
      break;
    }
    case 'claim.released': {
      const key = `${d.targetType}-${d.targetId}`;
      // Only the claim that ended: a newer one (taken over meanwhile) stays.
      touched.set(key, ++claimEvents);
      if (claims.get(key)?.moderator?.username === d.moderator?.username) dropClaim(key);
      break;
    }
    case 'report.resolved':
      handledElsewhere(d);
      loadLog().catch(loadFailed);
      break;
    case 'post.pending':
    case 'comment.pending':
      arrived('pending', `A new ${e.type === 'post.pending' ? 'post' : 'comment'} by ${d.author?.username ?? 'someone'} `
        + 'is waiting for approval.');
      refreshPending();
      addToStream(e);
      break;
    case 'post.created':
    case 'comment.created':
      addToStream(e);
      break;
    case 'post.edited':
    case 'comment.edited':
      // A reported item edited while its card is open: the card shows the new text and what was reported.
      if ($(`target-${e.type.split('.')[0]}-${d.id}`)) refreshQueue();
      renewInStream(e.type.split('.')[0], d);
      break;
    case 'post.pending_deleted':
    case 'comment.pending_deleted': {
      // Its author (or a moderator) deleted it while it waited: its card goes, where it stayed until a reload.
      const kind = e.type.split('.')[0];
      if (d.entry) addLogEntry(d.entry);
      markStream(kind, d.id, 'deleted', true);
      refreshPending();
      break;
    }
    case 'post.pending_edited':
    case 'comment.pending_edited':
      // A held item edited while its card is open: the card shows what approving would now publish.
      if ($(`pending-${e.type.split('.')[0]}-${d.id}`)) refreshPending();
      renewInStream(e.type.split('.')[0], d);
      break;
    default: {
      // Every other event on this topic is a moderator action, and its data is the audit entry.
      // A deleted account's entry has no actor (the account names no one now): its sentence names it by details.from.
      if (d.action && (d.actor || e.type === 'user.deleted')) addLogEntry(d);
      const [kind, verb] = e.type.split('.');
      if (verb === 'hidden' || verb === 'restored') markStream(kind, d.targetId, 'hidden', verb === 'hidden');
      if (verb === 'deleted') markStream(kind, d.id, 'deleted', true);
      // A moderator's deletion of someone else's content carries its audit entry.
      if (verb === 'deleted' && d.entry) addLogEntry(d.entry);
      if (verb === 'approved' || verb === 'rejected') {
        // Decided: no longer "pending" in the stream (a rejected item's stays rejected: marked so).
        markStream(kind, d.targetId, 'pending', false);
        if (verb === 'rejected') markStream(kind, d.targetId, 'rejected', true);
        pendingHandledElsewhere(kind, d, verb);
        refreshPending();
      }
      if (kind === 'filter') refreshFilters();
      // Whose claims are whose: a ban or demotion ends a moderator's (said too, claim by claim), a rename renames them.
      if (kind === 'user' && ['banned', 'role_changed', 'renamed', 'deleted'].includes(verb)) loadClaims().catch(loadFailed);
      // A ban or its lifting changes every card of that author (whether to offer Ban).
      if (kind === 'post' || kind === 'comment' || kind === 'report' || verb === 'banned' || verb === 'unbanned') {
        refreshQueue();
      }
      // A member's new name: everyone named on the page (stream, log, cards) is renamed where they stand, and the
      // cards read again for what names them otherwise (the ban form's labels).
      // This moderator renamed elsewhere: the page's session says the new name, so their own claims stay theirs.
      if (verb === 'renamed' && d.details?.from && d.details.from === me()) {
        const now = session.current();
        if (now?.user) session.save({ ...now, user: { ...now.user, username: d.details.to } });
      }
      if (verb === 'renamed') {
        renamePeople(d.details?.from, d.details?.to);
        refreshQueue();
        refreshPending();
      }
    }
  }
}

function refreshAll() {
  return Promise.all([refreshQueue(), refreshPending(), loadStream(), loadLog(), refreshFilters(), loadClaims()]);
}

/**
 * A thread's "review in the queue" links to its card (#target-comment-42): brought into view, marked and focused
 * once the queue is drawn; the queue itself if the card is not in it (settled since, or outside the chosen view).
 */
function revealTarget() {
  if (!/^#target-(post|comment)-\d+$/.test(location.hash)) return;
  const card = document.getElementById(location.hash.slice(1));
  if (!card) {
    $('queue-section').scrollIntoView();
    return;
  }
  card.classList.add('target');
  card.setAttribute('tabindex', '-1');
  card.scrollIntoView({ block: 'center' });
  card.focus({ preventScroll: true });
}

async function start() {
  renderHeader();
  refreshTimes();
  if (!session.isModerator()) {
    $('mod-denied').hidden = false;
    $('live-status').hidden = true;
    return;
  }
  try {
    await Promise.all([loadQueue(), loadPending(), loadStream(), loadLog(), loadFilters()]);
    await loadClaims();
  } catch {
    $('mod-denied').hidden = false;
    $('live-status').hidden = true;
    return;
  }
  $('mod-panels').hidden = false;
  $('view').addEventListener('change', () => {
    applyView();
    refreshQueue();
  });
  $('view').addEventListener('submit', (event) => event.preventDefault());
  applyView();
  setUpKeys();
  revealTarget();
  $('filter-form').addEventListener('submit', addFilter);
  setUpUserCard();
  onStatus(liveStatus($('live-status')));
  followModeration(0);
  // Signed in again (in another tab, from the line the ended session put at the top): live again, from a fresh read.
  document.addEventListener('parley:session', (event) => {
    if (event.detail === 'started' && session.isModerator() && $('live-status').dataset.stopped) followModeration(1);
  });
}

/**
 * Follows parley.mod. The server ends it when the moderator's session ends or their role goes (the header's line
 * says which): the status then says so rather than "Live" over a dashboard that hears nothing. Given a since, the
 * topic answers with a resync, which reads the dashboard afresh.
 */
function followModeration(since) {
  connection().subscribe('parley.mod', { since, onEvent,
    onResync: () => refreshAll().catch(loadFailed),
    onError: () => notLive($('live-status')) });
  liveAgain($('live-status'));
}

start();
