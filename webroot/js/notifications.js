/**
 * The inbox: unread first, a thread's unread notifications of one kind grouped ("3 new replies on …"), each a link
 * to what it is about (reading it marks it read), and "Mark all as read". New ones appear live, and reading on
 * another tab or device updates this one.
 */
import { get, post } from './api.js';
import * as session from './session.js';
import { h, time, renderHeader, refreshTimes, announce, signInHref, me, cutText } from './ui.js';

const $ = (id) => document.getElementById(id);
let items = [];
let cursor = null;

const WHAT = {
  reply: (n) => [actor(n), ' replied to your comment'],
  comment: (n) => [actor(n), ' commented on your post'],
  mention: (n) => [actor(n), ' mentioned you'],
  followed: (n) => [actor(n), ' commented in a thread you follow'],
  moderation: (n) => moderation(n),
  report: (n) => report(n),
};

/** How much of a post's title an entry shows before it is cut at a word. */
const TITLE_CHARS = 70;

const GROUPED = { reply: 'new replies', comment: 'new comments', followed: 'new comments', mention: 'new mentions' };

function actor(n) {
  return h('strong', {}, n.actor?.username ?? 'Someone');
}

/** A report's outcome as one sentence, its thread's title inside it ("Your report on “…” was upheld: …"). */
function report(n) {
  const on = n.post?.title ? [' on ', cutText('em', {}, n.post.title, TITLE_CHARS)] : [];
  switch (n.detail?.outcome) {
    case 'hidden': return ['Your report', ...on, ' was upheld: the content was removed'];
    // Closed by Parley, not reviewed: saying "no action was needed" of a troll's erased words was untrue.
    case 'closed': return ['Your report', ...on, ' was closed', n.detail.why ? `: ${lowerFirst(n.detail.why)}` : '.'];
    default: return ['Your report', ...on, ' was reviewed: no action was needed'];
  }
}

