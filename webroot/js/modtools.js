/**
 * Moderation where the content is: the moderator's "Moderate" menu on a post page (for the post and each comment),
 * the dialog that asks for a reason (and, for a ban, a duration) before acting, the moderators' line on each item,
 * and the author's record (the dashboard's card, usercard.js). Every action goes to the server at once; the
 * thread's own live events then bring every open page, this one included, up to date.
 */
import { get, post, put, del, banText } from './api.js';
import { h, time, showProblem, clearProblem, announce, plural, shortened } from './ui.js';
import { openUserCard } from './usercard.js';
import * as session from './session.js';

const DAY = 86400000;

/** Report reasons as moderators read them (screening is Parley's own report). */
export const REASONS = { spam: 'Spam', harassment: 'Harassment', hate: 'Hate', misinformation: 'Misinformation',
  off_topic: 'Off topic', other: 'Other', screening: 'Held words or links, edited in' };
export const reasonLabel = (reason) => REASONS[reason] ?? reason;

/** The claim on an item, while it lasts (a client drops one at its {@code until}). */
function liveClaim(item) {
  return item.claim && Date.parse(item.claim.until) > Date.now() ? item.claim : null;
}

/**
 * What the moderators' record says of a post or comment on its thread (an item of GET
 * /api/mod/posts/{id}/moderation: who hid it, when and why; why it was held; who locked the thread; its open reports
 * by reason), as one line for its moderators, whose reports link to their card on the dashboard; null when there is
 * nothing to say.
 */
export function moderationLine(item, type, { notice = () => {}, changed = () => {} } = {}) {
  if (!item) return null;
  const who = (by) => by?.username ?? 'a moderator';
  const parts = [];
  if (item.hidden) {
    parts.push([`Hidden by ${who(item.hidden.by)} `, time(item.hidden.at), item.hidden.reason ? `: ${item.hidden.reason}` : '']);
  }
  if (item.pending) parts.push(['Held ', time(item.pending.at), item.pending.reason ? `: ${item.pending.reason}` : '']);
  if (item.locked) {
    parts.push([`Locked by ${who(item.locked.by)} `, time(item.locked.at), item.locked.reason ? `: ${item.locked.reason}` : '']);
  }
  const reasons = Object.entries(item.reports ?? {});
  if (reasons.length) {
    const total = reasons.reduce((n, [, k]) => n + k, 0);
    // What the reporters wrote (the newest three that wrote anything), so the thread itself says why.
    const notes = (item.reportNotes ?? []).flatMap((n) => [' · ',
      h('q', { class: 'report-note', title: n.details }, shortened(n.details, 140)), ` (${n.by?.username ?? 'someone'})`]);
    parts.push([h('strong', {}, plural(total, 'open report')), ': ',
      reasons.map(([r, k]) => (k > 1 ? `${reasonLabel(r)} ×${k}` : reasonLabel(r))).join(', '), ...notes, ' · ',
      h('a', { href: `/mod#target-${type}-${item.id}` }, 'review in the queue'),
      // Settled where they are read: only the dashboard could dismiss them (a page review).
      ...(item.openReport ? [' · ', h('button', { type: 'button', class: 'link dismiss-reports', onclick: async () => {
        // Settled for good, by one small link: asked first, naming whoever else is on it (a page review: it
        // dismissed another moderator's claimed reports in one press, where the dashboard asks twice and offers Undo).
        const other = liveClaim(item)?.moderator?.username;
        const mine = session.current()?.user?.username;
        if (!window.confirm(`${other && other !== mine ? `${other} is on this. ` : ''}Dismiss ${plural(total,
          'open report')} on this ${type}? They are settled for good and the ${type} stays up.`)) return;
        // Only the reports the line counted: one filed since stays open, and the line says so once drawn anew.
        await run(`Dismissed the reports on this ${type}.`, () => post(`/api/mod/reports/${item.openReport}/resolve`,
          { action: 'dismiss', upTo: item.newestReport ?? null }), notice);
        await changed();
        // The line was drawn anew without the button: focus on the content it was about, as Hide and Restore leave
        // it (it fell to the page, a moderator's probe).
        holderOf({ type, id: item.id })?.focus();
      } }, 'Dismiss')] : [])]);
  }
  // Who is on it (a claim), so a moderator on the thread does not review it twice; taken and let go here too.
  const claim = liveClaim(item);
  const waits = reasons.length > 0 || !!item.pending;
  const path = `/api/mod/${type}s/${item.id}/claim`;
  const claimButton = (label, verb, fn) => h('button', { type: 'button', class: 'link claim', 'data-action': verb,
    onclick: async () => {
      await run(label, fn, notice);
      await changed();
      // The line was drawn anew: focus on its claim button again (Let go after I'm on it), else on the content.
      const holder = holderOf({ type, id: item.id });
      const line = type === 'post' ? document.getElementById('post-mod-facts')
        : holder?.querySelector(':scope > .content > .mod-facts');
      (line?.querySelector(`button[data-action="${verb}"]`) ?? line?.querySelector('button.claim') ?? holder)?.focus();
    } }, { claim: "I'm on it", keep: 'Keep it', 'let-go': 'Let go' }[verb]);
  if (claim && parts.length) {
    const mine = claim.moderator?.username === session.current()?.user?.username;
    const until = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' }).format(new Date(claim.until));
    parts.push(mine
      ? [h('strong', { class: 'claimed' }, 'You are on this'), ` until ${until} · `,
        claimButton(`Kept until later.`, 'keep', () => put(path, {})), ' · ',
        claimButton(`You let this ${type} go.`, 'let-go', () => del(path))]
      : [h('strong', { class: 'claimed' }, `${who(claim.moderator)} is on this`), ' since ', time(claim.since)]);
  } else if (waits) {
    parts.push([claimButton(`You are on this ${type}: other moderators see it.`, 'claim', () => put(path, {}))]);
  }
  if (!parts.length) return null;
  return h('p', { class: 'mod-facts' }, h('span', { class: 'visually-hidden' }, 'For moderators: '),
    ...parts.flatMap((part, i) => (i ? [' · ', ...part] : part)));
}

