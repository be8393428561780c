/**
 * The post page: the post, its threaded comments, and everything a reader can do with them, live. Arriving
 * comments never re-render what is on the page (a half-written reply or edit is never touched), and while the
 * reader is typing or has scrolled away from the end they wait behind an "N new comments" button.
 */
import { get, post, patch, put, del, newKey } from './api.js';
import * as session from './session.js';
import { connection, onStatus } from './connection.js';
import { h, time, exact, userLink, setBodyHtml, renderHeader, showProblem, clearProblem, refreshTimes, announce, liveStatus, signInHref } from './ui.js';
import { moderateMenu } from './modtools.js';

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

// ---------- the post ----------

function renderPost(p) {
  current = p;
  document.title = `${p.title} · Parley`;
  $('post').hidden = false;
  $('post-title').textContent = p.title;
  $('post-meta').replaceChildren('by ', userLink(p.author?.username), ' · ', time(p.createdAt), ' ', exact(p.createdAt),
    p.editedAt ? ' · edited' : '', p.hidden ? ' · ' : '', p.hidden ? h('span', { class: 'badge' }, 'hidden by a moderator') : '',
    p.pending ? ' · ' : '', p.pending ? h('span', { class: 'badge pending' }, 'waiting for review') : '',
    p.locked ? ' · ' : '', p.locked ? h('span', { class: 'badge' }, 'locked') : '');
  setBodyHtml($('post-body'), p.bodyHtml);
  const sources = p.sources || [];
  $('post-sources-line').hidden = sources.length === 0;
  $('post-sources').replaceChildren(...sources.map((url) =>
    h('li', {}, h('a', { href: url, rel: 'nofollow ugc noopener', target: '_blank' }, url))));
  renderPostActions(p);
  setLocked(p.locked);
  if (p.pending) {
    notice(isMod ? 'This post is waiting for review: approve it to publish it.'
      : 'Your post is waiting for a moderator to review it; only you can see it until then.');
  }
}

function renderPostActions(p) {
  const actions = $('post-actions');
  actions.replaceChildren();
  $('signed-out-manage').hidden = !!me;
  if (!me) return;
  if (me.username === p.author?.username) {
    actions.append(h('button', { type: 'button', id: 'edit-post', onclick: () => editPost(p) }, 'Edit post'),
      h('button', { type: 'button', class: 'danger', id: 'delete-post', onclick: async () => {
        if (!confirm('Delete this post? Its comments go with it.')) return;
        await del(`/api/posts/${postId}`);
        location.assign('/');
      } }, 'Delete post'));
  } else {
    actions.append(h('button', { type: 'button', id: 'report-post', onclick: () => report('post', p.id) }, 'Report post'),
      blockButton(p.author?.username));
  }
  if (isMod) {
    actions.append(moderateMenu({ type: 'post', id: p.id, author: p.author?.username, hidden: p.hidden, pending: p.pending,
      locked: p.locked }, { notice, after: () => reload() }));
  }
}

/** A line about what just happened on the page (a moderator's action, a report sent). */
function notice(text) {
  $('post-notice').textContent = text;
}

function editPost(p) {
  const form = h('form', { class: 'card', id: 'edit-post-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert' }),
    h('label', { for: 'edit-title' }, 'Title'), h('input', { id: 'edit-title', name: 'title', value: p.title }),
    h('label', { for: 'edit-body' }, 'Body (Markdown)'), h('textarea', { id: 'edit-body', name: 'body', rows: 8 }),
    h('label', { for: 'edit-sources' }, 'Sources (one link per line)'),
    h('textarea', { id: 'edit-sources', name: 'sources', rows: 3 }),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.elements.body.value = p.body;
  form.elements.sources.value = (p.sources || []).join('\n');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    try {
      const sources = form.elements.sources.value.split('\n').map((s) => s.trim()).filter(Boolean);
      renderPost({ ...(await patch(`/api/posts/${postId}`, {
        title: form.elements.title.value, body: form.elements.body.value, sources })) });
      form.remove();
    } catch (error) {
      showProblem(form, error);
    }
  });
  $('post-actions').after(form);
  form.elements.title.focus();
}

