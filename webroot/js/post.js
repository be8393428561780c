/**
 * The post page: the post, its threaded comments, and everything a reader can do with them, live. Arriving
 * comments never re-render what is on the page (a half-written reply or edit is never touched), and while the
 * reader is typing or has scrolled away from the end they wait behind an "N new comments" button. Votes and scores
 * change in place; the thread's order (best, new, old) is the reader's, remembered in this browser.
 */
import { get, post, patch, put, del, newKey } from './api.js';
import * as session from './session.js';
import { connection, onStatus } from './connection.js';
import { suggestMentions } from './mentions.js';
import { markdownBox } from './writing.js';
import { h, time, exact, userLink, authorBadges, setBodyHtml, renderHeader, showProblem, clearProblem, refreshTimes, announce, liveStatus, signInHref, asciiUrl, parseTags, listProblems, badgeMark, retrying, notLive, liveAgain, noticeOnNextPage, shortened } from './ui.js';
import { moderateMenu, moderationLine, reviewButtons } from './modtools.js';
import { setUpUserCard } from './usercard.js';

const postId = Number(location.pathname.split('/')[2]);
const me = session.current()?.user ?? null;
const isMod = session.isModerator();
const $ = (id) => document.getElementById(id);

/** id -> the comment's latest JSON, and its <li>. */
const comments = new Map();
const waiting = [];
let current = null;
/** Replies deeper than this wait behind "Continue this thread", so a long chain keeps a readable column. */
const MAX_DEPTH = 6;
/** The newest comment id this browser showed on this thread at the last visit (for "new" markers). */
const SEEN_KEY = `parley.seen.${postId}`;
const lastSeen = Number(localStorage.getItem(SEEN_KEY) || 0);
/** Comments the reader folded (the comment down to its first line, its replies out of sight), kept in this browser. */
const FOLD_KEY = `parley.folded.${postId}`;
/** At most this many folded comments are remembered per thread (the newest folds). */
const FOLDS_KEPT = 200;
const folded = new Set(readFolds());
/**
 * The reader's own votes, "post:1" / "comment:5" -> 1, -1 or null. Only REST reads and the reader's own votes set
 * them: live events carry no one's vote (myVote is null there), so they must not clear a pressed control.
 */
const myVotes = new Map();
/** The thread's order, as the reader last chose it on any thread. */
const THREAD_SORT_KEY = 'parley.thread.sort';
const THREAD_SORTS = ['best', 'new', 'old'];
/**
 * For moderators: what the record says of the post and of each hidden or reported comment (who hid it and why, its
 * open reports), from GET /api/mod/posts/{id}/moderation, read again when the thread's moderation or its reports change.
 */
const modFacts = { post: null, comments: new Map() };
/** The thread's people to offer first when someone types an @name: the newest commenters, then the post's author. */
const threadPeople = () => [...comments.values()].map((c) => c.data).filter((d) => d.author?.username)
  .sort((a, b) => b.id - a.id).map((d) => d.author.username).concat(current?.author?.username ?? [])
  .filter((name) => name !== me?.username);
let threadSort = THREAD_SORTS.includes(localStorage.getItem(THREAD_SORT_KEY)) ? localStorage.getItem(THREAD_SORT_KEY) : 'old';

// ---------- the post ----------

function renderPost(p) {
  current = p;
  document.title = `${p.title} · Parley`;
  $('post').hidden = false;
  $('post-title').textContent = p.title;
  $('post-title').classList.remove('tombstone');
  $('post-meta').replaceChildren('by ', userLink(p.author?.username), ...authorBadges(p.author), ' · ', time(p.createdAt), ' ', exact(p.createdAt),
    ...editedMark('post', p), p.hidden ? badgeMark('hidden by a moderator') : '',
    p.pending ? badgeMark('waiting for review', { cls: 'pending' }) : '', p.locked ? badgeMark('locked') : '');
  renderPostFacts();
  const chips = tagList(p.tags);
  $('post-tags').replaceChildren(...(chips ? [chips] : []));
  setBodyHtml($('post-body'), p.bodyHtml);
  const sources = p.sources || [];
  $('post-sources-line').hidden = sources.length === 0;
  $('post-sources').replaceChildren(...sources.map((url) =>
    h('li', {}, h('a', { href: url, rel: 'nofollow ugc noopener', target: '_blank' }, asciiUrl(url)))));
  // Its author reads on the post why a moderator hid it (they were sent it too); moderators read it on their line.
  const hiddenNote = $('post-hidden-note');
  hiddenNote.hidden = !p.hidden || isMod;
  hiddenNote.replaceChildren(...(hiddenNote.hidden ? [] : hiddenWords('post', p.hiddenReason)));
  renderPostActions(p);
  // Hidden or pending content takes no votes (409): its score is nobody's business yet.
  $('post-vote').replaceChildren(...(p.hidden || p.pending ? [] : [voteControl('post', p)]));
  setLocked(p.locked);
  if (p.pending) {
    notice(isMod ? 'This post is waiting for review: approve it to publish it.'
      : 'Your post is waiting for a moderator to review it; only you can see it until then.');
  }
}

/**
 * The record's facts as far as the item's own state (which live events keep current) still agrees: a comment
 * published or restored since the record was read no longer shows why it was held or hidden.
 */
function stillSo(facts, item) {
  if (!facts || !item) return null;
  return { ...facts, hidden: item.hidden ? facts.hidden : null, pending: item.pending ? facts.pending : null,
    locked: item.locked ? facts.locked : null };
}

/** Puts a moderators' line after {@code meta} in place of {@code shown}, unless it says the same (no churn). */
function replaceLine(meta, shown, line) {
  if (shown && line && shown.outerHTML === line.outerHTML) return;
  shown?.remove();
  if (line) meta.after(line);
}

function renderPostFacts() {
  const line = isMod ? moderationLine(stillSo(modFacts.post, current), 'post', factsActions) : null;
  if (line) line.id = 'post-mod-facts';
  replaceLine($('post-meta'), $('post-mod-facts'), line);
}

/** What the moderators' lines do: say what was done, and read the thread's moderation again. */
const factsActions = { notice: (text) => flash(text), changed: () => loadModeration() };

/** Reads the thread's moderation again and shows it where it changed; the thread works without it. */
let moderationReads = 0;
async function loadModeration() {
  if (!isMod) return;
  const read = ++moderationReads;
  let answer;
  try {
    answer = await get(`/api/mod/posts/${postId}/moderation`);
  } catch {
    return;
  }
  // Reads may overlap (a page load, a resync, the events): only the last one asked for is shown.
  if (read !== moderationReads) return;
  const before = [...modFacts.comments.keys()];
  modFacts.post = answer.post;
  modFacts.comments = new Map(answer.comments.map((c) => [c.id, c]));
  renderPostFacts();
  new Set([...before, ...modFacts.comments.keys()]).forEach(showCommentFacts);
  claimsRunOut();
}

let claimTimer;
/**
 * A claim ends at its until without an event: the lines are drawn again then (moderationLine leaves out a claim
 * past its until), so the thread stops saying someone is on an item nobody is on (a page probe).
 */
function claimsRunOut() {
  clearTimeout(claimTimer);
  const ends = [modFacts.post, ...modFacts.comments.values()].map((f) => Date.parse(f?.claim?.until ?? ''))
    .filter((t) => t > Date.now());
  if (!ends.length) return;
  claimTimer = setTimeout(() => {
    renderPostFacts();
    modFacts.comments.forEach((_, id) => showCommentFacts(id));
    claimsRunOut();
  }, Math.min(...ends) - Date.now() + 500);
}

/** Only the line changes: a moderator's open menu or a half-written reply under the comment stays as it is. */
function showCommentFacts(id) {
  const meta = comments.get(id)?.el.querySelector(':scope > .content > .meta');
  if (!meta) return;
  replaceLine(meta, meta.parentElement.querySelector(':scope > .mod-facts'),
    moderationLine(stillSo(modFacts.comments.get(id), comments.get(id).data), 'comment', factsActions));
}

let moderationTimer;
/** Several changes in a moment (a hide settles its reports too) read the moderation once. */
function moderationChanged() {
  if (!isMod) return;
  clearTimeout(moderationTimer);
  moderationTimer = setTimeout(loadModeration, 200);
}

/**
 * A post waiting for review was published or declined elsewhere (another moderator, the dashboard): the page follows,
 * for its author (their own topic) and the moderators (parley.mod). The thread's own topic says nothing of it. Before,
 * both went on saying "waiting for review", and the author could not comment on their published post until a
 * reload (a page probe).
 */
function reviewed(approved) {
  if (!current?.pending) return;
  if (!approved) {
    postGone('A moderator declined to publish this post.', '[not published]');
    return;
  }
  notice('');
  reload().then(() => flash('A moderator published this post.')).catch(() => {});
}

