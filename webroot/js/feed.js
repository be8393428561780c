/** The community feed: newest posts first, new ones waiting behind a button, comment counts updating live. */
import { get, post } from './api.js';
import * as session from './session.js';
import { connection, onStatus } from './connection.js';
import { h, time, userLink, domain, renderHeader, showProblem, clearProblem, refreshTimes, announce, liveStatus } from './ui.js';

const feed = document.getElementById('feed');
const more = document.getElementById('more');
const newPosts = document.getElementById('new-posts');
const waiting = [];
/** The newest post.stats seq applied per post: feed events may arrive out of order. */
const statsSeq = new Map();
let cursor = null;

function item(p) {
  const sources = (p.sources || []).map(domain);
  return h('li', { class: 'card', id: `post-${p.id}`, 'data-id': p.id },
    h('h2', {}, h('a', { href: `/posts/${p.id}`, class: 'post-link' }, p.title)),
    h('p', { class: 'meta' }, 'by ', userLink(p.author?.username), ' · ', time(p.createdAt), ' · ',
      h('span', { class: 'comment-count' }, countText(p.commentCount)),
      sources.length ? ` · ${[...new Set(sources)].join(', ')}` : ''),
    p.excerpt ? h('p', { class: 'excerpt' }, p.excerpt) : null);
}

const countText = (n) => `${n} comment${n === 1 ? '' : 's'}`;

async function load() {
  const page = await get(`/api/posts?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  page.items.forEach((p) => { if (!document.getElementById(`post-${p.id}`)) feed.append(item(p)); });
  cursor = page.nextCursor;
  more.hidden = !cursor;
  document.getElementById('empty').hidden = feed.children.length > 0;
}

function showWaiting() {
  newPosts.hidden = waiting.length === 0;
  newPosts.textContent = `${waiting.length} new post${waiting.length === 1 ? '' : 's'}`;
}

newPosts.addEventListener('click', () => {
  // Oldest of the waiting first, each above the last, so the newest ends on top; the reader asked for them, so
  // the page may move now.
  while (waiting.length) {
    const p = waiting.pop();
    if (!document.getElementById(`post-${p.id}`)) feed.prepend(item(p));
  }
  document.getElementById('empty').hidden = true;
  showWaiting();
  feed.firstElementChild?.querySelector('a')?.focus();
});

more.addEventListener('click', () => load());

function onEvent(e) {
  const el = (id) => document.getElementById(`post-${id}`);
  switch (e.type) {
    case 'post.created':
    case 'post.restored':
      if (e.data.removed) break;
      if (!el(e.data.id) && !waiting.some((p) => p.id === e.data.id)) {
        waiting.unshift(e.data);
        showWaiting();
        announce(`${waiting.length} new post${waiting.length === 1 ? '' : 's'}`);
      }
      break;
    case 'post.stats': {
      if ((statsSeq.get(e.data.postId) ?? -1) > e.seq) break;
      statsSeq.set(e.data.postId, e.seq);
      const count = el(e.data.postId)?.querySelector('.comment-count');
      if (count) count.textContent = countText(e.data.commentCount);
      break;
    }
    case 'post.edited': {
      const link = el(e.data.id)?.querySelector('.post-link');
      if (link && e.data.title) link.textContent = e.data.title;
      break;
    }
    case 'post.deleted':
    case 'post.hidden': {
      el(e.data.id)?.remove();
      const i = waiting.findIndex((p) => p.id === e.data.id);
      if (i >= 0) {
        waiting.splice(i, 1);
        showWaiting();
      }
      break;
    }
    default:
  }
}

/** After a reconnect the feed cannot replay: refetch the first page, update what is shown, queue what is new. */
async function resync() {
  const page = await get('/api/posts?limit=20');
  const newestShown = Math.max(0, ...[...feed.children].map((li) => Number(li.dataset.id)));
  for (const p of page.items) {
    const shown = document.getElementById(`post-${p.id}`);
    if (shown) {
      shown.querySelector('.comment-count').textContent = countText(p.commentCount);
      shown.querySelector('.post-link').textContent = p.title;
    } else if (p.id > newestShown && !waiting.some((w) => w.id === p.id)) {
      waiting.push(p);
    }
  }
  waiting.sort((a, b) => b.id - a.id);
  showWaiting();
}

function composer() {
  const signedIn = !!session.current();
  document.getElementById('composer').hidden = !signedIn;
  document.getElementById('signed-out-note').hidden = signedIn;
  const form = document.getElementById('post-form');
  const preview = document.getElementById('preview');
  document.getElementById('preview-button').addEventListener('click', async () => {
    const body = form.elements.body.value;
    if (!body.trim()) return;
    try {
      const { bodyHtml } = await post('/api/markdown/preview', { body });
      preview.hidden = false;
      preview.innerHTML = bodyHtml; // the server's sanitised rendering
    } catch (error) {
      showProblem(form, error);
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const sources = form.elements.sources.value.split('\n').map((s) => s.trim()).filter(Boolean);
    try {
      const created = await post('/api/posts', { title: form.elements.title.value, body: form.elements.body.value, sources });
      location.assign(`/posts/${created.id}`);
    } catch (error) {
      showProblem(form, error);
    }
  });
}

renderHeader();
composer();
refreshTimes();
load().catch(() => { document.getElementById('empty').hidden = false; });
onStatus(liveStatus(document.getElementById('live-status')));
connection().subscribe('parley.feed', { onEvent, onResync: () => resync().catch(() => {}) });