function setLocked(locked) {
  $('locked-note').hidden = !locked;
  // A pending post takes no comments until a moderator publishes it.
  $('comment-form').hidden = !me || locked || !current || !!current.pending;
  $('signed-out-comment').hidden = !!me;
}

function postGone(text) {
  $('post-notice').textContent = text;
  $('comment-form').hidden = true;
  $('post-actions').replaceChildren();
}

// ---------- comments ----------

function isMine(c) {
  return me && c.author?.username === me.username;
}

/** The visible part of a comment: meta, body or tombstone, actions. Replaced whole when the comment changes. */
function content(c) {
  const box = h('div', { class: 'content' });
  if (c.blocked) {
    box.append(h('p', { class: 'tombstone' }, 'Comment from someone you blocked.'));
    return box;
  }
  if (c.deleted) {
    box.append(h('p', { class: 'tombstone' }, '[deleted]'));
    return box;
  }
  if (c.hidden && c.body == null) {
    box.append(h('p', { class: 'tombstone' }, '[removed by a moderator]'));
    return box;
  }
  box.append(h('p', { class: 'meta' }, userLink(c.author?.username), ' · ', time(c.createdAt), ' ', exact(c.createdAt),
    c.editedAt ? ' · edited' : '', c.hidden ? ' · ' : '', c.hidden ? h('span', { class: 'badge' }, 'removed by a moderator') : '',
    c.pending ? ' · ' : '', c.pending ? h('span', { class: 'badge pending' }, 'waiting for review') : ''));
  const body = h('div', { class: 'body' });
  setBodyHtml(body, c.bodyHtml);
  box.append(body);
  const actions = h('div', { class: 'row actions' });
  // Nobody else can see a pending comment yet, so nobody replies to it.
  if (me && !current?.locked && !c.pending) actions.append(h('button', { type: 'button', class: 'link reply', onclick: () => replyForm(c) }, 'Reply'));
  actions.append(h('a', { href: `/posts/${postId}#comment-${c.id}`, class: 'permalink', onclick: (event) => copyLink(event, c) }, 'Link'));
  if (me && isMine(c)) {
    actions.append(h('button', { type: 'button', class: 'link', onclick: () => editForm(c) }, 'Edit'),
      h('button', { type: 'button', class: 'link danger', onclick: async () => {
        if (confirm('Delete your comment? Replies to it stay.')) await del(`/api/comments/${c.id}`);
      } }, 'Delete'));
  } else if (me) {
    // Report and block are there when needed, not as loud as the conversation.
    actions.append(h('details', { class: 'menu' }, h('summary', { 'aria-label': `More actions for ${c.author?.username ?? 'this'} comment` }, '⋯'),
      h('div', { class: 'menu-items' },
        h('button', { type: 'button', class: 'link', onclick: () => report('comment', c.id) }, 'Report'),
        blockButton(c.author?.username, 'link'))));
  }
  if (isMod && !isMine(c)) {
    actions.append(moderateMenu({ type: 'comment', id: c.id, postId, author: c.author?.username, hidden: c.hidden,
      pending: c.pending }, { notice, after: (outcome) => settled(c.id, outcome) }));
  }
  box.append(actions);
  return box;
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
    $('post-notice').textContent = 'Link to the comment copied.';
  } catch {
    $('post-notice').textContent = `Link to the comment: ${url}`;
  }
}

/** Scrolls to a comment and marks it as the one the link is about. */
function target(id) {
  document.querySelectorAll('.comment.target').forEach((el) => el.classList.remove('target'));
  const known = comments.get(id);
  if (!known) return false;
  // A comment past the depth limit is behind "Continue this thread": open the way to it.
  for (let el = known.el.parentElement; el; el = el.parentElement) {
    if (el.classList?.contains('replies') && el.hidden) {
      el.hidden = false;
      el.previousElementSibling?.remove();
    }
  }
  known.el.classList.add('target');
  known.el.scrollIntoView({ block: 'center' });
  known.el.focus({ preventScroll: true });
  return true;
}

