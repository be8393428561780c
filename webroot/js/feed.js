/**
 * The community feed: posts in the reader's chosen order (new, hot, top of a period, active), optionally only one
 * tag's; new ones waiting behind a button, comment counts and scores updating live. The order is in the address
 * (?sort=top&period=week, ?tag=rust) and remembered in this browser for the next visit.
 */
import { get, post, newKey } from './api.js';
import * as session from './session.js';
import { connection, onStatus } from './connection.js';
import { suggestMentions } from './mentions.js';
import { h, time, userLink, domain, renderHeader, showProblem, clearProblem, refreshTimes, announce, liveStatus, parseTags, listProblems, badgeMark, retrying,
  setBodyHtml } from './ui.js';

const feed = document.getElementById('feed');
const more = document.getElementById('more');
const newPosts = document.getElementById('new-posts');
const waiting = [];
/** The newest post.stats and post.score seq applied per post: feed events may arrive out of order. */
const statsSeq = new Map();
const scoreSeq = new Map();
let cursor = null;
/** Bumped by every change of order: a page that comes back for an order no longer shown is dropped. */
let generation = 0;

/** following: the posts of the people the reader follows (signed in only), newest first. */
const SORTS = ['new', 'hot', 'top', 'active', 'following'];
const PERIODS = ['day', 'week', 'month', 'year', 'all'];
const SORT_KEY = 'parley.feed.sort';
/** Tags as the server accepts them ("rust", "show-hn"). */
const TAG = /^[a-z0-9](?:[a-z0-9-]{0,28}[a-z0-9])?$/;

/** What the feed shows: {sort, period, tag}, from the address, else this browser's last choice. */
const view = readView();

