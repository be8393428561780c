/**
 * Parley live client: follows topics over the Vert.x event-bus bridge's raw WebSocket (/eventbus/websocket).
 * A dependency-free ES module; works under a strict CSP (connect-src 'self') because it only opens a same-origin
 * WebSocket.
 *
 * @example
 *   import { Live } from '/js/live.js';
 *   const live = new Live({ token: () => localStorage.getItem('token'), onStatus: s => console.log(s) });
 *   const stop = live.subscribe('parley.post.42', {
 *     since: post.seq,                       // the "seq" from GET /api/posts/42: nothing after it is missed
 *     onEvent: e => render(e),               // e = {type, topic, seq, at, data}
 *     onResync: () => reloadPostOverRest(),  // history is gone (or a feed/mod reconnect): refetch over REST
 *     onError: f => console.warn(f.body),    // 'rejected' | 'token_expired' | 'token_revoked' | 'access_revoked': stopped
 *   });
 *
 * Protocol notes: thread (parley.post.<id>) and user (parley.user.<id>) topics carry a gap-free seq and replay
 * after `since`; this client resumes them from the last seq it delivered and never delivers a seq twice.
 * parley.feed and parley.mod answer any `since` with a resync, so after a reconnect they get onResync.
 * A signed-in client sends its token with every registration: parley.user.<id> and parley.mod require it, and on
 * public topics it lets the server withhold the content of people this reader blocked. The bridge's "rejected"
 * error carries no address: it is attributed to the oldest restricted registration on this connection not yet
 * confirmed by a frame (else the oldest pending one).
 */

/** Close code the server uses for a reader that fell behind: reconnect and resume. */
export const SLOW_CONSUMER = 4001;

const ORDERED = /^parley\.(post|user)\.\d+$/;
const RESTRICTED = /^parley\.(mod|user\.\d+)$/;
const FATAL = new Set(['token_expired', 'token_revoked', 'access_revoked']);
/** The token, not the reader, lost its rights: a public topic goes on without it. */
const TOKEN_ENDED = new Set(['token_expired', 'token_revoked']);
const noop = () => {};

/**
 * @typedef {{type: string, topic: string, seq: (number|null), at: (string|null), data: any}} Envelope
 * @typedef {{type: 'err', address?: string, body: string}} ErrorFrame
 * @typedef {'connecting'|'open'|'reconnecting'|'closed'} Status
 */

export class Live {
  /**
   * @param {object} [options]
   * @param {string} [options.url] WebSocket URL; default ws(s)://<location.host>/eventbus/websocket
   * @param {() => (string|null|undefined|Promise<string|null|undefined>)} [options.token] called on every
   *   (re)connect and for each later subscribe(), so a refreshed token is used; its JWT goes with every
   *   registration
   * @param {(status: Status) => void} [options.onStatus] connection state changes
   * @param {(frame: ErrorFrame) => void} [options.onError] every error frame, including ones no subscription owns
   * @param {(why: string, token: string) => void} [options.onTokenEnded] the server ended a subscription because
   *   its token expired or was revoked ('token_expired' | 'token_revoked') and the token getter has no newer one:
   *   the session of that token is over. Public topics followed with it go on without a token, from where they
   *   were; restricted ones stop (their onError)
   * @param {typeof WebSocket} [options.WebSocketImpl] WebSocket constructor (default globalThis.WebSocket)
   * @param {number} [options.pingInterval=10000] ms between pings (the server drops sockets silent for 30 s)
   * @param {number} [options.minDelay=500] first reconnect delay in ms, doubled per failed attempt
   * @param {number} [options.maxDelay=30000] reconnect delay cap in ms
   * @param {number} [options.stableAfter=10000] ms a connection must stay open before the back-off resets
   * @param {number} [options.settleMs=5000] how long after its register frame a "rejected" error may be
   *   attributed to a subscription (the bridge does not say which registration it refused)
   */
  constructor(options = {}) {
    const loc = globalThis.location;
    this.url = options.url ?? `${loc?.protocol === 'https:' ? 'wss' : 'ws'}://${loc?.host}/eventbus/websocket`;
    this.opts = { pingInterval: 10000, minDelay: 500, maxDelay: 30000, stableAfter: 10000, settleMs: 5000, ...options };
    this.WS = options.WebSocketImpl ?? globalThis.WebSocket;
    /** @type {Map<string, object>} topic -> subscription */
    this.subs = new Map();
    this.ws = null;
    this.ready = false;      // open and the token resolved: registrations may be sent
    this.token = null;
    this.pending = [];       // [sub, sentAt]: registered on this connection, not yet confirmed by a frame
    this.attempts = 0;
    this.timers = {};
    this.closed = false;
    this.status = null;
    this.connect();
  }

