/**
 * The search page: the query kept in its box, a tab for each kind of result (posts, comments, people), results a
 * page at a time with their highlighted snippets, and an empty state. The header's box on every other page leads
 * here (GET /search?q=…).
 */
import { get } from './api.js';
import * as session from './session.js';
import { h, time, userLink, renderHeader, refreshTimes, showProblem, clearProblem, announce, plural, cleanSearch,
  cutText } from './ui.js';

const $ = (id) => document.getElementById(id);
/** The kinds the API searches, and what the page calls them. */
const KINDS = { posts: 'posts', comments: 'comments', users: 'people' };

const params = new URLSearchParams(location.search);
const query = (params.get('q') ?? '').trim();
const type = Object.hasOwn(KINDS, params.get('type') ?? '') ? params.get('type') : 'posts';
let cursor = null;

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };

/**
 * Marked text as nodes: a snippet or a post's titleHtml. The server sends escaped text whose only markup is <mark>;
 * it is taken apart here rather than parsed as HTML, so nothing in it could ever become anything but text and marks.
 */
function marked(html) {
  const nodes = [];
  let open = false;
  for (const part of String(html ?? '').split(/(<mark>|<\/mark>)/)) {
    if (part === '<mark>') open = true;
    else if (part === '</mark>') open = false;
    else if (part) {
      const text = part.replace(/&(?:amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]);
      nodes.push(open ? h('mark', {}, text) : text);
    }
  }
  return nodes;
}

const snippet = (html) => h('p', { class: 'snippet' }, marked(html));


/** How much of a comment's thread title its result shows before it is cut at a word. */
const THREAD_TITLE_CHARS = 60;

const RESULT = {
  posts: (p) => h('li', { class: 'card result', id: `result-post-${p.id}` },
    // The title with the words found in it marked: a post found by its title alone shows why.
    h('h2', {}, h('a', { href: `/posts/${p.id}` }, p.titleHtml ? marked(p.titleHtml) : p.title)),
    h('p', { class: 'meta' }, 'by ', userLink(p.author?.username), ' · ', time(p.createdAt), ' · ',
      h('span', { class: 'nowrap' }, plural(p.commentCount, 'comment')), ' · ',
      h('span', { class: 'nowrap' }, plural(p.score, 'point'))),
    snippet(p.snippet)),
  // The comment's passage is what was found: its thread's title is a smaller heading, cut at a word (a page review:
  // on a phone each result began with five bold lines of the same title).
  comments: (c) => h('li', { class: 'card result comment-result', id: `result-comment-${c.id}` },
    h('h2', {}, h('a', { href: `/posts/${c.postId}#comment-${c.id}`, class: 'permalink' },
      'Comment on ', cutText('span', { class: 'post-title' }, c.postTitle ?? '', THREAD_TITLE_CHARS))),
    h('p', { class: 'meta' }, 'by ', userLink(c.author?.username), ' · ', time(c.createdAt)),
    snippet(c.snippet)),
  users: (u) => h('li', { class: 'card result', id: `result-user-${u.username}` },
    h('h2', {}, h('a', { href: `/u/${encodeURIComponent(u.username)}` }, u.username)),
    h('p', { class: 'meta' }, 'joined ', time(u.createdAt))),
};

/** The next page of results, appended; returns the first new result. */
async function load() {
  const form = $('search-form');
  const search = new URLSearchParams({ q: query, type, limit: '20' });
  if (cursor) search.set('cursor', cursor);
  let page;
  try {
    page = await get(`/api/search?${search}`);
  } catch (error) {
    showProblem(form, error);
    return false;
  }
  clearProblem(form);
  if (!cursor) scope(page);
  const list = $('results');
  const items = page.items.map(RESULT[type]);
  list.append(...items);
  list.hidden = list.children.length === 0;
  $('search-empty').hidden = list.children.length > 0;
  cursor = page.nextCursor;
  $('more').hidden = !cursor;
  return items[0] ?? null;
}

/**
 * Says so when a common query was ranked among its newest matches only (the API's rankedAmong), so a reader who
 * misses an old post knows to add a word rather than scroll.
 */
function scope(page) {
  const note = $('search-scope');
  note.hidden = page.rankedAmong !== 'newest';
  if (note.hidden) return;
  const newest = Number(page.rankLimit).toLocaleString('en');
  note.textContent = `“${query}” matches many ${KINDS[type]}, so these are the best of the newest ${newest} `
    + 'that match. Add a word to reach older ones.';
}

function tabs() {
  for (const tab of document.querySelectorAll('.search-tabs a')) {
    const search = new URLSearchParams({ type: tab.dataset.type });
    if (query) search.set('q', query);
    tab.href = `/search?${search}`;
    if (tab.dataset.type === type) tab.setAttribute('aria-current', 'page');
  }
}

async function start() {
  renderHeader();
  refreshTimes();
  tabs();
  const form = $('search-form');
  const input = $('search-q');
  input.value = query;
  $('search-type').value = type;
  form.addEventListener('submit', (event) => {
    cleanSearch(input);
    if (input.value.trim()) return; // the browser goes to /search?q=…&type=…
    event.preventDefault();
    showProblem(form, { fieldErrors: () => ({ q: 'is required' }) });
    input.focus();
  });
  if (!query) {
    input.focus();
    return;
  }
  document.title = `${query} · Search · Parley`;
  $('search-empty-title').textContent = `No ${KINDS[type]} match “${query}”`;
  // A signed-in reader's search leaves out the people they blocked and what those wrote: "no match" alone was untrue.
  if (session.current()) {
    $('search-empty-hint').textContent = 'Try fewer or other words, or look in the other tabs. People you blocked, '
      + 'and what they wrote, are not shown.';
  }
  $('more').addEventListener('click', async () => {
    // Keyboard users land on what was just loaded.
    ((await load()) || null)?.querySelector('a')?.focus();
  });
  // A refused query says why in the form (announced there), not also that nothing was found.
  if (await load() === false) return;
  const shown = $('results').children.length;
  announce(shown ? `${plural(shown, 'result')}${cursor ? ', more available' : ''}` : `No ${KINDS[type]} found`);
}

start();