function readView() {
  const params = new URLSearchParams(location.search);
  let stored = {};
  try { stored = JSON.parse(localStorage.getItem(SORT_KEY) || '{}') || {}; } catch { /* a bad value is no choice */ }
  const fromUrl = SORTS.includes(params.get('sort'));
  const sort = fromUrl ? params.get('sort') : (SORTS.includes(stored.sort) ? stored.sort : 'new');
  const period = PERIODS.includes(params.get('period')) ? params.get('period')
    : (PERIODS.includes(stored.period) ? stored.period : 'week');
  const tag = params.has('tag') ? params.get('tag').trim().replace(/^#/, '').toLowerCase() : null;
  if (fromUrl) remember(sort, period);
  return { sort, period, tag };
}

function remember(sort, period) {
  try { localStorage.setItem(SORT_KEY, JSON.stringify({ sort, period })); } catch { /* private mode: no memory */ }
}

/** The address of a view: the order (new is the plain default) and the tag. */
function href({ sort, period, tag }) {
  const params = new URLSearchParams();
  if (sort !== 'new') params.set('sort', sort);
  if (sort === 'top') params.set('period', period);
  if (tag) params.set('tag', tag);
  const query = params.toString();
  return query ? `/?${query}` : '/';
}

function apiQuery() {
  let q = `sort=${view.sort}`;
  if (view.sort === 'top') q += `&period=${view.period}`;
  if (view.tag) q += `&tag=${encodeURIComponent(view.tag)}`;
  return q;
}

const PERIOD_WORDS = { day: 'today', week: 'this week', month: 'this month', year: 'this year', all: 'of all time' };

function orderWords() {
  switch (view.sort) {
    case 'hot': return 'hot first';
    case 'top': return `most points first, ${PERIOD_WORDS[view.period]}`;
    case 'active': return 'most recently active first';
    case 'following': return 'from people you follow, newest first';
    default: return 'newest first';
  }
}

const countText = (n) => `${n} comment${n === 1 ? '' : 's'}`;
const pointsText = (n) => `${n} point${n === 1 || n === -1 ? '' : 's'}`;

/** Tag chips: each leads to its tag's view. */
function tagList(tags) {
  if (!tags?.length) return null;
  return h('ul', { class: 'tags', 'aria-label': 'Tags' },
    ...tags.map((t) => h('li', {}, h('a', { class: 'tag', href: `/?tag=${encodeURIComponent(t)}` }, t))));
}

/** The "locked" marker after a post's comment count, shown while a moderator keeps its thread locked. */
const lockedMark = () => badgeMark('locked', { mark: 'locked-mark',
  title: 'A moderator locked this thread: it takes no new comments.' });

/** Shows or removes a listed post's locked marker. */
function showLocked(li, locked) {
  const mark = li?.querySelector('.locked-mark');
  if (!li || !!mark === !!locked) return;
  if (mark) mark.remove();
  else li.querySelector('.comment-count').after(lockedMark());
}

function item(p, arrived = false) {
  const sources = (p.sources || []).map(domain);
  return h('li', { class: 'card', id: `post-${p.id}`, 'data-id': p.id },
    h('h2', {}, h('a', { href: `/posts/${p.id}`, class: 'post-link' }, p.title)),
    h('p', { class: 'meta' }, h('span', { class: 'score' }, pointsText(p.score ?? 0)), ' · by ',
      userLink(p.author?.username), ' · ', time(p.createdAt), ' · ',
      h('span', { class: 'comment-count' }, countText(p.commentCount)),
      p.locked ? lockedMark() : null,
      sources.length ? ` · ${[...new Set(sources)].join(', ')}` : '',
      // Outside the newest-first order an arrival is put on top, out of rank: say why it is there.
      arrived ? ' · ' : '', arrived ? h('span', { class: 'badge' }, 'new') : ''),
    tagList(p.tags),
    // The author's own summary when they wrote one, else the start of the body.
    p.description || p.excerpt ? h('p', { class: 'excerpt' }, p.description || p.excerpt) : null);
}

async function load() {
  const mine = generation;
  const after = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
  const page = await get(view.sort === 'following' ? `/api/feed/following?limit=20${after}`
    : `/api/posts?limit=20&${apiQuery()}${after}`);
  if (mine !== generation) return;
  page.items.forEach((p) => { if (!document.getElementById(`post-${p.id}`)) feed.append(item(p)); });
  cursor = page.nextCursor;
  more.hidden = !cursor;
  showEmpty(feed.children.length === 0);
}

/**
 * A page that did not load: a refusal of the view (a tag that cannot be, 4xx) is its empty state, with its own
 * words; anything else (no answer, the server busy) says so and offers to try again, rather than "No posts yet"
 * (a page review: a lost connection read as an empty community).
 */
function notLoaded(error) {
  const status = error?.status ?? 0;
  if (status >= 400 && status < 500) {
    showEmpty(true);
    return;
  }
  const box = document.getElementById('empty');
  const [title, text] = box.children;
  title.textContent = 'The posts could not be loaded';
  text.replaceChildren(`${error?.message || 'No answer from Parley.'} `, h('button', { type: 'button', id: 'feed-retry',
    onclick: () => { box.hidden = true; load().catch(notLoaded); } }, 'Try again'));
  box.hidden = false;
}

function showEmpty(empty) {
  const box = document.getElementById('empty');
  box.hidden = !empty;
  if (!empty) return;
  const [title, text] = box.children;
  if (view.tag && !TAG.test(view.tag)) {
    title.textContent = 'There is no such tag';
    text.replaceChildren('Tags are letters, digits and hyphens. ', h('a', { href: href({ ...view, tag: null }) }, 'See all posts'), '.');
  } else if (view.tag) {
    title.textContent = view.sort === 'top' && view.period !== 'all' ? `No posts tagged ${view.tag} ${PERIOD_WORDS[view.period]}`
      : `No posts tagged ${view.tag} yet`;
    text.replaceChildren(h('a', { href: href({ ...view, tag: null }) }, 'See all posts'), '.');
  } else if (view.sort === 'following') {
    title.textContent = 'No posts from people you follow';
    text.replaceChildren('Open someone\'s name on a post or comment and choose Follow: their posts will show here. ',
      h('a', { href: href({ ...view, sort: 'new' }) }, 'See all posts'), '.');
  } else if (view.sort === 'top' && view.period !== 'all') {
    // The period may be one remembered from an earlier visit: the way out is one click, not a hunt for the menu.
    title.textContent = `No posts ${PERIOD_WORDS[view.period]}`;
    text.replaceChildren('Choose a longer period to see more, or ',
      h('a', { href: href({ ...view, period: 'all' }) }, 'see the top posts of all time'), '.');
  } else if (session.current()) {
    title.textContent = 'No posts yet';
    text.replaceChildren('Start the conversation: write the first post above.');
  } else {
    title.textContent = 'No posts yet';
    text.replaceChildren('Start the conversation: ', h('a', { href: '/login' }, 'register'), ', then write the first post.');
  }
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
    if (!document.getElementById(`post-${p.id}`)) feed.prepend(item(p, view.sort !== 'new'));
  }
  showEmpty(false);
  showWaiting();
  feed.firstElementChild?.querySelector('a')?.focus();
});