document.addEventListener('parley:own', (event) => {
  const e = event.detail;
  if ((e.type === 'post.approved' || e.type === 'post.rejected') && e.data?.id === postId) {
    reviewed(e.type === 'post.approved');
  }
  // Their own held comment declined (with why) or deleted in another tab: it leaves this page too, where it went on
  // saying "waiting for review" with Edit and Delete (a page review).
  if (e.type === 'comment.rejected' && e.data?.postId === postId && comments.get(e.data.id)?.data.pending) {
    unpublished(e.data.id);
    flash(`A moderator declined to publish your comment${e.data.reason ? `: ${e.data.reason}` : '.'}`);
  }
  if (e.type === 'comment.pending_deleted' && e.data?.postId === postId) unpublished(e.data.id);
  if (e.type === 'post.pending_deleted' && e.data?.id === postId && current?.pending) {
    postGone('This post was deleted while it waited for review.', '[deleted]');
  }
  // Their own comment held for review, written in another tab: here too, as their published ones are.
  if (e.type === 'comment.pending' && e.data?.postId === postId && !comments.has(e.data.id)) arrived(e.data);
});

/** A report filed or settled, or an item taken or let go, anywhere: read the moderation again if it is about this thread. */
function onModEvent(e) {
  const d = e.data ?? {};
  if ((e.type === 'post.approved' || e.type === 'post.rejected') && d.targetType === 'post' && d.targetId === postId) {
    reviewed(e.type === 'post.approved');
    return;
  }
  // A comment held for review on this thread: shown to the moderators on it as it arrives, as it is on the dashboard,
  // with its moderators' line (why it was held, I'm on it), which it lacked until a reload.
  if (e.type === 'comment.pending' && d.postId === postId && !comments.has(d.id)) {
    arrived(d);
    moderationChanged();
    return;
  }
  // Its author edited it: the words a moderator approves are the words on the page (a page review: the page kept the
  // old text, and its Approve published the new one unread; the approval now names the text read, too).
  if (e.type === 'comment.pending_edited' && comments.get(d.id)?.data.pending) {
    update(d);
    return;
  }
  if (e.type === 'comment.pending_edited') {
    waiting.forEach((w, i) => { if (w.id === d.id) waiting[i] = d; });
    return;
  }
  if (e.type === 'post.pending_edited' && d.id === postId && current?.pending) {
    reload().catch(() => {});
    return;
  }
  if (e.type === 'post.pending_deleted' && d.id === postId && current?.pending) {
    postGone('This post was deleted while it waited for review.', '[deleted]');
    return;
  }
  // Declined by another moderator, or deleted by its author: gone from the thread for moderators too.
  if (e.type === 'comment.rejected' && d.targetType === 'comment' && comments.has(d.targetId)) {
    unpublished(d.targetId);
    return;
  }
  if (e.type === 'comment.pending_deleted' && d.postId === postId) {
    unpublished(d.id);
    return;
  }
  if (e.type !== 'report.created' && e.type !== 'report.resolved' && e.type !== 'claim.taken'
      && e.type !== 'claim.released') return;
  if ((d.targetType === 'post' && d.targetId === postId) || (d.targetType === 'comment' && comments.has(d.targetId))) {
    moderationChanged();
  }
}

function renderPostActions(p) {
  const actions = $('post-actions');
  // Drawn again when another moderator acts (a lock): a menu open under this one stays open, focus where it was.
  const open = actions.querySelector('details.menu[open]');
  const openClass = open ? (open.classList.contains('mod-menu') ? 'mod-menu' : 'menu') : null;
  const focused = open?.contains(document.activeElement);
  actions.replaceChildren();
  if (openClass) queueMicrotask(() => reopen(actions, openClass, focused));
  $('signed-out-manage').hidden = !!me;
  if (!me) return;
  if (me.username === p.author?.username) {
    // A post a moderator hid is its author's to delete, not to change (the server refuses the edit).
    if (!p.hidden) actions.append(h('button', { type: 'button', id: 'edit-post', onclick: () => editPost(p) }, 'Edit post'));
    actions.append(h('button', { type: 'button', class: 'danger', id: 'delete-post', onclick: async () => {
      if (!confirm('Delete this post? Its comments go with it.')) return;
      try {
        await del(`/api/posts/${postId}`);
        // The feed says what happened, focused, where it used to open as if nothing had.
        noticeOnNextPage('Your post was deleted.');
        location.assign('/');
      } catch (error) {
        // Refused (the session ended, the server away): said, where it used to do nothing at all.
        flash(error.message);
      }
    } }, 'Delete post'));
  }
  // Not on a post waiting for review: nobody can comment on it yet (its author was offered "Mute thread" there).
  if (!p.pending && (me.username === p.author?.username || !p.hidden)) actions.append(followThreadButton(p));
  if (me.username !== p.author?.username) {
    // Report and block in "⋯", as on every comment: there when needed, not as loud as the post (a page review).
    // Only its author and the moderators see a held post: nothing to report to them, and no comments to follow.
    const reportPost = p.hidden || p.pending ? null : h('button', { type: 'button', id: 'report-post', class: 'link report',
      onclick: (event) => fromMenu(event, () => report('post', p.id)) }, 'Report post');
    const items = [reportPost, blockButton(p.author?.username, 'link')].filter(Boolean);
    if (items.length) {
      actions.append(h('details', { class: 'menu', id: 'post-menu' },
        h('summary', { 'aria-label': 'More actions for this post' }, '⋯'), h('div', { class: 'menu-items' }, ...items)));
    }
  }
  if (isMod) {
    if (p.pending) {
      actions.append(...reviewButtons({ type: 'post', id: p.id, editedAt: p.editedAt ?? null },
        { notice: flash, after: () => reload() }));
    }
    actions.append(moderateMenu({ type: 'post', id: p.id, author: p.author?.username, authorRole: p.author?.role,
      hidden: p.hidden, pending: p.pending, locked: p.locked, editedAt: p.editedAt ?? null },
      { notice: flash, after: () => reload() }));
  }
}

function reopen(actions, cls, focused) {
  const menu = actions.querySelector(`details.${cls}`);
  if (!menu) return;
  menu.setAttribute('open', '');
  if (focused) menu.querySelector('summary')?.focus();
}

/**
 * Follow or mute the thread for notifications (you follow a thread you wrote in by default): the label says what a
 * press does, and the line beside it what you get now. Shown once the server has said which it is.
 */
function followThreadButton(p) {
  const path = `/api/posts/${p.id}/follow`;
  const state = h('span', { class: 'muted', id: 'follow-thread-state' });
  const button = h('button', { type: 'button', id: 'follow-thread', 'aria-describedby': 'follow-thread-state' });
  const box = h('span', { class: 'follow-thread', hidden: true }, button, ' ', state);
  const show = (following) => {
    button.textContent = following ? 'Mute thread' : 'Follow thread';
    // A locked thread takes no comments for now: "you are notified of new comments" read as a promise (a page review).
    state.textContent = p.locked
      ? (following ? 'It is locked: you are notified of new comments if it reopens.' : 'It is locked: no new comments for now.')
      : (following ? 'You are notified of new comments here.' : 'New comments here do not notify you.');
    box.hidden = false;
  };
  let following = false;
  get(path).then((answer) => show(following = answer.following)).catch(() => box.remove());
  button.addEventListener('click', async () => {
    try {
      const answer = following ? await del(path) : await put(path);
      show(following = answer.following);
      announce(following ? 'Following this thread.' : 'Thread muted.');
    } catch (error) {
      flash(error.message);
    }
  });
  return box;
}

/**
 * What the author of hidden content reads on it: that a moderator removed it, who still sees it, and the reason the
 * moderator gave (a page review: the author had only a small badge, and the reason in a notification).
 */
function hiddenWords(what, reason) {
  return [`A moderator removed this ${what}; only you and the moderators can see it.`,
    ...(reason ? [` Reason: “${reason}”`] : [])];
}

/** A line about the post itself, under it (it is waiting for review, it is gone). */
function notice(text) {
  clearTimeout(flashTimer);
  $('post-notice').classList.remove('flash');
  $('post-notice').textContent = text;
}

let flashTimer;
/**
 * A line about what just happened (a report sent, a moderator's action, a link copied): the same status line, shown
 * at the foot of the window for a few seconds, since the reader may be far down the thread from the post. It covers
 * what is under it, so a click on it or Escape puts it away sooner (a page review: ten seconds over the text).
 */
function flash(text) {
  const line = $('post-notice');
  clearTimeout(flashTimer);
  // A button to put it away, for a touch screen, where no tooltip says that a tap on the line does.
  // (Its × drawn by CSS, so the line's text stays the message alone.)
  line.replaceChildren(text, h('button', { type: 'button', class: 'link dismiss', 'aria-label': 'Dismiss' }));
  line.classList.remove('flash-top');
  line.classList.add('flash');
  line.title = 'Click to dismiss';
  placeFlash();
  flashTimer = setTimeout(unflash, 6000);
}

