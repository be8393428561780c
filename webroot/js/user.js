/** A profile: the user's bio, posts and comments, and follow or block for signed-in readers. */
import { get, put, del } from './api.js';
import * as session from './session.js';
import { h, time, renderHeader, setBodyHtml, refreshTimes, plural, ROLE_NAMES } from './ui.js';

const username = decodeURIComponent(location.pathname.split('/')[2] || '');
const $ = (id) => document.getElementById(id);
const FOCUS_AFTER_RELOAD = 'parley.focusAfterReload';

async function blockedByMe() {
  if (!session.current()) return false;
  const page = await get('/api/me/blocks?limit=200');
  return page.items.some((b) => b.username.toLowerCase() === username.toLowerCase());
}

/** The follow and block buttons for a signed-in reader on someone else's profile; whether the reader blocked them. */
async function actions(profile) {
  const box = $('profile-actions');
  box.replaceChildren();
  const me = session.current()?.user;
  if (!me || me.username.toLowerCase() === profile.username.toLowerCase()) return false;
  const [blocked, follow] = await Promise.all([blockedByMe(),
    get(`/api/users/${encodeURIComponent(profile.username)}/follow`)]);
  // The label says what a press does; no aria-pressed beside it, or a screen reader hears "Unfollow, pressed".
  // Not offered beside a block: their posts are hidden from you, so following them would bring nothing (a review).
  if (!blocked) box.append(h('button', { type: 'button', id: 'follow-toggle',
    onclick: async (event) => {
      const path = `/api/users/${encodeURIComponent(profile.username)}/follow`;
      const now = follow.following ? await del(path) : await put(path);
      follow.following = now.following;
      event.target.textContent = now.following ? `Unfollow ${profile.username}` : `Follow ${profile.username}`;
    } }, follow.following ? `Unfollow ${profile.username}` : `Follow ${profile.username}`), ' ');
  box.append(h('button', { type: 'button', id: 'block-toggle', onclick: async () => {
    if (blocked) {
      await del(`/api/me/blocks/${encodeURIComponent(profile.username)}`);
    } else {
      if (!confirm(`Block ${profile.username}? You will no longer see their posts and comments.`)) return;
      await put(`/api/me/blocks/${encodeURIComponent(profile.username)}`);
    }
    // The lists change with a block, so the page is read again; the focus comes back to this button, not the top.
    sessionStorage.setItem(FOCUS_AFTER_RELOAD, 'block-toggle');
    location.reload();
  } }, blocked ? `Unblock ${profile.username}` : `Block ${profile.username}`));
  if (blocked) box.append(h('p', { class: 'muted' }, 'You blocked this user: their posts and comments are hidden from you.'));
  if (sessionStorage.getItem(FOCUS_AFTER_RELOAD) === 'block-toggle') {
    sessionStorage.removeItem(FOCUS_AFTER_RELOAD);
    $('block-toggle').focus();
  }
  return blocked;
}

/**
 * What an empty list says: "No posts." when there are none, but for someone the reader blocked, whose counts above
 * still say what they wrote, that it is hidden (a review: "1 post · 7 comments" over "No posts.").
 */
function emptyLine(what, count, blocked) {
  // The line under the block button says why; each list only says that it is hidden (a review: three times why).
  return blocked && count > 0 ? 'Hidden from you.' : `No ${what}.`;
}

async function start() {
  renderHeader();
  refreshTimes();
  let profile;
  try {
    profile = await get(`/api/users/${encodeURIComponent(username)}`);
  } catch (error) {
    // The address is echoed nowhere (ScriptInjectionTest): the heading says what happened, not whose page it was.
    // Only a 404 means nobody has the name; anything else is a page that did not load, which says so.
    const missing = error?.status === 404;
    document.title = `${missing ? 'Profile not found' : 'Profile not loaded'} · Parley`;
    $('profile-name').textContent = missing ? 'Profile not found' : 'Profile not loaded';
    $('profile-missing').textContent = missing ? 'There is no such user.'
      : "This profile could not be loaded. Check your connection and reload the page.";
    $('profile-missing').hidden = false;
    return;
  }
  document.title = `${profile.username} · Parley`;
  $('profile-name').textContent = profile.username;
  // A member is a member (no word for it); moderators and admins are badged.
  const role = ROLE_NAMES[profile.role];
  // The counts are what everyone sees: on your own profile, whose lists also hold what waits for review, they say
  // so ("0 comments published" above two waiting read as a contradiction, a page review).
  const own = session.current()?.user?.username?.toLowerCase() === profile.username.toLowerCase();
  $('profile-meta').replaceChildren(...(role ? [h('span', { class: 'badge' }, role), ' · '] : []), 'Joined ',
    time(profile.createdAt),
    ` · ${plural(profile.postCount, 'post')} · ${plural(profile.commentCount, 'comment')}${own ? ' published' : ''}`);
  if (profile.bio) $('profile-meta').after(h('p', { class: 'bio' }, profile.bio));
  const blocked = await actions(profile);
  $('profile-lists').hidden = false;
  await Promise.all([
    paged('posts', $('profile-posts'), $('more-posts'), emptyLine('posts', profile.postCount, blocked),
      (p) => h('li', { class: 'card' },
        h('a', { href: `/posts/${p.id}` }, p.title), h('p', { class: 'meta' }, time(p.createdAt),
          ` · ${plural(p.commentCount, 'comment')}`, ...ownState(p)))),
    paged('comments', $('profile-comments'), $('more-comments'), emptyLine('comments', profile.commentCount, blocked),
      (c) => {
        const body = h('div', { class: 'body' });
        setBodyHtml(body, c.bodyHtml);
        return h('li', { class: 'card' }, h('p', { class: 'meta' }, 'on ',
          h('a', { href: `/posts/${c.postId}#comment-${c.id}` }, c.postTitle ?? 'a post'), ' · ', time(c.createdAt),
          ...ownState(c)), body);
      }),
  ]);
}

/**
 * On your own profile, what only you see of your own: held for review, or removed by a moderator (the lists have
 * them for their author alone, so that they can be found again), marked as the post page marks them.
 */
function ownState(item) {
  if (item.pending) return [' · ', h('span', { class: 'badge pending' }, 'waiting for review')];
  if (item.hidden) return [' · ', h('span', { class: 'badge' }, 'removed by a moderator')];
  return [];
}

/** A profile list, a page at a time: "Load more" fetches the next until there is none. */
async function paged(what, list, more, empty, item) {
  let cursor = null;
  const load = async () => {
    const page = await get(`/api/users/${encodeURIComponent(username)}/${what}?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    const items = page.items.map(item);
    list.append(...items);
    if (!list.children.length) list.append(h('li', { class: 'muted' }, empty));
    cursor = page.nextCursor;
    more.hidden = !cursor;
    return items[0];
  };
  more.addEventListener('click', async () => {
    const first = await load();
    // Keyboard users land on what was just loaded.
    first?.querySelector('a')?.focus();
  });
  await load();
}

start();
