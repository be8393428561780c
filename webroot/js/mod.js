/**
 * The moderators' dashboard: the open-report queue (live: new reports appear, items another moderator handled go,
 * saying who), actions that take effect at once, a live stream of new content, and the audit log. The tab title
 * carries the open-report count.
 */
import { get, post } from './api.js';
import * as session from './session.js';
import { connection, onStatus } from './connection.js';
import { h, time, userLink, setBodyHtml, renderHeader, refreshTimes, announce, liveStatus } from './ui.js';

const $ = (id) => document.getElementById(id);
let refreshing = null;

function setCount(items) {
  const open = items.reduce((n, i) => n + i.reportCount, 0);
  $('queue-count').textContent = String(open);
  document.title = open ? `(${open}) Parley moderation` : 'Parley moderation';
  $('queue-empty').hidden = items.length > 0;
}

function queueItem(item) {
  const c = item.content;
  const body = h('div', { class: 'body' });
  if (c.bodyHtml) setBodyHtml(body, c.bodyHtml);
  const postId = c.postId;
  const act = (label, fn, cls) => h('button', { type: 'button', class: cls, onclick: async (event) => {
    event.target.disabled = true;
    try { await fn(); } catch (error) { alert(error.message); } finally { event.target.disabled = false; }
  } }, label);
  const banReason = h('input', { name: 'ban-reason', 'aria-label': 'Ban reason', placeholder: 'Ban reason' });
  const banDays = h('select', { name: 'ban-duration', 'aria-label': 'Ban duration' },
    h('option', { value: '1' }, '1 day'), h('option', { value: '7' }, '7 days'), h('option', { value: '30' }, '30 days'),
    h('option', { value: '' }, 'Permanent'));
  return h('li', { class: 'card queue-item', id: `target-${item.targetType}-${item.targetId}`,
    'data-report': item.firstReportId },
  h('p', { class: 'meta' }, `${item.targetType} by `, userLink(item.author?.username), ' · ',
    `${item.reportCount} report${item.reportCount === 1 ? '' : 's'}: ${item.reasons.join(', ')}`, ' · last ', time(item.lastReportedAt),
    c.hidden ? ' · ' : '', c.hidden ? h('span', { class: 'badge' }, 'hidden') : ''),
  c.postTitle ? h('p', {}, h('a', { href: `/posts/${postId}` }, c.postTitle)) : null,
  body,
  h('div', { class: 'row' },
    act('Hide', () => post(`/api/mod/reports/${item.firstReportId}/resolve`, { action: 'hide' }), 'danger'),
    act('Dismiss', () => post(`/api/mod/reports/${item.firstReportId}/resolve`, { action: 'dismiss' })),
    c.hidden ? act('Restore', () => post(`/api/mod/${item.targetType}s/${item.targetId}/restore`, {})) : null,
    c.locked ? act('Unlock thread', () => post(`/api/mod/posts/${postId}/unlock`, {}))
      : act('Lock thread', () => post(`/api/mod/posts/${postId}/lock`, {}))),
  item.author ? h('div', { class: 'row' }, banReason, banDays, act(`Ban ${item.author.username}`, () => {
    const days = banDays.value;
    const until = days ? new Date(Date.now() + Number(days) * 86400000).toISOString() : undefined;
    return post(`/api/mod/users/${encodeURIComponent(item.author.username)}/ban`,
      { reason: banReason.value || 'Breaking the community rules', until });
  }, 'danger')) : null);
}

async function loadQueue() {
  const page = await get('/api/mod/queue?status=open&limit=100');
  $('queue').replaceChildren(...page.items.map(queueItem));
  setCount(page.items);
}

/** Coalesces bursts of events into one refetch. */
function refreshQueue() {
  if (!refreshing) refreshing = loadQueue().finally(() => { refreshing = null; });
  return refreshing;
}

function logItem(entry) {
  return h('li', { class: 'card' }, h('p', { class: 'meta' }, userLink(entry.actor?.username), ` ${entry.action} `,
    `${entry.targetType} ${entry.targetId}`, entry.reason ? ` · "${entry.reason}"` : '', ' · ', time(entry.createdAt)));
}

async function loadLog() {
  const page = await get('/api/mod/log?limit=30');
  $('log').replaceChildren(...page.items.map(logItem));
}

function onEvent(e) {
  switch (e.type) {
    case 'report.created':
      announce('New report');
      refreshQueue();
      break;
    case 'report.resolved': {
      const el = $(`target-${e.data.targetType}-${e.data.targetId}`);
      if (el) {
        el.replaceChildren(h('p', { class: 'muted' },
          `Handled by ${e.data.resolvedBy?.username ?? 'a moderator'}: ${e.data.action === 'hide' ? 'hidden' : 'dismissed'}.`));
        setTimeout(() => refreshQueue(), 1500);
      } else {
        refreshQueue();
      }
      loadLog();
      break;
    }
    case 'post.created':
    case 'comment.created': {
      const d = e.data;
      const body = h('div', { class: 'body' });
      setBodyHtml(body, d.bodyHtml);
      $('stream').prepend(h('li', { class: 'card' }, h('p', { class: 'meta' }, `${e.type === 'post.created' ? 'Post' : 'Comment'} by `,
        userLink(d.author?.username), ' · ', time(d.createdAt), ' · ',
        h('a', { href: `/posts/${d.postId ?? d.id}` }, 'open')), d.title ? h('p', {}, d.title) : null, body));
      while ($('stream').children.length > 50) $('stream').lastElementChild.remove();
      break;
    }
    default:
      // Every other event on this topic is a moderator action: the log and the queue may have changed.
      loadLog();
      refreshQueue();
  }
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
    await Promise.all([loadQueue(), loadLog()]);
  } catch {
    $('mod-denied').hidden = false;
    return;
  }
  $('mod-panels').hidden = false;
  onStatus(liveStatus($('live-status')));
  connection().subscribe('parley.mod', { since: 0, onEvent, onResync: () => { refreshQueue(); loadLog(); } });
}

start();