/**
 * The notice goes to the top of the window while the form the reader is in (focus in it), or the comment focus is
 * on, would be under it at the foot: there it covered the comment box's Comment and Preview, and the first click on
 * them only put it away (a page review), and the "⋯" of the comment focus moved to after a moderator's decision (a
 * later one). Looked at again as focus moves and the page scrolls, while it shows.
 */
function placeFlash() {
  const line = $('post-notice');
  if (!line.classList.contains('flash')) return;
  const focused = document.activeElement;
  // A comment's own words and buttons, not the replies inside its li.
  const form = focused?.closest?.('form') ?? focused?.closest?.('li.comment')?.firstElementChild;
  line.classList.remove('flash-top');
  if (!form) return;
  const toast = line.getBoundingClientRect();
  const area = form.getBoundingClientRect();
  if (area.bottom > toast.top && area.top < toast.bottom) line.classList.add('flash-top');
}

document.addEventListener('focusin', placeFlash);
addEventListener('scroll', placeFlash, { passive: true });

function unflash() {
  const line = $('post-notice');
  if (!line.classList.contains('flash')) return;
  clearTimeout(flashTimer);
  line.classList.remove('flash', 'flash-top');
  line.removeAttribute('title');
  line.textContent = '';
}

$('post-notice').addEventListener('click', unflash);
// Only an Escape nothing else took: one that closes a menu (ui.js) or a dialog leaves the notice be.
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !e.defaultPrevented && !document.querySelector('dialog[open]')) unflash();
});

function editPost(p) {
  const form = h('form', { class: 'card', id: 'edit-post-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert' }),
    h('label', { for: 'edit-title', 'data-label': 'The title' }, 'Title'), h('input', { id: 'edit-title', name: 'title', value: p.title }),
    h('label', { for: 'edit-body', 'data-label': 'The body' }, 'Body (Markdown)'), h('textarea', { id: 'edit-body', name: 'body', rows: 8 }),
    h('label', { for: 'edit-sources', 'data-label': 'Sources' }, 'Sources (one link per line)'),
    h('textarea', { id: 'edit-sources', name: 'sources', rows: 3 }),
    h('label', { for: 'edit-tags' }, 'Tags'),
    h('p', { class: 'hint', id: 'edit-tags-hint' }, 'Up to 5, separated by commas or spaces: letters, digits and hyphens.'),
    h('input', { id: 'edit-tags', name: 'tags', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
      'aria-describedby': 'edit-tags-hint' }),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => closeForm(form, () => $('edit-post')) }, 'Cancel')));
  form.elements.body.value = p.body;
  suggestMentions(form.elements.body, threadPeople);
  markdownBox(form);
  form.elements.sources.value = (p.sources || []).join('\n');
  form.elements.tags.value = (p.tags || []).join(', ');
  keepDraft(form, () => $('edit-post'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const tags = parseTags(form.elements.tags.value);
    const sources = form.elements.sources.value.split('\n').map((s) => s.trim()).filter(Boolean);
    try {
      renderPost({ ...(await patch(`/api/posts/${postId}`, {
        title: form.elements.title.value, body: form.elements.body.value, sources, tags })) });
      form.remove();
      // Back at the post, which says it is saved: focus had fallen to the page's top with the form.
      $('post-title').focus();
      announce('Your post is saved.');
    } catch (error) {
      showProblem(form, listProblems(error, ['tags', tags], ['sources', sources]));
    }
  });
  $('post-footer').after(form);
  form.elements.title.focus();
}

// ---------- tags ----------

/** Tag chips: each leads to the feed of its tag. */
function tagList(tags) {
  if (!tags?.length) return null;
  return h('ul', { class: 'tags', 'aria-label': 'Tags' },
    ...tags.map((t) => h('li', {}, h('a', { class: 'tag', href: `/?tag=${encodeURIComponent(t)}` }, t))));
}

// ---------- votes ----------

const pointsText = (n) => `${n} point${n === 1 || n === -1 ? '' : 's'}`;

/** Keeps the reader's own vote from a REST read (live events carry none). */
function remember(kind, item) {
  if (me && item && 'myVote' in item) myVotes.set(`${kind}:${item.id}`, item.myVote ?? null);
}

/**
 * The score of the post or a comment, and the reader's up vote. Signed out it is a link to sign in; on the reader's
 * own content it is just the score. Found again by data-vote ("comment:5") when a score changes.
 */
function voteControl(kind, item) {
  const key = `${kind}:${item.id}`;
  const arrow = h('span', { class: 'arrow', 'aria-hidden': 'true' }, '▲');
  const points = h('span', { class: 'points' }, String(item.score ?? 0));
  let control;
  if (!me) {
    control = h('a', { class: 'vote sign-in-to-vote', href: signInHref(), title: 'Sign in to vote', 'data-vote': key }, arrow, points);
  } else if (item.author?.username === me.username) {
    control = h('span', { class: 'vote own', title: `The score of your ${kind}`, 'data-vote': key }, arrow, points,
      h('span', { class: 'visually-hidden suffix' }));
  } else {
    control = h('button', { type: 'button', class: 'vote', 'data-vote': key, onclick: () => vote(control, kind, item.id) },
      arrow, points);
  }
  showVote(control, item.score ?? 0, myVotes.get(key) ?? null);
  return control;
}

/** Writes a score and the reader's vote into a control, without replacing it (focus stays where it is). */
function showVote(control, score, myVote) {
  control.querySelector('.points').textContent = String(score);
  if (control.tagName === 'BUTTON') {
    control.setAttribute('aria-pressed', String(myVote === 1));
    control.setAttribute('aria-label', `Upvote, ${pointsText(score)}`);
  } else if (control.tagName === 'A') {
    control.setAttribute('aria-label', `Sign in to vote, ${pointsText(score)}`);
  } else {
    control.querySelector('.suffix').textContent = Math.abs(score) === 1 ? ' point' : ' points';
  }
}

/** A new score for the post or a comment (from a vote's answer or a live event): the data and every control. */
function scoreChanged(kind, id, { score, upvotes, downvotes }) {
  const counts = { score, upvotes, downvotes };
  if (kind === 'post' && current?.id === id) current = { ...current, ...counts };
  if (kind === 'comment') {
    const known = comments.get(id);
    if (known) known.data = { ...known.data, ...counts };
    waiting.forEach((w, i) => { if (w.id === id) waiting[i] = { ...w, ...counts }; });
  }
  const key = `${kind}:${id}`;
  document.querySelectorAll(`[data-vote="${key}"]`).forEach((control) => showVote(control, score, myVotes.get(key) ?? null));
}

/** Up votes, or takes the vote back when it is already pressed; the answer carries the new counts. */
async function vote(control, kind, id) {
  // Banned: the button is not offered (parley.css), and one reached from the keyboard does nothing.
  if (control.dataset.busy || document.body.classList.contains('banned')) return;
  control.dataset.busy = 'true';
  const key = `${kind}:${id}`;
  const path = `/api/${kind}s/${id}/vote`;
  control.parentElement?.querySelector(`.vote-error[data-for="${key}"]`)?.remove();
  try {
    const tally = myVotes.get(key) === 1 ? await del(path) : await put(path, { value: 1 });
    myVotes.set(key, tally.myVote ?? null);
    scoreChanged(kind, id, tally);
    announce(tally.myVote === 1 ? `Upvoted, ${pointsText(tally.score)}.` : `Vote withdrawn, ${pointsText(tally.score)}.`);
  } catch (error) {
    const text = error.status === 401 ? 'Sign in again to vote.' : error.message;
    control.after(h('span', { class: 'vote-error', role: 'alert', 'data-for': key }, text));
  } finally {
    delete control.dataset.busy;
  }
}

/** Whether the signed-in reader may comment here: a thread that is not locked, hidden or waiting for review. */
function takesComments() {
  return !!me && !!current && !gone && !current.locked && !current.hidden && !current.pending;
}

function setLocked(locked) {
  // A hidden post (seen only by its author and moderators) takes no comments, nor does a pending one until a
  // moderator publishes it (its notice says so); the server refuses them with 409.
  const note = $('locked-note');
  note.textContent = locked ? LOCKED
    : current?.hidden ? 'This post is hidden: it takes no new comments.'
      : 'Comments open once a moderator approves this post.';
  note.hidden = !locked && !current?.hidden && !current?.pending;
  $('comment-form').hidden = !takesComments();
  showJump();
  // "Sign in to comment" only where signing in would let one comment.
  $('signed-out-comment').hidden = !!me || !!current?.locked || !!current?.hidden || !!current?.pending;
}

/**
 * "Add a comment" beside the heading, while the form is offered below comments to go past: a keyboard passes several
 * stops per comment (a page review), and a long thread is a long scroll.
 */