  /**
   * Follows a topic until the returned function is called or the server stops it (onError).
   * @param {string} topic parley.feed | parley.mod | parley.post.<id> | parley.user.<id>
   * @param {object} [handlers]
   * @param {number} [handlers.since] resume point: the seq the page's REST data is at (post/user topics);
   *   without it the topic is followed from now, and until its first event a drop can lose events
   * @param {(e: Envelope) => void} [handlers.onEvent] each event, in order, once
   * @param {(e: Envelope) => void} [handlers.onResync] refetch over REST; the stream goes on after e.seq
   * @param {(f: ErrorFrame & {last: (number|null)}) => void} [handlers.onError] the subscription was refused or
   *   cut and is stopped; f.last is the last seq it delivered, to follow it again from there later
   * @returns {() => void} unsubscribe
   */
  subscribe(topic, { since, onEvent = noop, onResync = noop, onError = noop } = {}) {
    if (this.subs.has(topic)) throw new Error(`already subscribed to ${topic}`);
    const sub = { topic, ordered: ORDERED.test(topic), restricted: RESTRICTED.test(topic), last: since ?? null,
      since, onEvent, onResync, onError };
    this.subs.set(topic, sub);
    // The token is read again for each: one may have been saved since the connection opened (a sign-in elsewhere).
    if (this.ready) this.withToken(this.ws, () => this.subs.get(topic) === sub && this.register(sub));
    return () => {
      if (this.subs.get(topic) !== sub) return;
      this.forget(sub);
      if (this.ready) this.send({ type: 'unregister', address: topic });
    };
  }

  /**
   * Reconnects at once if the connection is down and waiting to retry (the tab became visible again, the browser
   * came back online): no need to wait out the back-off.
   */
  reconnectNow() {
    if (this.closed || this.ws) return;
    clearTimeout(this.timers.retry);
    this.attempts = 0;
    this.connect();
  }

  /** Closes the connection for good; no reconnects, no more callbacks. */
  close() {
    this.closed = true;
    this.subs.clear();
    this.stop();
    this.setStatus('closed');
  }

  /** @private */
  connect() {
    this.setStatus(this.status === null || this.status === 'connecting' ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new this.WS(this.url);
    } catch (e) {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => {
      this.timers.ping = setInterval(() => this.send({ type: 'ping' }), this.opts.pingInterval);
      this.timers.stable = setTimeout(() => { this.attempts = 0; }, this.opts.stableAfter);
      this.send({ type: 'ping' });
      this.withToken(ws, () => {
        this.ready = true;
        this.setStatus('open');
        for (const sub of [...this.subs.values()]) this.register(sub);
      });
    };
    ws.onmessage = ev => this.receive(ws, ev.data);
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.stop();
      if (!this.closed) this.retry();
    };
    ws.onerror = noop; // onclose follows and reconnects
  }

  /** @private Reads the token (the getter may be async), then runs next if ws is still the open socket. */
  withToken(ws, next) {
    Promise.resolve().then(() => this.opts.token?.()).catch(() => null).then(token => {
      if (this.ws !== ws || ws.readyState !== 1) return;
      this.token = token || null;
      next();
    });
  }

  /** @private Schedules a reconnect: 0.5 s doubling to 30 s, each delay jittered down to half. */
  retry() {
    this.setStatus('reconnecting');
    const base = Math.min(this.opts.maxDelay, this.opts.minDelay * 2 ** this.attempts++);
    this.timers.retry = setTimeout(() => this.connect(), base / 2 + Math.random() * base / 2);
  }

