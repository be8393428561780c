/**
 * Suggestions for the @name being typed in a text field: people in the thread first, then the server's accounts by
 * prefix (GET /api/search?type=users). The field (a textbox: a textarea may take no combobox role) controls a
 * listbox under it and names the chosen option as its active descendant, as GitHub's text expander does; Up and
 * Down choose, Enter or Tab takes the choice, Escape closes the list, and a click takes any suggestion. A suggestion
 * is a help, never a need: a failed or slow search only leaves the list as it was.
 */
import { get } from './api.js';
import * as session from './session.js';
import { h } from './ui.js';

/** The @name just before the caret: after a start, a space or punctuation, as the server's mentions are read. */
const TYPING = /(?:^|[^A-Za-z0-9_@-])@([A-Za-z0-9_-]{1,30})$/;
/** Suggestions shown at most. */
const SHOWN = 6;
/** Typing pauses this long before the server is asked. */
const PAUSE_MS = 150;

let lists = 0;

/**
 * @param {HTMLTextAreaElement|HTMLInputElement} field
 * @param {() => string[]} [nearby] names to offer first (the thread's people, most recent first)
 */
export function suggestMentions(field, nearby = () => []) {
  const list = h('ul', { class: 'mention-list', role: 'listbox', id: `mention-list-${++lists}`,
    'aria-label': 'People to mention', hidden: true });
  field.after(list);
  // The list lies over what follows the field, placed under it within the field's own box.
  const holder = field.parentElement;
  if (getComputedStyle(holder).position === 'static') holder.style.position = 'relative';
  field.setAttribute('aria-autocomplete', 'list');
  field.setAttribute('aria-controls', list.id);
  let names = [];
  let active = -1;
  let timer;
  let asked = 0;

  /** Takes the list away (its names are for another prefix), leaving a search under way to answer. */
  const hide = () => {
    names = [];
    active = -1;
    list.hidden = true;
    list.replaceChildren();
    field.removeAttribute('aria-activedescendant');
  };

  const close = () => {
    clearTimeout(timer);
    asked++;
    hide();
  };

  const choose = (index) => {
    active = index;
    [...list.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === index)));
    if (index >= 0) field.setAttribute('aria-activedescendant', `${list.id}-${index}`);
    else field.removeAttribute('aria-activedescendant');
  };

  const show = (found, prefix) => {
    // The name exactly as typed first: Enter on "@bob" takes bob, not bobby.
    const exact = found.findIndex((name) => name.toLowerCase() === prefix);
    const ordered = exact > 0 ? [found[exact], ...found.slice(0, exact), ...found.slice(exact + 1)] : found;
    names = ordered.slice(0, SHOWN);
    if (names.length === 0) return close();
    list.replaceChildren(...names.map((name, i) => h('li', { id: `${list.id}-${i}`, role: 'option',
      'aria-selected': 'false',
      // mousedown, not click: the field keeps its focus (and its caret) while the choice is taken.
      onmousedown: (event) => { event.preventDefault(); take(i); } }, `@${name}`)));
    list.style.left = `${field.offsetLeft}px`;
    list.style.top = `${field.offsetTop + field.offsetHeight}px`;
    list.hidden = false;
    choose(Math.min(Math.max(active, 0), names.length - 1));
  };

  const take = (index) => {
    const typed = TYPING.exec(field.value.slice(0, field.selectionStart));
    if (!typed || !names[index]) return close();
    const end = field.selectionStart;
    const start = end - typed[1].length;
    const after = field.value.slice(end);
    const inserted = names[index] + (after.startsWith(' ') ? '' : ' ');
    field.value = field.value.slice(0, start) + inserted + after;
    field.selectionStart = field.selectionEnd = start + inserted.length;
    close();
    field.dispatchEvent(new Event('input', { bubbles: true }));
  };

  field.addEventListener('input', () => {
    const typed = TYPING.exec(field.value.slice(0, field.selectionStart));
    if (!typed) return close();
    const prefix = typed[1].toLowerCase();
    const local = unique(nearby().filter((name) => name.toLowerCase().startsWith(prefix)));
    // What the list showed was for the prefix before: the thread's matches now, or nothing until the search answers.
    if (local.length) show(local, prefix);
    else hide();
    clearTimeout(timer);
    const mine = ++asked;
    timer = setTimeout(async () => {
      try {
        const page = await get(`/api/search?type=users&q=${encodeURIComponent(typed[1])}&limit=${SHOWN}`);
        if (mine === asked) show(unique([...local, ...page.items.map((user) => user.username)]), prefix);
      } catch {
        // Nothing to suggest from the server this time; what the thread offered stays.
      }
    }, PAUSE_MS);
  });

  field.addEventListener('keydown', (event) => {
    // An input method's own Enter (composing a word) is not a choice.
    if (list.hidden || event.isComposing) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const step = event.key === 'ArrowDown' ? 1 : -1;
      choose((active + step + names.length) % names.length);
    } else if ((event.key === 'Enter' || event.key === 'Tab') && active >= 0 && !event.shiftKey) {
      event.preventDefault();
      take(active);
    } else if (event.key === 'Escape') {
      // Only the list closes, not the form or the dialog around the field.
      event.preventDefault();
      event.stopPropagation();
      close();
    }
  });
  field.addEventListener('blur', close);
}

/** Each name once (case aside), and never the writer's own. */
function unique(names) {
  const seen = new Set([session.current()?.user?.username?.toLowerCase()]);
  return names.filter((name) => {
    const key = name.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