function showJump() {
  $('jump-to-form').hidden = $('comment-form').hidden || comments.size === 0;
  // The waiting comments' twin sits above the form: it goes with it (a lock arriving live; a review).
  $('new-comments-end').hidden = waiting.length === 0 || $('comment-form').hidden;
}

$('jump-to-form').addEventListener('click', (event) => {
  event.preventDefault();
  $('comment-body').focus(); // which scrolls the form into view
});

/**
 * A post deleted by its author, or removed by a moderator, while the page is open: its words leave the page too (they
 * stayed on screen under a small line, a page review), in the tombstone's words a reload would not even show; the
 * thread's comments stay, as a deleted comment's replies do, and the line says what happened.
 */
const LOCKED = 'This thread is locked: it takes no new comments.';

/** Whether the post was taken from this page (deleted, hidden from this reader), until it is restored. */
let gone = false;

function postGone(text, tombstone) {
  gone = true;
  document.title = `${tombstone} · Parley`;
  $('post-title').textContent = tombstone;
  $('post-title').classList.add('tombstone');
  for (const id of ['post-meta', 'post-tags', 'post-body', 'post-sources', 'post-vote', 'post-actions']) {
    $(id).replaceChildren();
  }
  $('post-sources-line').hidden = true;
  $('post-hidden-note').hidden = true;
  notice(text);
  $('comment-form').hidden = true;
  showJump();
  // Nor is a reader signed out asked to sign in to comment on it, or to manage it (a page review).
  $('signed-out-comment').hidden = true;
  $('signed-out-manage').hidden = true;
  // Every comment's Reply and Quote go with the post, and any reply being written is told why it cannot be sent.
  comments.forEach(({ data }) => update(data));
  document.querySelectorAll('#comments .reply-form .form-error').forEach((line) => { line.textContent = text; });
  showJump();
}

// ---------- comments ----------

function isMine(c) {
  return me && c.author?.username === me.username;
}

/**
 * " · edited 5 minutes ago". The author and moderators get a button that shows what each edit replaced, beneath the line it is on
 * (a moderator on the thread sees what a reported comment said before it was edited); everyone else the word. A list
 * of nodes, to spread into the line.
 */
function editedMark(kind, item) {
  if (!item.editedAt) return [];
  const when = time(item.editedAt);
  if (!isMod && !isMine(item)) return [' · edited ', when];
  const button = h('button', { type: 'button', class: 'link edited', 'aria-expanded': 'false',
    title: 'Show the earlier versions', onclick: () => toggleVersions(button, kind, item.id) }, 'edited');
  return [' · ', button, ' ', when];
}

async function toggleVersions(button, kind, id) {
  const line = button.closest('p, div');
  // Not always the next sibling: the moderators' line may come between, read after the panel was opened.
  const open = line.parentElement.querySelector(':scope > .versions');
  if (open) {
    open.remove();
    button.setAttribute('aria-expanded', 'false');
    return;
  }
  try {
    const page = await get(`/api/${kind}s/${id}/revisions?limit=100`);
    const panel = h('div', { class: 'versions' },
      h('p', { class: 'meta' }, page.items.length ? 'Earlier versions, newest first, as written:' : 'No earlier version is kept.'),
      page.items.length ? h('ol', {}, page.items.map((v) => h('li', {},
        h('p', { class: 'meta' }, 'Written ', time(v.writtenAt), ', replaced ', time(v.replacedAt)),
        v.title !== undefined ? h('p', { class: 'version-title' }, v.title) : null,
        h('p', { class: 'version-body' }, v.body),
        v.sources?.length ? h('ul', { class: 'version-sources' }, v.sources.map((url) => h('li', {}, url))) : null))) : null,
      page.nextCursor ? h('p', { class: 'meta' }, 'Older versions are not shown here.') : null);
    line.after(panel);
    button.setAttribute('aria-expanded', 'true');
  } catch (error) {
    flash(error.message);
  }
}

/** The line standing for a comment whose words are not shown: its fold control, then why. */
function tombstone(c, why) {
  return h('p', { class: 'tomb-line' }, foldButton(c), h('span', { class: 'tombstone' }, why));
}

/** The visible part of a comment: meta, body or tombstone, actions. Replaced whole when the comment changes. */
function content(c) {
  const box = h('div', { class: 'content' });
  if (c.blocked) {
    box.append(tombstone(c, 'Comment from someone you blocked.'));
    return box;
  }
  if (c.deleted) {
    box.append(tombstone(c, '[deleted]'));
    return box;
  }
  if (c.hidden && c.body == null) {
    box.append(tombstone(c, '[removed by a moderator]'));
    return box;
  }
  // Words only its moderators and author still see are set apart, not read as part of the conversation (a page
  // review: a hidden comment kept its full-strength text, marked only by a small badge).
  if (c.hidden) box.classList.add('withheld');
  // In a flat run of replies each says whom it answers.
  const parent = c.parentId ? comments.get(c.parentId) : null;
  const answers = parent && parent.depth >= MAX_DEPTH
    ? [h('span', { class: 'answers' }, ' ↳ replying to ', parent.data.author?.username ?? 'a comment')] : [];
  box.append(h('p', { class: 'meta' }, foldButton(c), userLink(c.author?.username),
    ...authorBadges(c.author, current?.author?.username), ...answers, ' · ', time(c.createdAt), ' ', exact(c.createdAt),
    ...editedMark('comment', c), c.hidden ? badgeMark('removed by a moderator') : '',
    c.pending ? badgeMark('waiting for review', { cls: 'pending' }) : ''));
  // Its author is the one other than the moderators who sees it: said on the comment, not only when it was sent.
  if (c.pending && !isMod) {
    box.append(h('p', { class: 'pending-note' }, 'A moderator will review it; only you can see it until then.'));
  }
  if (c.hidden && !isMod) box.append(h('p', { class: 'hidden-note' }, ...hiddenWords('comment', c.hiddenReason)));
  const facts = isMod ? moderationLine(stillSo(modFacts.comments.get(c.id), c), 'comment', factsActions) : null;
  if (facts) box.append(facts);
  const body = h('div', { class: 'body' });
  setBodyHtml(body, c.bodyHtml);
  box.append(body);
  const actions = h('div', { class: 'row actions' });
  if (!c.hidden && !c.pending) actions.append(voteControl('comment', c));
  // Nobody else can see a pending comment yet, so nobody replies to it.
  // Nor to a hidden one (the server refuses it): a moderator still sees its words, nobody else does.
  if (takesComments() && !c.pending && !c.hidden) {
    actions.append(h('button', { type: 'button', class: 'link reply', 'aria-label': `Reply to ${c.author?.username ?? 'this comment'}`,
      onclick: () => replyForm(c) }, 'Reply'));
    // The part of the comment the reader selected, read before the press can move the selection.
    let selected = null;
    actions.append(h('button', { type: 'button', class: 'link quote', 'aria-label': `Quote ${c.author?.username ?? 'this comment'} in a reply`,
      onpointerdown: () => { selected = selectionIn(body); },
      onclick: () => { quoteReply(c, selected ?? selectionIn(body)); selected = null; } }, 'Quote'));
  }
  actions.append(h('a', { href: `/posts/${postId}#comment-${c.id}`, class: 'permalink',
    'aria-label': c.author?.username ? `Link to ${c.author.username}'s comment` : 'Link to this comment',
    onclick: (event) => copyLink(event, c) }, 'Link'));
  if (me && isMine(c)) {
    // A comment a moderator removed is its author's to delete, not to change (the server refuses the edit).
    if (!c.hidden) actions.append(h('button', { type: 'button', class: 'link edit', onclick: () => editForm(c) }, 'Edit'));
    actions.append(h('button', { type: 'button', class: 'link danger delete-own', onclick: async () => {
      if (!confirm('Delete your comment? Replies to it stay.')) return;
      try {
        await del(`/api/comments/${c.id}`);
      } catch (error) {
        flash(error.message);
        return;
      }
      // Its tombstone now (the live event may come later), and focus on it rather than on the page's top.
      const known = comments.get(c.id);
      if (!known) return;
      if (!known.data.deleted) update({ ...known.data, deleted: true, body: null, bodyHtml: null, author: null });
      known.el.focus();
      announce('Your comment is deleted. Replies to it stay.');
    } }, 'Delete'));
  } else if (me) {
    // Report and block are there when needed, not as loud as the conversation.
    actions.append(h('details', { class: 'menu' }, h('summary', { 'aria-label': c.author?.username ? `More actions for ${c.author.username}'s comment` : 'More actions for this comment' }, '⋯'),
      h('div', { class: 'menu-items' },
        h('button', { type: 'button', class: 'link report', onclick: (event) => fromMenu(event, () => report('comment', c.id, c.author?.username)) }, 'Report'),
        blockButton(c.author?.username, 'link'))));
  }
  if (isMod && !isMine(c)) {
    const after = (outcome) => settled(c.id, outcome);
    // What the moderator read: an approval of a text edited since is refused, not published unread.
    const editedAt = c.editedAt ?? null;
    if (c.pending) actions.append(...reviewButtons({ type: 'comment', id: c.id, editedAt }, { notice: flash, after }));
    actions.append(moderateMenu({ type: 'comment', id: c.id, postId, author: c.author?.username,
      authorRole: c.author?.role, hidden: c.hidden, pending: c.pending, editedAt }, { notice: flash, after }));
  }
  box.append(actions);
  return box;
}