function targetFromHash() {
  const m = /^#comment-(\d+)$/.exec(location.hash);
  if (m && !target(Number(m[1]))) $('post-notice').textContent = 'That comment is not here any more.';
}

function countComments() {
  let n = 0;
  comments.forEach(({ data }) => { if (!data.deleted && !(data.hidden && data.body == null) && !data.blocked) n++; });
  $('comments-title').textContent = n === 0 ? 'Comments' : `Comments (${n})`;
}

function renderComment(c, depth) {
  const replies = h('ul', { class: 'replies', 'aria-label': 'Replies' });
  const unseen = lastSeen > 0 && c.id > lastSeen && !isMine(c);
  const li = h('li', { class: `comment${unseen ? ' unseen' : ''}`, id: `comment-${c.id}`, 'data-id': c.id, tabindex: '-1' },
    content(c), h('div', { class: 'forms' }), replies);
  comments.set(c.id, { data: c, el: li, depth });
  return li;
}

/** Puts a comment in the tree under its parent (or at the end), without touching anything already there. */
function place(c) {
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
  holder.append(li);
  $('no-comments').hidden = true;
  countComments();
  return li;
}

/** A pending comment this moderator approved (its comment.created follows) or rejected (gone from the page). */
function settled(id, outcome) {
  const known = comments.get(id);
  if (!known) return;
  if (outcome === 'approved') {
    update({ ...known.data, pending: false });
  } else {
    known.el.remove();
    comments.delete(id);
    countComments();
  }
}

function update(c) {
  const known = comments.get(c.id);
  if (!known) return;
  known.data = c;
  known.el.querySelector(':scope > .content').replaceWith(content(c));
  countComments();
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
    h('label', { for: id }, `Reply to ${parent.author?.username ?? 'comment'}`),
    h('textarea', { id, name: 'body', rows: 3 }),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Reply'),
      h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const key = form.dataset.key || (form.dataset.key = newKey());
    try {
      const created = await post(`/api/posts/${postId}/comments`, { body: form.elements.body.value, parentId: parent.id },
        { idempotencyKey: key, onRetry: () => retrying(form) });
      const li = place(created);
      form.remove();
      // Keyboard and screen-reader users continue from their reply, not from the top of the page.
      li.focus();
      announce(created.pending ? 'Your reply is waiting for a moderator to review it.' : 'Your reply is posted.');
      if (created.pending) notice('Your reply is waiting for a moderator to review it; only you can see it until then.');
    } catch (error) {
      if (error.status !== 0) delete form.dataset.key; // a refused text may be changed and sent anew
      showProblem(form, error);
    }
  });
  holder.append(form);
  form.elements.body.focus();
}

function retrying(form) {
  const general = form.querySelector('.form-error');
  if (general) general.textContent = "Can't reach Parley. Your text is kept; retrying…";
}

function editForm(c) {
  const holder = comments.get(c.id).el.querySelector(':scope > .forms');
  if (holder.querySelector('form')) return;
  const id = `edit-${c.id}`;
  const form = h('form', { class: 'card edit-form', novalidate: true },
    h('p', { class: 'form-error', role: 'alert' }), h('label', { for: id }, 'Edit your comment'),
    h('textarea', { id, name: 'body', rows: 3 }),
    h('div', { class: 'row' }, h('button', { class: 'primary', type: 'submit' }, 'Save'),
      h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel')));
  form.elements.body.value = c.body;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    try {
      update(await patch(`/api/comments/${c.id}`, { body: form.elements.body.value }));
      form.remove();
    } catch (error) {
      showProblem(form, error);
    }
  });
  holder.append(form);
  form.elements.body.focus();
}

// ---------- reports and blocks ----------

