/**
 * What every box where a comment is written offers (a page review: the comment box did not say that Markdown works,
 * had no preview, where the post composer has one, and could only be sent with the mouse or Tab): a line saying
 * what Markdown does, a Preview of the server's own rendering (taken away as soon as the text changes, so it never
 * shows what will not be sent), and Ctrl+Enter (⌘+Enter on a Mac) to send.
 */
import { post } from './api.js';
import { h, setBodyHtml, showProblem } from './ui.js';

let boxes = 0;
const MAC = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

/** @param {HTMLFormElement} form a form with a `.row` of buttons; @param {HTMLTextAreaElement} field its text */
export function markdownBox(form, field = form.elements.body) {
  const n = ++boxes;
  const hint = h('p', { class: 'hint markdown-hint', id: `markdown-hint-${n}` },
    'Markdown works: **bold**, _italic_, ~~struck~~, [a link](https://…), > a quote, `code`, | tables |. ',
    h('span', { class: 'keys' }, `${MAC ? '⌘' : 'Ctrl'}+Enter sends.`));
  field.setAttribute('aria-describedby',
    [field.getAttribute('aria-describedby'), hint.id].filter(Boolean).join(' '));
  const preview = h('div', { class: 'preview body', id: `markdown-preview-${n}`, 'aria-live': 'polite', hidden: true });
  const button = h('button', { type: 'button', class: 'preview-button', 'aria-controls': preview.id }, 'Preview');
  const row = form.querySelector('.row');
  row.before(hint);
  // Beside the button that sends, before Cancel.
  row.firstElementChild.after(button);
  row.after(preview);
  let shown = 0;
  const hide = () => {
    shown++;
    preview.hidden = true;
    preview.replaceChildren();
  };
  button.addEventListener('click', async () => {
    const body = field.value;
    hide();
    if (!body.trim()) return;
    const asked = shown;
    try {
      const { bodyHtml } = await post('/api/markdown/preview', { body });
      // The text changed (or was sent) while the preview was on its way: it is not this text's.
      if (asked !== shown || field.value !== body) return;
      setBodyHtml(preview, bodyHtml); // the server's sanitised rendering
      preview.hidden = false;
    } catch (error) {
      showProblem(form, error);
    }
  });
  field.addEventListener('input', hide);
  form.addEventListener('submit', hide);
  field.addEventListener('keydown', (event) => {
    // A suggestion list that took the Enter (a mention chosen), or an input method composing a word, keeps it.
    if (event.key !== 'Enter' || !(event.ctrlKey || event.metaKey) || event.defaultPrevented || event.isComposing) return;
    event.preventDefault();
    form.requestSubmit();
  });
}