// ---------- folding ----------

/** The folds remembered for this thread (anything unreadable there counts as none). */
function readFolds() {
  try {
    const ids = JSON.parse(localStorage.getItem(FOLD_KEY) || '[]');
    return Array.isArray(ids) ? ids.filter(Number.isSafeInteger) : [];
  } catch {
    return [];
  }
}

function saveFolds() {
  try {
    if (folded.size === 0) localStorage.removeItem(FOLD_KEY);
    else localStorage.setItem(FOLD_KEY, JSON.stringify([...folded].slice(-FOLDS_KEPT)));
  } catch { /* storage full or off: the fold lasts as long as the page */ }
}

/** The control that folds a comment and its replies; its words are set by showFold once the comment is placed. */
function foldButton(c) {
  return h('button', { type: 'button', class: 'link fold', 'aria-expanded': String(!folded.has(c.id)),
    onclick: () => fold(c.id, !folded.has(c.id)) }, folded.has(c.id) ? '[+]' : '[−]');
}

/** Folds or unfolds a comment, remembered for the next visit; focus stays on its control. */
function fold(id, on) {
  if (on) {
    folded.delete(id);
    folded.add(id);
  } else {
    folded.delete(id);
  }
  saveFolds();
  showFold(id);
}

/**
 * A comment's fold as it stands: folded, it keeps its first line (who and when, or its tombstone) and its control says
 * how many replies are out of sight, arrivals included.
 */
function showFold(id) {
  const known = comments.get(id);
  if (!known) return;
  const isFolded = folded.has(id);
  known.el.classList.toggle('folded', isFolded);
  const button = known.el.querySelector(':scope > .content .fold');
  if (!button) return;
  const n = known.el.querySelectorAll(':scope > .replies .comment').length;
  const replies = n === 1 ? '1 reply' : `${n} replies`;
  const who = known.data.author?.username && !known.data.deleted && !known.data.blocked ? ` by ${known.data.author.username}` : '';
  button.setAttribute('aria-expanded', String(!isFolded));
  button.textContent = isFolded ? (n ? `[+] ${replies}` : '[+]') : '[−]';
  button.setAttribute('aria-label', isFolded ? `Unfold the comment${who}${n ? ` and its ${replies}` : ''}`
    : `Fold the comment${who}${n ? ` and its ${replies}` : ''}`);
}

/** After a comment is placed: its own fold, and the reply count of every folded comment above it. */
function showFoldsAbove(id) {
  showFold(id);
  for (let parent = comments.get(id)?.data.parentId; parent; parent = comments.get(parent)?.data.parentId) {
    if (folded.has(parent)) showFold(parent);
  }
}

/** "Link": the comment's address in the address bar and, where the browser allows, on the clipboard. */
async function copyLink(event, c) {
  event.preventDefault();
  const url = `${location.origin}/posts/${postId}#comment-${c.id}`;
  history.replaceState(null, '', `#comment-${c.id}`);
  target(c.id);
  try {
    await navigator.clipboard.writeText(url);
    announce('Link copied.');
    flash('Link to the comment copied.');
  } catch {
    flash('The link to the comment is in the address bar.');
  }
}

/** A comment past the depth limit is behind "Continue this thread", or in a folded comment's replies: opens the way. */
function openTheWay(li) {
  for (let el = li.parentElement; el; el = el.parentElement) {
    if (el.classList?.contains('replies') && el.hidden) {
      el.hidden = false;
      el.previousElementSibling?.remove();
    }
    if (el.classList?.contains('folded')) fold(Number(el.dataset.id), false);
  }
}

/** Scrolls to a comment and marks it as the one the link is about. */
function target(id) {
  document.querySelectorAll('.comment.target').forEach((el) => el.classList.remove('target'));
  const known = comments.get(id);
  if (!known) return false;
  openTheWay(known.el);
  if (folded.has(id)) fold(id, false);
  known.el.classList.add('target');
  known.el.scrollIntoView({ block: 'center' });
  known.el.focus({ preventScroll: true });
  return true;
}

function targetFromHash() {
  const m = /^#comment-(\d+)$/.exec(location.hash);
  if (m && !target(Number(m[1]))) notice('That comment is not here any more.');
}

/**
 * The heading's count is what every reader counts (the feed's number); hidden or held comments this reader still
 * sees (a moderator, or the author of a held one) are counted apart.
 */
function countComments() {
  let n = 0;
  let hidden = 0;
  let pending = 0;
  comments.forEach(({ data }) => {
    if (data.deleted || data.blocked || (data.hidden && data.body == null)) return;
    if (data.hidden) hidden++;
    else if (data.pending) pending++;
    else n++;
  });
  // Each said for what it is; a member who is not a moderator sees only their own (it read as someone else's).
  const whose = isMod ? '' : ' of yours';
  const apart = [pending ? `${pending}${whose} waiting for review` : '', hidden ? `${hidden}${whose} hidden` : '']
    .filter(Boolean);
  $('comments-title').textContent = (n === 0 ? 'Comments' : `Comments (${n})`) + apart.map((part) => ` · ${part}`).join('');
  $('thread-sort').hidden = comments.size < 2;
}

function renderComment(c, depth) {
  // Past the depth limit replies no longer step in: a chain of any length keeps the column it reached.
  const replies = h('ul', { class: depth >= MAX_DEPTH ? 'replies flat' : 'replies', 'aria-label': 'Replies' });
  const unseen = lastSeen > 0 && c.id > lastSeen && !isMine(c);
  const li = h('li', { class: `comment${unseen ? ' unseen' : ''}`, id: `comment-${c.id}`, 'data-id': c.id, tabindex: '-1' },
    content(c), h('div', { class: 'forms' }), replies);
  comments.set(c.id, { data: c, el: li, depth });
  return li;
}

/**
 * Puts a comment in the tree under its parent (or at the end), without touching anything already there. Placing many
 * at once (`many`: the thread's load), the counts and labels that depend on all of them are left to the caller, once
 * for the lot (placeAll): worked out per comment, a thread of 3,600 comments took 2.6–4.8 s to show.
 */
function place(c, many = false) {
  const known = comments.get(c.id);
  if (known) {
    update(c);
    return known.el;
  }
  const parent = c.parentId ? comments.get(c.parentId) : null;
  const depth = parent ? parent.depth + 1 : 0;
  const li = renderComment(c, depth);
  const holder = parent ? parent.el.querySelector(':scope > .replies') : $('comments');
  if (parent && depth === MAX_DEPTH && !holder.hidden && holder.children.length === 0) {
    holder.hidden = true;
    holder.before(h('button', { type: 'button', class: 'link continue', onclick: (event) => {
      holder.hidden = false;
      event.target.remove();
      holder.querySelector('.comment')?.focus();
    } }, 'Continue this thread'));
  }
  insertInOrder(holder, li, c);
  showFoldsAbove(c.id);
  if (many) return li;
  countContinued(li);
  $('no-comments').hidden = true;
  showJump();
  countComments();
  return li;
}

/**
 * Places a thread's comments, each after its parent and after the siblings it follows in the reader's order (so each
 * goes at the end of its list, with no search for its place), then counts what depends on all of them once.
 */
function placeAll(list) {
  threadOrder(list).forEach((c) => place(c, true));
  document.querySelectorAll('#comments button.continue').forEach((button) => labelContinue(button, button.nextElementSibling));
  $('no-comments').hidden = comments.size > 0;
  showJump();
  countComments();
}

/**
 * "Continue this thread (3 replies)": how much is behind the link, counted again as replies arrive there (a page
 * review: it said nothing of whether one reply or fifty waited).
 */
function countContinued(li) {
  for (let holder = li.parentElement?.closest('.replies[hidden]'); holder;
    holder = holder.parentElement?.closest('.replies[hidden]')) {
    const button = holder.previousElementSibling;
    if (button?.classList.contains('continue')) labelContinue(button, holder);
  }
}

/**
 * The comments in the order the thread shows them, depth first: each parent before its replies, siblings in the
 * reader's order. A comment whose parent is not among them goes where place puts it, at the top level.
 */