/**
 * Asks for what an action needs (a reason, a ban's length) in one dialog; resolves with the answers, or null when
 * the moderator cancels. The confirm button names the action, so pressing it is the confirmation.
 */
function ask({ title, action, reasonLabel = 'Reason', reasonRequired = true, duration = false, danger = true }) {
  const dialog = document.getElementById('mod-dialog');
  const form = dialog.querySelector('form');
  clearProblem(form);
  form.reset();
  dialog.querySelector('#mod-dialog-title').textContent = title;
  const label = dialog.querySelector('label[for="mod-reason"]');
  label.textContent = reasonRequired ? reasonLabel : `${reasonLabel} (optional)`;
  // What a refusal calls the field: "A reason is required", not "Reason the author is told is required".
  label.dataset.label = 'A reason';
  dialog.querySelector('#mod-duration-field').hidden = !duration;
  const confirm = dialog.querySelector('#mod-confirm');
  confirm.textContent = action;
  confirm.className = danger ? 'danger' : 'primary';
  // A ban that takes everything down says so on the button that confirms it.
  form.elements.removeContent.onchange = (event) => {
    confirm.textContent = event.target.checked ? `${action} and hide everything` : action;
  };
  return new Promise((resolve) => {
    form.onsubmit = (event) => {
      if (event.submitter?.value !== 'confirm') return; // Cancel closes the dialog
      const reason = form.elements.reason.value.trim();
      if (reasonRequired && !reason) {
        event.preventDefault();
        showProblem(form, { message: 'Give a reason: the author is told it.', fieldErrors: () => ({ reason: 'is required' }) });
        return;
      }
      form.dataset.answer = JSON.stringify({ reason, days: form.elements.duration.value,
        removeContent: duration && form.elements.removeContent.checked });
    };
    dialog.onclose = () => {
      const answer = dialog.returnValue === 'confirm' && form.dataset.answer ? JSON.parse(form.dataset.answer) : null;
      delete form.dataset.answer;
      resolve(answer);
    };
    dialog.showModal();
    form.elements.reason.focus();
  });
}

