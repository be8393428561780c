/**
 * The page's one live connection, shared by the page and its header (the notifications badge): one socket per
 * tab whatever follows what. It reconnects quickly (never more than 2 s apart, jittered), and at once when the tab
 * becomes visible or the browser comes back online, so a page is live again within about 2 s of the server.
 */
import { Live } from './live.js';
import * as session from './session.js';

let live = null;
const listeners = new Set();

export function connection() {
  if (!live) {
    live = new Live({
      token: session.token,
      minDelay: 250,
      maxDelay: 2000,
      onStatus: (status) => listeners.forEach((listener) => listener(status)),
      // The server ended a topic for the token's sake (expired, revoked): the session is over, for the whole tab.
      onTokenEnded: (why, token) => session.ended(why === 'token_expired' ? 'expired' : 'refused', token),
    });
    addEventListener('online', () => live.reconnectNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') live.reconnectNow();
    });
    window.parleyLive = live; // lets the browser tests drop the socket to prove the page catches up
  }
  return live;
}

/** Calls listener with every connection state ('connecting', 'open', 'reconnecting', 'closed'), the current one first. */
export function onStatus(listener) {
  listeners.add(listener);
  if (live?.status) listener(live.status);
}