function threadOrder(list) {
  const compare = ORDERS[threadSort];
  const ids = new Set(list.map((c) => c.id));
  const children = new Map();
  list.forEach((c) => {
    const parent = c.parentId && ids.has(c.parentId) ? c.parentId : null;
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(c);
  });
  children.forEach((siblings) => siblings.sort(compare));
  const out = [];
  // Iterative, not recursive: a chain of replies thousands deep must not overflow the stack.
  const stack = [...(children.get(null) ?? [])].reverse();
  while (stack.length) {
    const c = stack.pop();
    out.push(c);
    const replies = children.get(c.id);
    for (let i = (replies?.length ?? 0) - 1; i >= 0; i--) stack.push(replies[i]);
  }
  return out;
}

function labelContinue(button, holder) {
  if (!holder) return;
  const n = holder.querySelectorAll('.comment').length;
  button.textContent = `Continue this thread (${n === 1 ? '1 reply' : `${n} replies`})`;
}

// ---------- the thread's order ----------

/** The lower bound of the Wilson score interval (95 %) for the share of up votes: the server's "best" rank. */
function wilson({ upvotes = 0, downvotes = 0 }) {
  const n = upvotes + downvotes;
  if (n === 0) return 0;
  const z = 1.96;
  const p = upvotes / n;
  return (p + (z * z) / (2 * n) - z * Math.sqrt((p * (1 - p) + (z * z) / (4 * n)) / n)) / (1 + (z * z) / n);
}

/** Siblings' order, as the API's ?sort= gives it: best by Wilson bound then newest, new by id down, old by id up. */
const ORDERS = {
  best: (a, b) => wilson(b) - wilson(a) || b.id - a.id,
  new: (a, b) => b.id - a.id,
  old: (a, b) => a.id - b.id,
};

const dataOf = (el) => comments.get(Number(el.dataset.id))?.data ?? { id: Number(el.dataset.id) };
const commentsIn = (holder) => [...holder.children].filter((el) => el.classList.contains('comment'));

/** Puts a new comment among its siblings where the thread's order has it, moving none of them. */
function insertInOrder(holder, li, c) {
  const compare = ORDERS[threadSort];
  // The last comment first, without listing the others: a thread loads in its order, each comment after the last.
  let last = holder.lastElementChild;
  while (last && !last.classList.contains('comment')) last = last.previousElementSibling;
  if (!last || compare(c, dataOf(last)) >= 0) {
    holder.append(li);
    return;
  }
  holder.insertBefore(li, commentsIn(holder).find((el) => compare(c, dataOf(el)) < 0));
}

/** Moves an element to the end of its list; moveBefore keeps focus and state where the browser has it. */
function moveToEnd(holder, el) {
  if (typeof holder.moveBefore === 'function') {
    try {
      holder.moveBefore(el, null);
      return;
    } catch { /* fall back to a plain move */ }
  }
  holder.append(el);
}

/**
 * Re-orders the whole thread, top level and each comment's replies, by moving the comments' elements: nothing is
 * rendered again, so an open reply or edit keeps its text (and, where it had it, its focus and selection).
 */
function applySort() {
  const active = document.activeElement;
  const selection = active?.tagName === 'TEXTAREA' || active?.tagName === 'INPUT' ? [active.selectionStart, active.selectionEnd] : null;
  const compare = ORDERS[threadSort];
  for (const holder of [$('comments'), ...$('comments').querySelectorAll('ul.replies')]) {
    const shown = commentsIn(holder);
    const sorted = [...shown].sort((x, y) => compare(dataOf(x), dataOf(y)));
    if (sorted.every((el, i) => el === shown[i])) continue;
    sorted.forEach((el) => moveToEnd(holder, el));
  }
  if (active && active !== document.activeElement && active.isConnected) {
    active.focus({ preventScroll: true });
    if (selection && selection[0] !== null) {
      try { active.setSelectionRange(...selection); } catch { /* not a text field */ }
    }
  }
}

const SORT_WORDS = { best: 'best first', new: 'newest first', old: 'oldest first' };

function showThreadSort() {
  document.querySelectorAll('#thread-sort button[data-sort]').forEach((b) => {
    b.setAttribute('aria-pressed', String(b.dataset.sort === threadSort));
  });
  $('comments').setAttribute('aria-label', `Comments, ${SORT_WORDS[threadSort]}`);
}

function threadSortControls() {
  showThreadSort();
  document.querySelectorAll('#thread-sort button[data-sort]').forEach((b) => b.addEventListener('click', () => {
    if (threadSort === b.dataset.sort) return;
    threadSort = b.dataset.sort;
    try { localStorage.setItem(THREAD_SORT_KEY, threadSort); } catch { /* private mode: no memory */ }
    showThreadSort();
    applySort();
    announce(`Comments, ${SORT_WORDS[threadSort]}.`);
  }));
}

/**
 * A pending comment this moderator approved (its comment.created follows) or rejected (gone from the page); or one
 * whose approval or rejection was refused ({@code 'stale'}: edited since it was read; {@code 'refused'}: decided
 * elsewhere, or deleted), which is read again and shown as it now is.
 */
function settled(id, outcome) {
  moderationChanged();
  const known = comments.get(id);
  if (!known) return;
  if (outcome === 'approved') {
    update({ ...known.data, pending: false });
  } else if (outcome === 'rejected') {
    unpublished(id);
  } else {
    get(`/api/comments/${id}`).then((c) => (c.deleted ? unpublished(id) : update(c)), (error) => {
      if (error.status === 404) unpublished(id);
    });
  }
}

/** A comment that was held and will never be published (rejected, or deleted by its author): off the page. */
function unpublished(id) {
  // Waiting to be shown behind "N new comments" (a reader typing): it never appears (a review found it did).
  const i = waiting.findIndex((w) => w.id === id);
  if (i >= 0) {
    waiting.splice(i, 1);
    showWaiting();
  }
  const known = comments.get(id);
  if (!known || !known.data.pending) return;
  const hadFocus = known.el.contains(document.activeElement);
  const next = known.el.nextElementSibling ?? known.el.previousElementSibling ?? known.el.parentElement?.closest('li');
  known.el.remove();
  comments.delete(id);
  countComments();
  moderationChanged();
  // Focus stays in the thread, on its neighbour, not fallen to the top of the page (a page review).
  if (hadFocus || document.activeElement === document.body) {
    const to = next?.isConnected ? next : $('comments');
    if (to && !to.hasAttribute('tabindex')) to.setAttribute('tabindex', '-1');
    to?.focus();
  }
}

function update(c) {
  const known = comments.get(c.id);
  if (!known) return;
  known.data = c;
  known.el.querySelector(':scope > .content').replaceWith(content(c));
  if (c.deleted || (c.hidden && c.body == null)) {
    orphanReply(c.id);
  } else {
    // Restored meanwhile: the reply may go after all.
    known.el.querySelector(':scope > .forms .reply-form .orphan-note')?.remove();
  }
  showFold(c.id);
  countComments();
}

/**
 * A reply being written to a comment that was deleted or removed meanwhile: its form says so at once (it said
 * nothing until the server refused the reply), and offers to take the words to the thread's own comment box.
 */
function orphanReply(id) {
  const form = comments.get(id)?.el.querySelector(':scope > .forms .reply-form');
  if (!form || form.querySelector('.orphan-note')) return;
  const move = takesComments() ? h('button', { type: 'button', class: 'link', onclick: () => {
    // The thread may have been locked since the offer was made.
    if (!takesComments()) {
      flash('This thread takes no new comments now.');
      return;
    }
    const box = $('comment-body');
    const text = form.elements.body.value.trim();
    box.value = box.value.trim() && text ? `${box.value.replace(/\s*$/, '')}\n\n${text}` : box.value.trim() ? box.value : text;
    form.remove();
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  } }, 'Post it as a comment on the thread instead') : null;
  form.prepend(h('p', { class: 'orphan-note', role: 'status' },
    'The comment you are replying to was removed, so your reply cannot be posted under it.', move ? ' ' : '', move ?? ''));
}