function lowerFirst(text) {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/**
 * What a moderator did to the reader's post or comment, as one sentence with the thread's title inside it: "A
 * moderator published your post “…”", "removed your comment on “…” (reason)". The title used to follow the
 * sentence, reason and all, which read as another thread ("published your post on Hello…", a moderator's probe).
 */
function moderation(n) {
  const detail = n.detail;
  const action = detail?.action ?? '';
  const post = action.startsWith('post.');
  const title = n.post?.title ? cutText('em', {}, n.post.title, TITLE_CHARS) : null;
  const what = post ? ['your post', ...(title ? [' ', title] : [])] : ['your comment', ...(title ? [' on ', title] : [])];
  const why = detail?.reason ? ` (${detail.reason})` : '';
  switch (action.split('.')[1]) {
    case 'approved': return ['A moderator published ', ...what];
    case 'rejected': return ['A moderator declined to publish ', ...what, why];
    case 'hidden': return ['A moderator removed ', ...what, why];
    case 'deleted': return ['A moderator deleted ', ...what];
    case 'restored': return ['A moderator restored ', ...what, why];
    case 'locked': return ['A moderator locked ', ...what, ' to new comments', why];
    case 'unlocked': return ['A moderator reopened ', ...what, ' to comments', why];
    default: return ['A moderator changed ', ...what, why];
  }
}

/**
 * What an unread notification is grouped by, or null: a thread's of one kind; and a moderator's removals (or
 * deletions, or declines) with one reason, whatever the thread: a ban's takedown told the member of each piece, one line each (a
 * moderator's probe: 25 lines).
 */
function groupKey(n) {
  if (n.read) return null;
  if (n.kind === 'moderation') {
    const action = n.detail?.action ?? '';
    return /\.(hidden|rejected|deleted)$/.test(action) ? `moderation:${action}:${n.detail?.reason ?? ''}` : null;
  }
  return GROUPED[n.kind] && n.post?.id ? `${n.kind}:${n.post.id}` : null;
}

/** A group of removals, deletions or declines with one reason: "A moderator removed 25 of your comments (Spam)". */
function moderationMany(g) {
  const action = g.detail?.action ?? '';
  const what = `${g.group.length} of your ${action.startsWith('post.') ? 'posts' : 'comments'}`;
  const why = g.detail?.reason ? ` (${g.detail.reason})` : '';
  const verb = action.endsWith('.rejected') ? 'declined to publish' : action.endsWith('.deleted') ? 'deleted' : 'removed';
  return [`A moderator ${verb} ${what}${why}`];
}

/**
 * Unread notifications of one group (groupKey) become one entry, where the newest of them is, however many other
 * notifications came in between.
 */
function grouped(list) {
  const out = [];
  const groups = new Map();
  for (const n of list) {
    const key = groupKey(n);
    const group = key && groups.get(key);
    if (group) {
      group.group.push(n);
    } else {
      const entry = { ...n, group: [n] };
      if (key) groups.set(key, entry);
      out.push(entry);
    }
  }
  return out;
}

function render() {
  const list = $('inbox');
  list.replaceChildren(...grouped(items).map(entry));
  $('inbox-empty').hidden = items.length > 0;
  $('mark-all').hidden = !items.some((n) => !n.read);
  $('more').hidden = !cursor;
}

function entry(g) {
  const many = g.group.length > 1;
  const text = many ? (g.kind === 'moderation' ? moderationMany(g) : [`${g.group.length} ${GROUPED[g.kind]}`])
    : WHAT[g.kind]?.(g) ?? [g.kind];
  // "commented on your post Title", not "on your post on Title".
  // A long title is cut at a word, the whole of it the tooltip: on a phone each entry took four or five lines of it.
  // (A report's and a moderator's sentences have the title inside them.)
  const where = g.post?.title && g.kind !== 'report' && g.kind !== 'moderation' ? [!many && g.kind === 'comment' ? ' ' : ' on ',
    cutText('em', {}, g.post.title, TITLE_CHARS)] : [];
  const link = h('a', { href: g.url ?? '#', class: 'inbox-link', onclick: (event) => open(event, g) }, ...text, ...where);
  const excerpt = !many && g.comment?.excerpt ? h('p', { class: 'excerpt' }, g.comment.excerpt) : null;
  return h('li', { class: `card inbox-item${g.read ? '' : ' unread'}`, 'data-id': g.id },
    g.read ? null : h('span', { class: 'visually-hidden' }, 'Unread: '), link, excerpt,
    h('p', { class: 'meta' }, time(g.createdAt)));
}

/** Reading a notification marks it (and those grouped with it) read, then follows its link. */
async function open(event, g) {
  const unread = g.group.filter((n) => !n.read).map((n) => n.id);
  if (!unread.length) return;
  event.preventDefault();
  try {
    await post('/api/me/notifications/read', { ids: unread });
  } finally {
    location.assign(g.url ?? '/notifications');
  }
}

async function load(reset) {
  const page = await get(`/api/me/notifications?order=unread&limit=30${!reset && cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
  items = reset ? page.items : items.concat(page.items);
  cursor = page.nextCursor;
  render();
  // "Load more" may go away with the last page: focus moves to the first of the new ones (as search's does), not to
  // the top of the page.
  if (reset) return;
  if (!page.items[0]) {
    announce('No more notifications.');
    return;
  }
  // (A new one grouped into an entry above has no entry of its own: then the last entry.)
  const own = page.items.filter((n) => $('inbox').querySelector(`li[data-id="${n.id}"]`));
  const first = (own[0] && $('inbox').querySelector(`li[data-id="${own[0].id}"] a`))
    ?? [...$('inbox').querySelectorAll('li a')].at(-1);
  first?.focus();
  // Said, since an older one that joins a group above changes that entry's count and nothing else shows it.
  const joined = page.items.length - own.length;
  announce(`${page.items.length} more notification${page.items.length === 1 ? '' : 's'}`
    + (joined ? `, ${joined} of them counted in the groups above.` : '.'));
}

/**
 * The first page, or, when it does not come (no answer, the server busy), a line that says so with a way to try
 * again: not a bare heading that reads as an empty inbox (a page review).
 */
async function firstLoad() {
  try {
    await load(true);
    $('inbox-failed').hidden = true;
  } catch (error) {
    $('inbox-failed').replaceChildren(`Your notifications could not be loaded. ${error?.message ?? ''} `,
      h('button', { type: 'button', id: 'inbox-retry', onclick: () => firstLoad() }, 'Try again'));
    $('inbox-failed').hidden = false;
  }
}

async function start() {
  renderHeader();
  refreshTimes();
  // The token may have ended elsewhere (signed out everywhere, a password change): ask before showing anything.
  if (session.token()) await me().catch(() => {});
  if (!session.token()) {
    renderHeader();
    $('signed-out').hidden = false;
    $('signed-out-link').href = signInHref();
    return;
  }
  await firstLoad();
  $('more').addEventListener('click', () => load(false));
  $('mark-all').addEventListener('click', async () => {
    const newest = Math.max(...items.map((n) => n.id));
    await post('/api/me/notifications/read', { upTo: newest });
    await load(true);
    announce('All notifications are read.');
    // The button is gone with nothing left unread: focus goes to the first entry, not to the top of the page.
    $('inbox').querySelector('li a')?.focus();
  });
  // The header's badge listens to this reader's topic; the list follows what it hears.
  document.addEventListener('parley:notifications', (e) => {
    if (e.detail.type === 'notification.created') {
      // Several made together come as one event: the newest, and all of them in items.
      const n = e.detail.data.items?.length ?? 1;
      load(true).then(() => announce(n === 1 ? '1 new notification' : `${n} new notifications`)).catch(() => {});
    } else {
      const read = new Set(e.detail.data.ids);
      items = items.map((n) => (read.has(n.id) ? { ...n, read: true } : n));
      render();
    }
  });
}

start();