  /** @private Drops the current socket and timers. */
  stop() {
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.stable);
    clearTimeout(this.timers.retry);
    this.timers = {};
    this.ready = false;
    this.pending = [];
    const ws = this.ws;
    this.ws = null;
    if (ws && ws.readyState < 2) ws.close(1000);
  }

  /** @private */
  register(sub) {
    const headers = {};
    // Signed-in readers always identify themselves: the server filters what each reader may see (blocks) by it.
    if (this.token && !sub.anonymous) headers.token = this.token;
    // Ordered topics resume after the last delivered seq; feed/mod send one only to get a resync after a gap.
    const since = sub.ordered ? sub.last : (sub.registered ? (sub.last ?? 0) : sub.since);
    if (since != null) headers.since = since;
    sub.registered = true;
    this.pending.push([sub, Date.now()]);
    this.send({ type: 'register', address: sub.topic, headers });
  }

  /** @private */
  forget(sub) {
    this.subs.delete(sub.topic);
    this.pending = this.pending.filter(([p]) => p !== sub);
  }

  /** @private */
  send(frame) {
    if (this.ws?.readyState === 1) this.ws.send(JSON.stringify(frame));
  }

  /** @private Text frames arrive as strings; the bridge's own error frames may arrive as binary messages. */
  receive(ws, data) {
    if (typeof Blob !== 'undefined' && data instanceof Blob) {
      data.text().then(text => this.receive(ws, text)); // a Blob, if binaryType could not be set
      return;
    }
    if (this.ws !== ws) return;
    let frame;
    try {
      frame = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
    } catch {
      return;
    }
    const sub = frame.address != null ? this.subs.get(frame.address) : null;
    if (sub) this.pending = this.pending.filter(([p]) => p !== sub);
    if (frame.type === 'err') {
      this.opts.onError?.(frame);
      const now = Date.now();
      this.pending = this.pending.filter(([, at]) => now - at < this.opts.settleMs);
      const owner = sub ?? (frame.address == null ? this.unaddressed(frame.body) : null);
      if (owner && TOKEN_ENDED.has(frame.body) && frame.address != null) {
        this.tokenEnded(ws, owner, frame);
        return;
      }
      if (owner && (FATAL.has(frame.body) || frame.address == null)) {
        this.forget(owner);
        if (frame.address != null) this.send({ type: 'unregister', address: owner.topic }); // frees the bridge slot
        owner.onError({ ...frame, last: owner.last });
      }
      return;
    }
    if (frame.type !== 'rec' || !sub || frame.body == null) return;
    const e = frame.body;
    if (e.type === 'resync') {
      if (typeof e.seq === 'number') sub.last = e.seq;
      sub.onResync(e);
      return;
    }
    if (typeof e.seq === 'number') {
      if (sub.ordered && sub.last != null && e.seq <= sub.last) return; // already delivered
      sub.last = e.seq;
    }
    sub.onEvent(e);
  }

  /**
   * @private The server ended a subscription for its token's sake. The token is read again: a newer one (the page
   * signed in anew, or changed the password, which ends the old token) carries the subscription on from where it
   * was. Otherwise the session is over (onTokenEnded, with the token that ended): a public topic goes on without a
   * token, from the last event delivered; a restricted one stops (its onError).
   */
  tokenEnded(ws, owner, frame) {
    const used = this.token;
    this.send({ type: 'unregister', address: owner.topic }); // frees the bridge slot
    this.withToken(ws, () => {
      if (this.subs.get(owner.topic) !== owner) return;
      if (this.token && this.token !== used) {
        owner.anonymous = false;
        this.register(owner);
        return;
      }
      this.opts.onTokenEnded?.(frame.body, used);
      if (!owner.restricted) {
        owner.anonymous = true;
        this.register(owner);
        return;
      }
      this.forget(owner);
      owner.onError({ ...frame, last: owner.last });
    });
  }

  /** @private Who an error without an address is about: a refused restricted registration, else the latest. */
  unaddressed(body) {
    const subs = this.pending.map(([p]) => p);
    return body === 'rejected' ? (subs.find(p => p.restricted) ?? subs[0]) : subs.at(-1);
  }

  /** @private */
  setStatus(status) {
    if (status === this.status) return;
    this.status = status;
    this.opts.onStatus?.(status);
  }
}