function replyForm(parent) {
  const holder = comments.get(parent.id).el.querySelector(':scope > .forms');
  if (holder.querySelector('form')) {
    holder.querySelector('textarea').focus();
    return;
  }
  const id = `reply-${parent.id}`;
  const form = h('form', { class: 'card reply-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert' }),
    h('label', { for: id, 'data-label': 'Your reply' }, `Reply to ${parent.author?.username ?? 'comment'}`),
    h('textarea', { id, name: 'body', rows: 3 }),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Reply'),
      h('button', { type: 'button', onclick: () => closeForm(form, () => actionOf(parent.id, '.reply')) }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const key = form.dataset.key || (form.dataset.key = newKey());
    form.dataset.sending = 'true';
    try {
      const created = await post(`/api/posts/${postId}/comments`, { body: form.elements.body.value, parentId: parent.id },
        { idempotencyKey: key, onRetry: () => retrying(form) }).finally(() => delete form.dataset.sending);
      const li = place(created);
      form.remove();
      // Keyboard and screen-reader users continue from their reply, not from the top of the page.
      li.focus();
      announce(created.pending ? 'Your reply is waiting for a moderator to review it.' : 'Your reply is posted.');
      if (created.pending) flash('Your reply is waiting for a moderator to review it; only you can see it until then.');
    } catch (error) {
      if (error.status !== 0) delete form.dataset.key; // a refused text may be changed and sent anew
      showProblem(form, error);
      // Removed before its event reached this page: the same offer as when the event comes first.
      if (error.status === 409 && error.fieldErrors?.().parentId) orphanReply(parent.id);
    }
  });
  holder.append(form);
  suggestMentions(form.elements.body, threadPeople);
  markdownBox(form);
  keepDraft(form, () => actionOf(parent.id, '.reply'));
  form.elements.body.focus();
}

/** A button of a comment's actions (its Reply or Edit), or the comment itself when it has none now. */
function actionOf(id, selector) {
  const el = comments.get(id)?.el;
  return el?.querySelector(`:scope > .content .actions ${selector}`) ?? el;
}

/**
 * What a reply or edit form's Cancel and Escape do: close it, asking first when it holds words not sent (a slip of
 * the key used to throw them away without a word), and give focus back to what opened it.
 */
function closeForm(form, opener) {
  // Being sent (or retried until the server answers): closing it would not stop it, and would lose its answer.
  if (form.dataset.sending) {
    flash('Your reply is being sent.');
    return;
  }
  if (changed(form) && !confirm(form.classList.contains('reply-form') ? 'Discard your reply?' : 'Discard your changes?')) {
    return;
  }
  form.remove();
  opener()?.focus();
}

/** Notes the form's text as it opened, and lets Escape close it (an Escape the mention list took stays there). */
function keepDraft(form, opener) {
  form._opened = new Map([...form.querySelectorAll('textarea, input')].map((el) => [el, el.value]));
  form.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || event.defaultPrevented || event.isComposing) return;
    event.preventDefault();
    closeForm(form, opener);
  });
}

function changed(form) {
  return [...(form._opened ?? [])].some(([el, value]) => el.value !== value);
}

/** The text selected inside {@code el}, or null when nothing there is selected. */
function selectionIn(el) {
  const selection = getSelection();
  if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
  if (!el.contains(selection.anchorNode) || !el.contains(selection.focusNode)) return null;
  const text = selection.toString().trim();
  return text || null;
}

/**
 * A reply that opens with a Markdown quote: of what the reader selected in the comment, or of the whole comment. Added
 * to a reply already being written, the caret after it.
 */
function quoteReply(c, selected) {
  const text = (selected ?? c.body ?? '').trim();
  replyForm(c);
  // The reply's own box: an edit of the same comment may be open in the same place.
  const box = comments.get(c.id).el.querySelector(':scope > .forms .reply-form textarea');
  if (!box || !text) return;
  const quoted = `${text.split('\n').map((line) => (line.trim() ? `> ${line}` : '>')).join('\n')}\n\n`;
  box.value = box.value.trim() ? `${box.value.replace(/\s*$/, '')}\n\n${quoted}` : quoted;
  box.focus();
  box.setSelectionRange(box.value.length, box.value.length);
}

function editForm(c) {
  const holder = comments.get(c.id).el.querySelector(':scope > .forms');
  if (holder.querySelector('form')) return;
  const id = `edit-${c.id}`;
  const form = h('form', { class: 'card edit-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert' }), h('label', { for: id, 'data-label': 'Your comment' }, 'Edit your comment'),
    h('textarea', { id, name: 'body', rows: 3 }),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => closeForm(form, () => actionOf(c.id, '.edit')) }, 'Cancel')));
  form.elements.body.value = c.body;
  suggestMentions(form.elements.body, threadPeople);
  markdownBox(form);
  keepDraft(form, () => actionOf(c.id, '.edit'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    try {
      update(await patch(`/api/comments/${c.id}`, { body: form.elements.body.value }));
      form.remove();
      // On the comment as saved, not the page's top.
      comments.get(c.id)?.el.focus();
      announce('Your comment is saved.');
    } catch (error) {
      showProblem(form, error);
    }
  });
  holder.append(form);
  form.elements.body.focus();
}

// ---------- reports and blocks ----------

/**
 * Runs a "⋯" menu's item with the menu closed first and focus on its button, where a dialog the item opens gives
 * focus back when it closes (it would go to the item, inside a closed menu, and be lost).
 */
function fromMenu(event, action) {
  const menu = event.target.closest('details');
  menu?.removeAttribute('open');
  menu?.querySelector('summary')?.focus();
  action();
}

/** Reports a post or a comment; the dialog names what is reported ({@code author}'s comment, or the post). */
function report(targetType, targetId, author) {
  const dialog = $('report-dialog');
  const form = $('report-form');
  clearProblem(form);
  form.reset();
  // A long title is cut at a word, whole in its tooltip: quoted whole, 150 characters in heading type took most of a
  // small phone's dialog and pushed "Send report" out of view (a page review, 320 × 640).
  const title = current?.title ?? '';
  const cut = shortened(title, 60);
  $('report-title').textContent = targetType === 'post' ? `Report the post “${cut}”`
    : `Report ${author ? `${author}’s` : 'this'} comment`;
  $('report-title').title = targetType === 'post' && cut !== title ? title : '';
  // A dialog closed by Escape may keep its last returnValue (the older standard; Chromium clears it): the last
  // report's "send" must not send this one.
  dialog.returnValue = '';
  // No reason is chosen for the reporter: "Send report" pressed at once used to report spam.
  form.onsubmit = (event) => {
    if (event.submitter?.value !== 'send' || form.elements.reason.value) return;
    event.preventDefault();
    // showProblem puts the focus on the field, from the button pressed.
    showProblem(form, { fieldErrors: () => ({ reason: 'is required: choose the one that fits best.' }) });
  };
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'send') return;
    try {
      await post('/api/reports', { targetType, targetId, reason: form.elements.reason.value,
        details: form.elements.details.value.trim() || undefined });
      flash('Thank you: the moderators have your report.');
    } catch (error) {
      flash(error.message);
    }
  };
  dialog.showModal();
}

function blockButton(username, cls) {
  if (!username) return null;
  return h('button', { type: 'button', class: cls, 'data-block': username, onclick: async (event) => {
    if (!confirm(`Block ${username}? You will no longer see their posts and comments.`)) return;
    // Where the reader was: the comment the block was asked from, drawn again as a placeholder by the reload.
    const from = event.target.closest('li.comment')?.id;
    try {
      await put(`/api/me/blocks/${encodeURIComponent(username)}`);
    } catch (error) {
      flash(error.message);
      return;
    }
    await reload();
    // The thread was drawn anew: focus had fallen to the page's top, and nothing said the block was made.
    const place = !$('not-found').hidden ? $('not-found-title') : (from && document.getElementById(from)) || $('post-title');
    place?.focus();
    if ($('not-found').hidden) flash(`You blocked ${username}. Unblock people in Settings.`);
    else announce(`You blocked ${username}.`);
  } }, `Block ${username}`);
}

// ---------- arriving comments ----------

function readerIsBusy() {
  const active = document.activeElement;
  const typing = active && (active.tagName === 'TEXTAREA' || active.tagName === 'INPUT') && active.value !== '';
  const drafts = [...document.querySelectorAll('#comments textarea, #comment-form textarea')].some((t) => t.value);
  const nearEnd = window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 200;
  return typing || drafts || !nearEnd;
}

function arrived(c) {
  if (comments.has(c.id) || waiting.some((w) => w.id === c.id)) {
    update(c);
    return;
  }
  if (isMine(c) || !readerIsBusy()) {
    place(c);
    announce(`New comment from ${c.author?.username ?? 'someone'}`);
  } else {
    waiting.push(c);
    showWaiting();
  }
}

/** A waiting comment that was deleted or hidden before the reader asked to see it never appears. */
function dropWaiting(id) {
  const i = waiting.findIndex((w) => w.id === id);
  if (i >= 0 && !isMine(waiting[i])) {
    waiting.splice(i, 1);
    showWaiting();
  }
}

/**
 * The waiting comments' button at the top of the thread, and its twin at the end, just above the comment form: a
 * keyboard reader typing there (the usual reason comments wait) reached the top one only by going back through the
 * whole thread.
 */
function showWaiting() {
  const button = $('new-comments');
  button.hidden = waiting.length === 0;
  button.textContent = `${waiting.length} new comment${waiting.length === 1 ? '' : 's'}`;
  const end = $('new-comments-end');
  end.hidden = waiting.length === 0 || $('comment-form').hidden;
  end.firstElementChild.textContent = `Show ${waiting.length} new comment${waiting.length === 1 ? '' : 's'}`;
  if (waiting.length) announce(button.textContent);
}