function report(targetType, targetId) {
  const dialog = $('report-dialog');
  const form = $('report-form');
  clearProblem(form);
  form.reset();
  dialog.onclose = async () => {
    if (dialog.returnValue !== 'send') return;
    try {
      await post('/api/reports', { targetType, targetId, reason: form.elements.reason.value,
        details: form.elements.details.value.trim() || undefined });
      announce('Thank you: the moderators have your report.');
      $('post-notice').textContent = 'Thank you: the moderators have your report.';
    } catch (error) {
      $('post-notice').textContent = error.message;
    }
  };
  dialog.showModal();
}

function blockButton(username, cls) {
  if (!username) return null;
  return h('button', { type: 'button', class: cls, 'data-block': username, onclick: async () => {
    if (!confirm(`Block ${username}? You will no longer see their posts and comments.`)) return;
    await put(`/api/me/blocks/${encodeURIComponent(username)}`);
    await reload();
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

function showWaiting() {
  const button = $('new-comments');
  button.hidden = waiting.length === 0;
  button.textContent = `${waiting.length} new comment${waiting.length === 1 ? '' : 's'}`;
  if (waiting.length) announce(button.textContent);
}

$('new-comments').addEventListener('click', () => {
  const first = waiting[0];
  while (waiting.length) place(waiting.shift());
  showWaiting();
  const el = first ? comments.get(first.id)?.el : null;
  if (el) {
    el.scrollIntoView({ block: 'center' });
    el.focus({ preventScroll: true });
  }
});

function onEvent(e) {
  const d = e.data;
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
      }
      if (!isMod) dropWaiting(d.id);
      break;
    }
    case 'post.edited':
      if (!d.removed) renderPost(d);
      break;
    case 'post.locked':
    case 'post.unlocked':
      renderPost({ ...current, locked: e.type === 'post.locked' });
      // Every comment's Reply goes or comes back with the lock.
      comments.forEach(({ data }) => update(data));
      break;
    case 'post.deleted':
      postGone('This post was deleted.');
      break;
    case 'post.hidden':
      if (isMod || me?.username === current?.author?.username) renderPost({ ...current, hidden: true });
      else postGone('A moderator removed this post.');
      break;
    case 'post.restored':
      if (!d.removed) renderPost(d);
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
  all.forEach(place);
  $('no-comments').hidden = comments.size > 0;
  countComments();
  const newest = all.reduce((max, c) => Math.max(max, c.id), 0);
  if (newest > lastSeen) localStorage.setItem(SEEN_KEY, String(newest));
  return seq;
}

/** After a resync or a block: fetch everything again and bring the page up to date in place. */
async function reload() {
  try {
    const p = await get(`/api/posts/${postId}`);
    if (p.blocked) {
      $('post').hidden = true;
      $('not-found').hidden = false;
      $('not-found').textContent = 'This post is by someone you blocked.';
      $('comment-form').hidden = true;
    } else {
      renderPost(p);
    }
  } catch {
    postGone('This post is no longer available.');
  }
  await loadComments();
}

async function start() {
  renderHeader();
  refreshTimes();
  let p;
  try {
    p = await get(`/api/posts/${postId}`);
  } catch {
    $('not-found').hidden = false;
    $('live-status').hidden = true;
    return;
  }
  if (p.blocked) {
    $('not-found').hidden = false;
    $('not-found').textContent = 'This post is by someone you blocked.';
    return;
  }
  renderPost(p);
  const commentsSeq = await loadComments();
  const since = Math.min(p.seq, commentsSeq);
  const form = $('comment-form');
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const key = form.dataset.key || (form.dataset.key = newKey());
    try {
      const created = await post(`/api/posts/${postId}/comments`, { body: form.elements.body.value },
        { idempotencyKey: key, onRetry: () => retrying(form) });
      place(created);
      if (created.pending) {
        notice('Your comment is waiting for a moderator to review it; only you can see it until then.');
        announce('Your comment is waiting for review.');
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
  connection().subscribe(`parley.post.${postId}`, { since, onEvent, onResync: () => reload() });
}

start();