more.addEventListener('click', async () => {
  const last = feed.lastElementChild;
  const before = new Set([...feed.children]);
  await load();
  // Keyboard users go on from what was just loaded: the button they pressed may have gone with the last page.
  const brought = [...feed.children].filter((li) => !before.has(li));
  const first = (last?.isConnected ? last.nextElementSibling : null) ?? brought[0];
  (first ?? feed.lastElementChild)?.querySelector('a.post-link')?.focus();
  announce(brought.length ? `${brought.length} more post${brought.length === 1 ? '' : 's'}.` : 'No more posts.');
});

/** Whether a post belongs in this view (the tag view shows only its tag's posts). */
const belongs = (p) => view.sort !== 'following' && (!view.tag || (p.tags || []).includes(view.tag));

function onEvent(e) {
  const el = (id) => document.getElementById(`post-${id}`);
  switch (e.type) {
    case 'post.created':
    case 'post.restored':
      if (e.data.removed || !belongs(e.data)) break;
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
    case 'post.score': {
      // The score changes in place; the list is not re-ranked under the reader.
      if ((scoreSeq.get(e.data.id) ?? -1) > e.seq) break;
      scoreSeq.set(e.data.id, e.seq);
      const score = el(e.data.id)?.querySelector('.score');
      if (score) score.textContent = pointsText(e.data.score);
      waiting.forEach((p) => { if (p.id === e.data.id) Object.assign(p, { score: e.data.score }); });
      break;
    }
    case 'post.edited': {
      const shown = el(e.data.id);
      const link = shown?.querySelector('.post-link');
      if (link && e.data.title) link.textContent = e.data.title;
      if (shown && ('description' in e.data || 'excerpt' in e.data)) {
        // The summary, or the body's start: an edited body showed its old words until a reload (a page probe).
        const text = e.data.description || e.data.excerpt;
        const old = shown.querySelector('.excerpt');
        if (old && text) old.textContent = text;
        else if (old) old.remove();
        else if (text) shown.append(h('p', { class: 'excerpt' }, text));
      }
      if (shown && Array.isArray(e.data.tags)) {
        const chips = tagList(e.data.tags);
        const old = shown.querySelector('.tags');
        if (old && chips) old.replaceWith(chips);
        else if (old) old.remove();
        else if (chips) shown.querySelector('.meta').after(chips);
      }
      break;
    }
    case 'post.locked':
    case 'post.unlocked': {
      const locked = e.type === 'post.locked';
      showLocked(el(e.data.id), locked);
      waiting.forEach((p) => { if (p.id === e.data.id) p.locked = locked; });
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
  const mine = generation;
  const page = await get(`/api/posts?limit=20&${apiQuery()}`);
  if (mine !== generation) return;
  const newestShown = Math.max(0, ...[...feed.children].map((li) => Number(li.dataset.id)));
  for (const p of page.items) {
    const shown = document.getElementById(`post-${p.id}`);
    if (shown) {
      shown.querySelector('.comment-count').textContent = countText(p.commentCount);
      shown.querySelector('.score').textContent = pointsText(p.score ?? 0);
      shown.querySelector('.post-link').textContent = p.title;
      showLocked(shown, p.locked);
    } else if (p.id > newestShown && !waiting.some((w) => w.id === p.id)) {
      waiting.push(p);
    }
  }
  waiting.sort((a, b) => b.id - a.id);
  showWaiting();
}

// ---------- the order and the tag view ----------

function showView() {
  const tagged = !!view.tag;
  document.getElementById('feed-title').textContent = tagged ? `Posts tagged ${view.tag}` : 'Community';
  document.getElementById('all-posts').hidden = !tagged;
  document.getElementById('all-posts-link').href = href({ ...view, tag: null });
  if (tagged) document.title = `Parley: posts tagged ${view.tag}`;
  feed.setAttribute('aria-label', `${tagged ? `Posts tagged ${view.tag}` : 'Posts'}, ${orderWords()}`);
  document.querySelectorAll('#sorts a[data-sort]').forEach((a) => {
    const sort = a.dataset.sort;
    a.href = href({ ...view, sort });
    if (sort === view.sort) a.setAttribute('aria-current', 'true');
    else a.removeAttribute('aria-current');
  });
  document.getElementById('period-field').hidden = view.sort !== 'top';
  document.getElementById('period').value = view.period;
}

/** Shows the feed in another order: the address and this browser's memory follow; nothing reloads but the list. */
function choose(sort, period, push = true) {
  view.sort = sort;
  view.period = period;
  remember(sort, period);
  if (push && location.pathname + location.search !== href(view)) history.pushState(null, '', href(view));
  showView();
  generation++;
  cursor = null;
  waiting.length = 0;
  showWaiting();
  feed.replaceChildren();
  more.hidden = true;
  announce(`Posts, ${orderWords()}`);
  return load().catch(notLoaded);
}

function sortControls() {
  document.querySelectorAll('#sorts a[data-sort]').forEach((a) => a.addEventListener('click', (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab
    event.preventDefault();
    choose(a.dataset.sort, view.period);
  }));
  document.getElementById('period').addEventListener('change', (event) => choose('top', event.target.value));
  addEventListener('popstate', () => {
    const params = new URLSearchParams(location.search);
    const tag = params.get('tag');
    if ((tag ?? null) !== (view.tag ?? null)) {
      location.reload(); // another tag is another view
      return;
    }
    const sort = SORTS.includes(params.get('sort')) ? params.get('sort') : 'new';
    choose(sort, PERIODS.includes(params.get('period')) ? params.get('period') : view.period, false);
  });
  // The address says what is shown, also when the order came from this browser's memory.
  if (location.pathname + location.search !== href(view)) history.replaceState(null, '', href(view));
  showView();
}

// ---------- writing a post ----------

function composer() {
  const signedIn = !!session.current();
  document.getElementById('composer').hidden = !signedIn;
  document.getElementById('signed-out-note').hidden = signedIn;
  const form = document.getElementById('post-form');
  const preview = document.getElementById('preview');
  if (view.tag && TAG.test(view.tag)) form.elements.tags.value = view.tag; // writing in a tag's view
  suggestMentions(form.elements.body);
  document.getElementById('preview-button').addEventListener('click', async () => {
    const body = form.elements.body.value;
    if (!body.trim()) return;
    try {
      const { bodyHtml } = await post('/api/markdown/preview', { body });
      preview.hidden = false;
      setBodyHtml(preview, bodyHtml); // the server's sanitised rendering
    } catch (error) {
      showProblem(form, error);
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearProblem(form);
    const sources = form.elements.sources.value.split('\n').map((s) => s.trim()).filter(Boolean);
    const tags = parseTags(form.elements.tags.value);
    // One key per text being sent: a double click, or a retry after no answer, creates one post, not two.
    const key = form.dataset.key || (form.dataset.key = newKey());
    try {
      const created = await post('/api/posts', { title: form.elements.title.value,
        description: form.elements.description.value, body: form.elements.body.value, sources, tags },
        { idempotencyKey: key, onRetry: () => retrying(form) });
      location.assign(`/posts/${created.id}`);
    } catch (error) {
      if (error.status !== 0) delete form.dataset.key; // a refused text may be changed and sent anew
      showProblem(form, listProblems(error, ['tags', tags], ['sources', sources]));
    }
  });
}

renderHeader();
// The following feed is the reader's own: a signed-out reader has no such tab (and falls back to new).
document.getElementById('following-tab').hidden = !session.current();
if (view.sort === 'following' && !session.current()) view.sort = 'new';
sortControls();
composer();
refreshTimes();
load().catch(notLoaded);
onStatus(liveStatus(document.getElementById('live-status')));
connection().subscribe('parley.feed', { onEvent, onResync: () => resync().catch(() => {}) });