$('new-comments-end').firstElementChild.addEventListener('click', () => $('new-comments').click());
$('new-comments').addEventListener('click', () => {
  const first = waiting[0];
  while (waiting.length) place(waiting.shift());
  showWaiting();
  const el = first ? comments.get(first.id)?.el : null;
  if (el) {
    // Asked for, it is shown, even past the depth limit or in a folded subthread (it was placed out of sight there).
    openTheWay(el);
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }
});

function onEvent(e) {
  const d = e.data;
  if (/^(comment\.(hidden|restored)|post\.(hidden|restored|locked|unlocked))$/.test(e.type)) moderationChanged();
  switch (e.type) {
    case 'comment.created':
    case 'comment.restored':
      // A replayed copy of content deleted or hidden since carries only {removed}: its later event settles it.
      if (!d.removed) arrived(d);
      break;
    case 'comment.edited':
      if (comments.has(d.id)) update(d);
      else waiting.forEach((w, i) => { if (w.id === d.id) waiting[i] = d; });
      break;
    case 'comment.deleted':
      if (comments.has(d.id)) update({ ...comments.get(d.id).data, deleted: true, body: null, bodyHtml: null, author: null });
      dropWaiting(d.id);
      break;
    case 'comment.hidden': {
      const known = comments.get(d.id);
      if (known) {
        const c = known.data;
        const sees = isMod || isMine(c);
        update({ ...c, hidden: true, body: sees ? c.body : null, bodyHtml: sees ? c.bodyHtml : null, author: sees ? c.author : null });
        // Its author is told why on the comment: the event names no reason, the comment as they read it does.
        if (sees && !isMod) {
          get(`/api/comments/${d.id}`).then((fresh) => { if (comments.has(fresh.id)) update(fresh); }).catch(() => {});
        }
      }
      if (!isMod) dropWaiting(d.id);
      break;
    }
    case 'post.edited':
      if (!d.removed) renderPost(d);
      break;
    case 'post.score':
      scoreChanged('post', d.id, d);
      break;
    case 'comment.score':
      // In place only: the thread is not re-ranked under the reader; choosing an order again does that.
      scoreChanged('comment', d.id, d);
      break;
    case 'post.locked':
    case 'post.unlocked':
      renderPost({ ...current, locked: e.type === 'post.locked' });
      // Every comment's Reply goes or comes back with the lock; a reply being written is told, and keeps its text.
      comments.forEach(({ data }) => update(data));
      document.querySelectorAll('#comments .reply-form .form-error').forEach((line) => {
        if (e.type === 'post.locked') line.textContent = LOCKED;
        else if (line.textContent === LOCKED) line.textContent = '';
      });
      break;
    case 'post.deleted':
      postGone('This post was deleted.', '[deleted]');
      break;
    case 'post.hidden':
      if (isMod || me?.username === current?.author?.username) {
        renderPost({ ...current, hidden: true });
        // Its author is told why, as on a reload (the event names no reason).
        if (!isMod) get(`/api/posts/${postId}`).then((fresh) => { if (!gone && fresh.hidden) renderPost(fresh); }).catch(() => {});
        // Every comment's Reply goes with the post, as with a lock.
        comments.forEach(({ data }) => update(data));
      } else {
        postGone('A moderator removed this post.', '[removed by a moderator]');
      }
      break;
    case 'post.restored':
      liveAgain($('live-status'));
      if (gone) {
        gone = false;
        backFromGone();
      } else if (!d.removed) {
        renderPost(d);
        comments.forEach(({ data }) => update(data));
      }
      break;
    default:
  }
}

// ---------- loading ----------

async function loadComments() {
  let cursor = null;
  let seq = null;
  const all = [];
  do {
    const page = await get(`/api/posts/${postId}/comments?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    all.push(...page.items);
    seq = seq === null ? page.seq : Math.min(seq, page.seq);
    cursor = page.nextCursor;
  } while (cursor);
  all.forEach((c) => remember('comment', c));
  placeAll(all);
  const newest = all.reduce((max, c) => Math.max(max, c.id), 0);
  if (newest > lastSeen) localStorage.setItem(SEEN_KEY, String(newest));
  return seq;
}

/**
 * A post by someone the reader blocked: none of its words, not even in the tab's title (the server's page carries the
 * title for link previews), and the way to undo the block.
 */
function showBlocked() {
  document.title = 'A post by someone you blocked · Parley';
  $('post').hidden = true;
  $('comment-form').hidden = true;
  showJump();
  $('not-found').hidden = false;
  $('not-found-title').textContent = 'A post by someone you blocked';
  $('not-found-text').replaceChildren('This post is by someone you blocked. ',
    h('a', { href: '/settings#blocks-title' }, 'Unblock people in Settings'), '.');
}

/** After a resync or a block: fetch everything again and bring the page up to date in place. */
let refollowDelay = 15000;
/**
 * Follows the thread live from {@code since}. The server stops a reader's topic when the thread is hidden from them
 * (or the reader is banned): the status then says so, and the thread is asked for again now and then (15 s,
 * doubling to 5 minutes), from the last event the page had, so a restore brings the page back, comments and all.
 * Before, a hide undone a minute later left every reader's open page on "[removed by a moderator]", saying "Live"
 * (a page probe).
 */
function followThread(since) {
  connection().subscribe(`parley.post.${postId}`, { since, onEvent, onResync: () => reload(),
    onError: (frame) => {
      notLive($('live-status'));
      setTimeout(() => followThread(frame.last ?? since), refollowDelay);
      refollowDelay = Math.min(refollowDelay * 2, 300000);
    } });
}

/** The post is readable again after it was gone from this page (restored): drawn afresh. */
async function backFromGone() {
  $('post-title').classList.remove('tombstone');
  notice('');
  refollowDelay = 15000;
  await reload();
  flash('A moderator restored this post.');
}

async function reload() {
  try {
    const p = await get(`/api/posts/${postId}`);
    remember('post', p);
    if (p.blocked) {
      showBlocked();
    } else {
      renderPost(p);
    }
  } catch {
    postGone('This post is no longer available.', '[no longer available]');
  }
  await loadComments();
  await loadModeration();
}

async function start() {
  renderHeader();
  refreshTimes();
  let p;
  try {
    p = await get(`/api/posts/${postId}`);
  } catch (error) {
    // Headed as the other missing pages are ("This page is not here", "Profile not found"); only a 404 means there
    // is no such post: anything else is a page that did not load, which says so.
    const missing = error?.status === 404;
    document.title = `${missing ? 'Post not found' : 'Post not loaded'} · Parley`;
    if (!missing) {
      $('not-found-title').textContent = 'Post not loaded';
      $('not-found-text').textContent = 'This post could not be loaded. Check your connection and reload the page.';
    }
    $('not-found').hidden = false;
    $('live-status').hidden = true;
    $('comments-section').hidden = true;
    return;
  }
  if (p.blocked) {
    showBlocked();
    // Nothing of the thread is shown, so nothing is followed live: no "Connecting…" that never connects.
    $('live-status').hidden = true;
    $('comments-section').hidden = true;
    return;
  }
  remember('post', p);
  if (isMod) setUpUserCard();
  threadSortControls();
  renderPost(p);
  const commentsSeq = await loadComments();
  await loadModeration();
  const since = Math.min(p.seq, commentsSeq);
  const form = $('comment-form');
  suggestMentions(form.elements.body, threadPeople);
  markdownBox(form);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const key = form.dataset.key || (form.dataset.key = newKey());
    try {
      const created = await post(`/api/posts/${postId}/comments`, { body: form.elements.body.value },
        { idempotencyKey: key, onRetry: () => retrying(form) });
      const li = place(created);
      // As after a reply: keyboard and screen-reader users continue from what they wrote.
      li?.focus();
      if (created.pending) {
        flash('Your comment is waiting for a moderator to review it; only you can see it until then.');
        announce('Your comment is waiting for review.');
      } else {
        announce('Your comment is posted.');
      }
      form.reset();
      delete form.dataset.key;
      clearProblem(form);
    } catch (error) {
      if (error.status !== 0) delete form.dataset.key;
      showProblem(form, error);
    }
  });
  document.querySelectorAll('.sign-in-here').forEach((a) => { a.href = signInHref(); });
  targetFromHash();
  addEventListener('hashchange', targetFromHash);
  onStatus(liveStatus($('live-status')));
  followThread(since);
  // parley.mod answers any since with a resync: the moderation, just read, is read again only after a reconnect.
  let modResyncs = 0;
  if (isMod) {
    connection().subscribe('parley.mod', { since: 0, onEvent: onModEvent,
      onResync: () => { if (modResyncs++ > 0) moderationChanged(); } });
  }
}

start();
