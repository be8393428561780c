/** The 404 page: the site's header as on every other page (signed in or not, the search box), nothing else. */
import { renderHeader } from './ui.js';

renderHeader();