/**
 * Runs an action and says how it went; a refusal (it was already done by someone else, say) is shown, not thrown.
 * Resolves true when it was done, false when it was refused or failed (with the error to {@code refused}): what
 * follows a success (the comment drawn as published, or taken away) must not follow a refusal (a page review: a
 * refused Approve drew the comment as published, a refused Reject took it off the page).
 */
async function run(label, fn, notice, refused) {
  try {
    await fn();
    announce(label);
    notice(label);
    return true;
  } catch (error) {
    notice(`${error.message}`);
    refused?.(error);
    return false;
  }
}

/**
 * Where focus goes after an action: the content's own element, which stays while the action's event re-renders the
 * content and its menu a moment later (focus left on the menu would fall to the top of the page).
 */
function holderOf(target) {
  const el = document.getElementById(target.type === 'post' ? 'post' : `comment-${target.id}`);
  if (el && !el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  return el;
}

/**
 * Approving and rejecting content waiting for review; each resolves true once done, false when cancelled or refused.
 * An approval names the text the moderator read ({@code target.editedAt}, null when never edited): one edited since
 * is refused (409 on editedAt) rather than published unread, and {@code after('stale')} reads it again (a page
 * review: the thread's Approve published spam its author had put in place of the words the moderator approved).
 * Any other refusal is {@code after('refused')}: the content is no longer waiting (another moderator decided, its
 * author deleted it), so the page reads it again rather than guess.
 */
function reviewActions(target, { notice, after }) {
  const base = `/api/mod/${target.type}s/${target.id}`;
  const what = target.type === 'post' ? 'post' : 'comment';
  const refused = (error) => {
    if (error.status === 0) return; // not answered: nothing is known to have changed
    after?.(error.fieldErrors?.().editedAt ? 'stale' : 'refused');
  };
  return {
    approve: async () => {
      const done = await run(`Approved the ${what}.`,
        () => post(`${base}/approve`, { editedAt: target.editedAt ?? null }), notice, refused);
      if (done) after?.('approved');
      return done;
    },
    reject: async () => {
      const answer = await ask({ title: `Reject this ${what}`, action: `Reject ${what}`, reasonLabel: 'Reason the author is told' });
      if (!answer) return false;
      const done = await run(`Rejected the ${what}.`, () => post(`${base}/reject`, { reason: answer.reason }), notice,
        refused);
      if (done) after?.('rejected');
      return done;
    },
  };
}

/**
 * Approve and Reject… as buttons of their own beside the Moderate menu, on content waiting for review: the page
 * said "approve it to publish it" and the action was inside the menu (a page review).
 */
export function reviewButtons(target, { notice, after }) {
  const review = reviewActions(target, { notice, after });
  const button = (label, act, cls) => h('button', { type: 'button', class: cls, onclick: async (event) => {
    const opener = event.currentTarget;
    if (await act()) holderOf(target)?.focus();
    else if (opener.isConnected) opener.focus();
  } }, label);
  return [button('Approve', review.approve, 'link approve'), button('Reject…', review.reject, 'link danger')];
}

/**
 * Whether this moderator may ban the author ({username, role}), as the server decides: never oneself or an admin, a
 * moderator only as an admin. A card, and the thread's Moderate menu, offered what the server then refused ("Admins
 * cannot be banned.", page reviews).
 */
export function mayBan(author) {
  const self = session.current()?.user;
  if (!author?.username || author.username === self?.username || author.role === 'admin') return false;
  return author.role !== 'moderator' || self?.role === 'admin';
}

/**
 * The moderator's menu for one piece of content: {type: 'post'|'comment', id, postId, author, authorRole, hidden,
 * pending, locked}. {@code notice} shows a line of text on the page; {@code after} runs after approve or reject, which the
 * thread hears nothing of while the content is pending.
 */
export function moderateMenu(target, { notice, after }) {
  const base = `/api/mod/${target.type}s/${target.id}`;
  const what = target.type === 'post' ? 'post' : 'comment';
  const author = target.author;
  const holder = () => holderOf(target);
  // After an action that re-renders the content, focus goes to the content itself; after a cancel, a ban (nothing
  // re-renders) or an action that failed, back to the menu's summary; the record's card gives focus back itself.
  const item = (label, onclick, cls = 'link', rerenders = true) => h('button', { type: 'button', class: cls,
    onclick: async (event) => {
      const menu = event.target.closest('details');
      const summary = menu?.querySelector('summary');
      menu?.removeAttribute('open');
      const acted = await onclick(summary);
      if (acted && rerenders) holder()?.focus();
      // A ban that took everything down re-rendered the content meanwhile: its new menu's place is the content.
      else if (acted !== 'handled') (summary?.isConnected ? summary : holder())?.focus();
    } }, label);
  const items = [];
  if (target.pending) {
    const review = reviewActions(target, { notice, after });
    items.push(item('Approve', review.approve), item('Reject…', review.reject, 'link danger'));
  } else if (target.hidden) {
    items.push(item('Restore', () => run(`Restored the ${what}.`, () => post(`${base}/restore`, {}), notice)));
  } else {
    items.push(item('Hide…', async () => {
      const answer = await ask({ title: `Hide this ${what}`, action: `Hide ${what}`, reasonLabel: 'Reason the author is told' });
      return !!answer && run(`Hid the ${what}.`, () => post(`${base}/hide`, { reason: answer.reason }), notice);
    }, 'link danger'));
  }
  if (target.type === 'post' && !target.pending) {
    items.push(target.locked
      ? item('Unlock thread', () => run('Unlocked the thread.', () => post(`/api/mod/posts/${target.id}/unlock`, {}), notice))
      // The whole thread, with its author told: asked first, as the dashboard asks (a page review).
      : item('Lock thread…', () => window.confirm('Lock this whole thread to new comments? Its author is told.')
        && run('Locked the thread.', () => post(`/api/mod/posts/${target.id}/lock`, {}), notice)));
  }
  items.push(item(`Delete ${what}…`, async () => {
    if (!window.confirm(`Delete this ${what} for good?${target.type === 'post' ? ' Its comments go with it.' : ''}`)) return false;
    return run(`Deleted the ${what}.`, () => del(`/api/${target.type}s/${target.id}`), notice);
  }, 'link danger'));
  if (author) {
    if (mayBan({ username: author, role: target.authorRole })) items.push(item(`Ban ${author}…`, async () => {
      // A ban made again replaces the one in force: say so first, rather than replace it unseen.
      const current = (await get(`/api/mod/users/${encodeURIComponent(author)}`).catch(() => null))?.ban;
      if (current && !window.confirm(`${banText(current).replace(/^You are/, `${author} is already`)}. Replace that ban?`)) {
        return false;
      }
      const answer = await ask({ title: `Ban ${author}`, action: `Ban ${author}`, duration: true, reasonLabel: 'Reason they are told' });
      if (!answer) return false;
      const until = answer.days ? new Date(Date.now() + Number(answer.days) * DAY).toISOString() : undefined;
      // A spammer's wave taken down from the thread too, as from their record (only the record offered it: a
      // moderator's probe).
      return run(answer.removeContent ? `Banned ${author}, and hid everything they posted.` : `Banned ${author}.`,
        () => post(`/api/mod/users/${encodeURIComponent(author)}/ban`,
          { reason: answer.reason, until, ...(answer.removeContent ? { removeContent: true } : {}) }), notice);
    }, 'link danger', false));
    // The record's card gives focus back to the menu itself when it closes.
    items.push(item(`${author}'s record`, (opener) => { openUserCard(author, opener); return 'handled'; }, 'link', false));
  }
  return h('details', { class: 'menu mod-menu' },
    h('summary', { 'aria-label': `Moderate ${author ? `${author}'s ` : 'this '}${what}` }, 'Moderate'),
    h('div', { class: 'menu-items' }, ...items));
}
