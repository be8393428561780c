// Parley's live push seen from JavaScript: the official Vert.x client (@vertx/eventbus-bridge-client.js over
// sockjs-client) and Parley's own webroot/js/live.js, against a running server named by PARLEY_URL. The live.js
// protocol tests with a scripted socket need no server and always run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';

const require = createRequire(import.meta.url);
// The CommonJS build requires sockjs-client itself (its Node transports use faye-websocket); no global needed.
const EventBus = require('@vertx/eventbus-bridge-client.js');

// webroot/ has no package.json, so Node would read live.js as CommonJS: import a copy named .mjs.
const liveSource = fileURLToPath(new URL('../../../webroot/js/live.js', import.meta.url));
const liveCopy = join(mkdtempSync(join(tmpdir(), 'parley-live-')), 'live.mjs');
copyFileSync(liveSource, liveCopy);
const { Live } = await import(pathToFileURL(liveCopy).href);

const BASE = process.env.PARLEY_URL?.replace(/\/$/, '');
const server = { skip: BASE ? false : 'PARLEY_URL is not set' };
const WAIT = 15_000;

// ---- REST helpers -------------------------------------------------------------------------------------------

async function api(method, path, body, token) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(BASE + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  assert.ok(res.ok, `${method} ${path} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

async function register(prefix = 'node') {
  const username = `${prefix}${randomBytes(5).toString('hex')}`;
  const { token, user } = await api('POST', '/api/auth/register',
    { username, email: `${username}@example.test`, password: 'correct horse battery staple' });
  return { token, user };
}

async function createPost(session, title = 'From Node') {
  const post = await api('POST', '/api/posts', { title, body: 'A thread opened by the Node test.' }, session.token);
  const { seq } = await api('GET', `/api/posts/${post.id}`);
  assert.equal(typeof seq, 'number', 'GET /api/posts/{id} carries the thread seq');
  return { id: post.id, seq };
}

const comment = (session, postId, body, parentId) =>
  api('POST', `/api/posts/${postId}/comments`, parentId ? { body, parentId } : { body }, session.token);

/** A queue of values with awaitable, time-limited takes. */
function inbox() {
  const items = [];
  const waiters = [];
  return {
    items,
    push(v) { items.push(v); waiters.splice(0).forEach(w => w()); },
    async next(what = 'a message', ms = WAIT) {
      const deadline = Date.now() + ms;
      while (items.length === 0) {
        const left = deadline - Date.now();
        if (left <= 0) assert.fail(`no ${what} within ${ms} ms`);
        await new Promise(resolve => { const t = setTimeout(resolve, left); waiters.push(() => { clearTimeout(t); resolve(); }); });
      }
      return items.shift();
    },
  };
}

function openBus(url) {
  const eb = new EventBus(url);
  const errors = inbox();
  eb.onerror = err => errors.push(err);
  const opened = new Promise((resolve, reject) => {
    eb.onopen = resolve;
    eb.onclose = e => reject(new Error(`the bridge closed before opening: ${e?.code} ${e?.reason}`));
  });
  return { eb, errors, opened };
}

// ---- the official client ------------------------------------------------------------------------------------

test('the official client follows a thread from its seq and receives a new comment', server, async () => {
  const alice = await register('alice');
  const post = await createPost(alice);
  const { eb, errors, opened } = openBus(`${BASE}/eventbus`);
  try {
    await opened;
    const messages = inbox();
    eb.registerHandler(`parley.post.${post.id}`, { since: post.seq }, (err, msg) => messages.push({ err, msg }));
    const created = await comment(alice, post.id, 'hello from the official client');
    const { err, msg } = await messages.next('event on the thread');
    assert.equal(err, null, `handler error: ${JSON.stringify(err)}`);
    assert.equal(msg.type, 'rec');
    assert.equal(msg.address, `parley.post.${post.id}`);
    assert.equal(msg.body.type, 'comment.created');
    assert.equal(msg.body.topic, `parley.post.${post.id}`);
    assert.equal(msg.body.seq, post.seq + 1);
    assert.equal(msg.body.data.id, created.id);
    assert.deepEqual(msg.body.data, created, 'the event data is what the REST API returned');
    assert.equal(errors.items.length, 0, `unexpected errors: ${JSON.stringify(errors.items)}`);
  } finally {
    eb.close();
  }
});

test('the official client cannot follow parley.mod anonymously', server, async () => {
  const { eb, errors, opened } = openBus(`${BASE}/eventbus`);
  try {
    await opened;
    const delivered = [];
    eb.registerHandler('parley.mod', (err, msg) => (err ? errors.push(err) : delivered.push(msg)));
    // The bridge's refusal names no address, so the client passes it to onerror rather than to the handler.
    const frame = await errors.next('error for parley.mod');
    assert.equal(frame.type, 'err', JSON.stringify(frame));
    assert.equal(frame.body, 'rejected', JSON.stringify(frame));
    assert.deepEqual(delivered, [], 'nothing was delivered on parley.mod');
  } finally {
    eb.close();
  }
});

// ---- webroot/js/live.js against the server ------------------------------------------------------------------

const wsUrl = () => BASE.replace(/^http/, 'ws') + '/eventbus/websocket';

test('live.js follows a thread, resumes after a dropped socket with no gap or duplicate', server, async () => {
  const alice = await register('alice');
  const post = await createPost(alice);
  const statuses = [];
  const live = new Live({ url: wsUrl(), WebSocketImpl: WebSocket, onStatus: s => statuses.push(s), minDelay: 2000 });
  try {
    const events = inbox();
    const failures = [];
    live.subscribe(`parley.post.${post.id}`,
      { since: post.seq, onEvent: e => events.push(e), onResync: e => failures.push(e), onError: f => failures.push(f) });
    const first = await comment(alice, post.id, 'one');
    const e1 = await events.next('first event');
    assert.equal(e1.type, 'comment.created');
    assert.equal(e1.data.id, first.id);
    assert.equal(e1.seq, post.seq + 1);

    live.ws.terminate(); // the connection drops without a close handshake
    const during = [await comment(alice, post.id, 'two'), await comment(alice, post.id, 'three')];
    const after = await comment(alice, post.id, 'four', during[0].id);
    const rest = [await events.next('event 2'), await events.next('event 3'), await events.next('event 4')];
    assert.deepEqual(rest.map(e => e.seq), [post.seq + 2, post.seq + 3, post.seq + 4]);
    assert.deepEqual(rest.map(e => e.data.id), [...during, after].map(c => c.id));
    await new Promise(r => setTimeout(r, 300));
    assert.equal(events.items.length, 0, 'no duplicates');
    assert.deepEqual(failures, []);
    assert.deepEqual(statuses, ['connecting', 'open', 'reconnecting', 'open']);
  } finally {
    live.close();
  }
  assert.equal(statuses.at(-1), 'closed');
});

test('live.js: a token-bearing user topic works, parley.mod is refused anonymously', server, async () => {
  const alice = await register('alice');
  const bob = await register('bob');
  const post = await createPost(alice);
  const mine = await comment(alice, post.id, 'mine');
  let calls = 0;
  const live = new Live({ url: wsUrl(), WebSocketImpl: WebSocket, token: async () => { calls++; return alice.token; } });
  const anon = new Live({ url: wsUrl(), WebSocketImpl: WebSocket });
  try {
    const replies = inbox();
    const errors = inbox();
    live.subscribe(`parley.user.${alice.user.id}`, { onEvent: e => replies.push(e), onError: f => errors.push(f) });
    anon.subscribe('parley.mod', { onEvent: e => assert.fail(`mod event: ${e.type}`), onError: f => errors.push(f) });
    const err = await errors.next('refusal of parley.mod');
    assert.equal(err.body, 'rejected');
    assert.equal(anon.subs.size, 0, 'the refused subscription is stopped');
    await new Promise(r => setTimeout(r, 500)); // the user topic's registration is silent when it succeeds
    const reply = await comment(bob, post.id, 'a reply', mine.id);
    const e = await replies.next('reply on the user topic');
    assert.equal(e.type, 'reply.created');
    assert.equal(e.data.id, reply.id);
    assert.equal(calls, 1);
    assert.equal(errors.items.length, 0);
  } finally {
    live.close();
    anon.close();
  }
});

// ---- webroot/js/live.js protocol handling, with a scripted socket (no server) -------------------------------

class FakeSocket {
  static all = [];
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.sent = [];
    FakeSocket.all.push(this);
    setTimeout(() => { this.readyState = 1; this.onopen?.(); }, 0);
  }
  send(text) { this.sent.push(JSON.parse(text)); }
  close(code = 1000) { if (this.readyState > 1) return; this.readyState = 3; this.onclose?.({ code }); }
  text(frame) { this.onmessage({ data: JSON.stringify(frame) }); }
  binary(frame) { this.onmessage({ data: new TextEncoder().encode(JSON.stringify(frame)).buffer }); }
  registers() { return this.sent.filter(f => f.type === 'register'); }
}

const tick = (ms = 5) => new Promise(r => setTimeout(r, ms));
const rec = (topic, seq, type = 'comment.created') =>
  ({ type: 'rec', address: topic, body: { type, topic, seq, at: '2026-01-01T00:00:00Z', data: { seq } } });

test('live.js de-duplicates by seq, resumes from the last delivered seq and re-reads the token', async () => {
  FakeSocket.all = [];
  let token = 't1';
  const live = new Live({ url: 'ws://x/eventbus/websocket', WebSocketImpl: FakeSocket, token: () => token, minDelay: 10 });
  try {
    const seen = [];
    const resyncs = [];
    const stop = live.subscribe('parley.post.7', { since: 3, onEvent: e => seen.push(e.seq), onResync: e => resyncs.push(e) });
    live.subscribe('parley.feed', { onEvent: e => seen.push(`feed${e.seq}`), onResync: e => resyncs.push(e) });
    live.subscribe('parley.user.3', { since: 0 });
    await tick();
    const s1 = FakeSocket.all[0];
    assert.equal(s1.binaryType, 'arraybuffer');
    assert.deepEqual(s1.sent[0], { type: 'ping' });
    assert.deepEqual(s1.registers(), [
      { type: 'register', address: 'parley.post.7', headers: { token: 't1', since: 3 } },
      { type: 'register', address: 'parley.feed', headers: { token: 't1' } },
      { type: 'register', address: 'parley.user.3', headers: { token: 't1', since: 0 } },
    ]);
    for (const seq of [2, 3, 4, 4, 5]) s1.text(rec('parley.post.7', seq));
    s1.text(rec('parley.feed', 90, 'post.created'));
    assert.deepEqual(seen, [4, 5, 'feed90']);

    token = 't2';
    s1.close(4001); // slow consumer
    await tick(30);
    const s2 = FakeSocket.all[1];
    assert.ok(s2, 'reconnected');
    assert.deepEqual(s2.registers(), [
      { type: 'register', address: 'parley.post.7', headers: { token: 't2', since: 5 } },
      { type: 'register', address: 'parley.feed', headers: { token: 't2', since: 90 } },
      { type: 'register', address: 'parley.user.3', headers: { token: 't2', since: 0 } },
    ]);
    s2.text({ type: 'rec', address: 'parley.feed', body: { type: 'resync', topic: 'parley.feed', seq: null, at: null, data: null } });
    s2.text({ type: 'rec', address: 'parley.post.7', body: { type: 'resync', topic: 'parley.post.7', seq: 20, at: null, data: null } });
    for (const seq of [5, 19, 20, 21]) s2.text(rec('parley.post.7', seq));
    assert.deepEqual(resyncs.map(r => r.topic), ['parley.feed', 'parley.post.7']);
    assert.deepEqual(seen, [4, 5, 'feed90', 21], 'after a resync the stream goes on after its seq');

    stop();
    assert.deepEqual(s2.sent.at(-1), { type: 'unregister', address: 'parley.post.7' });
    s2.text(rec('parley.post.7', 22));
    assert.deepEqual(seen, [4, 5, 'feed90', 21]);
  } finally {
    live.close();
  }
});

test('live.js handles binary error frames and stops cut subscriptions', async () => {
  FakeSocket.all = [];
  const live = new Live({ url: 'ws://x/eventbus/websocket', WebSocketImpl: FakeSocket, token: () => 'tok' });
  try {
    const errors = [];
    const all = [];
    live.opts.onError = f => all.push(f);
    live.subscribe('parley.post.9', { onError: f => errors.push(['post', f.body]) }); // public: refused only for a bad token
    live.subscribe('parley.user.1', { onError: f => errors.push(['user', f.body]) });
    live.subscribe('parley.mod', { onError: f => errors.push(['mod', f.body]) });
    await tick();
    const s = FakeSocket.all[0];
    s.text(rec('parley.user.1', 1, 'reply.created')); // confirms parley.user.1, so the refusal is parley.mod's
    s.binary({ type: 'err', body: 'rejected' });
    assert.deepEqual(errors, [['mod', 'rejected']]);
    s.text({ type: 'err', address: 'parley.user.1', body: 'token_expired' });
    await tick(); // the token is read again first: no newer one
    assert.deepEqual(errors, [['mod', 'rejected'], ['user', 'token_expired']]);
    assert.deepEqual(s.sent.at(-1), { type: 'unregister', address: 'parley.user.1' });
    assert.deepEqual([...live.subs.keys()], ['parley.post.9']);
    assert.equal(all.length, 2);
  } finally {
    live.close();
  }
});

test('live.js follows a public topic on without the token when the token ends, and stops restricted ones', async () => {
  FakeSocket.all = [];
  const ended = [];
  const live = new Live({ url: 'ws://x/eventbus/websocket', WebSocketImpl: FakeSocket, token: () => 'tok', minDelay: 10,
    onTokenEnded: (why, token) => ended.push([why, token]) });
  try {
    const errors = [];
    const seen = [];
    live.subscribe('parley.post.9', { since: 4, onEvent: e => seen.push(e.seq), onError: f => errors.push(['post', f.body]) });
    live.subscribe('parley.mod', { onError: f => errors.push(['mod', f.body, f.last]) });
    await tick();
    const s = FakeSocket.all[0];
    s.text(rec('parley.post.9', 5));
    s.text({ type: 'err', address: 'parley.post.9', body: 'token_revoked' });
    await tick();
    // Unregistered, then registered again on the same socket, without the token, after the last event delivered.
    assert.deepEqual(s.sent.slice(-2), [{ type: 'unregister', address: 'parley.post.9' },
      { type: 'register', address: 'parley.post.9', headers: { since: 5 } }]);
    s.text(rec('parley.post.9', 6));
    assert.deepEqual(seen, [5, 6], 'the thread goes on');
    s.text({ type: 'err', address: 'parley.mod', body: 'token_revoked' });
    await tick();
    assert.deepEqual(errors, [['mod', 'token_revoked', null]], 'a restricted topic stops; the public one never did');
    assert.deepEqual(ended, [['token_revoked', 'tok'], ['token_revoked', 'tok']]);
    assert.deepEqual([...live.subs.keys()], ['parley.post.9']);
    s.close(4001); // and after a reconnect it stays without the token
    await tick(30);
    assert.deepEqual(FakeSocket.all[1].registers(), [{ type: 'register', address: 'parley.post.9', headers: { since: 6 } }]);
  } finally {
    live.close();
  }
});

test('live.js carries a subscription on with a newer token when the one it was registered with ends', async () => {
  FakeSocket.all = [];
  let token = 'old';
  const ended = [];
  const live = new Live({ url: 'ws://x/eventbus/websocket', WebSocketImpl: FakeSocket, token: () => token,
    onTokenEnded: why => ended.push(why) });
  try {
    const errors = [];
    live.subscribe('parley.user.3', { since: 2, onError: f => errors.push(f.body) });
    await tick();
    const s = FakeSocket.all[0];
    token = 'new'; // the page changed its password: the server ends the old token, the page holds a new one
    s.text({ type: 'err', address: 'parley.user.3', body: 'token_revoked' });
    await tick();
    assert.deepEqual(s.registers().at(-1), { type: 'register', address: 'parley.user.3', headers: { token: 'new', since: 2 } });
    assert.deepEqual(errors, [], 'not stopped');
    assert.deepEqual(ended, [], 'no session ended');
  } finally {
    live.close();
  }
});

test('live.js backs off exponentially with jitter and reports its status', async () => {
  const statuses = [];
  let attempts = 0;
  const times = [];
  class Refused {
    constructor() { attempts++; times.push(Date.now()); this.readyState = 0; setTimeout(() => { this.readyState = 3; this.onclose?.({ code: 1006 }); }, 0); }
    close() {}
  }
  const live = new Live({ url: 'ws://x', WebSocketImpl: Refused, onStatus: s => statuses.push(s), minDelay: 20, maxDelay: 80 });
  await tick(400);
  live.close();
  const gaps = times.slice(1).map((t, i) => t - times[i]);
  assert.ok(attempts >= 4 && attempts <= 12, `attempts: ${attempts}`);
  assert.ok(gaps[0] >= 9 && gaps[0] < 60, `first delay ${gaps[0]}`);
  assert.ok(gaps.every(g => g < 130), `capped: ${gaps}`);
  assert.deepEqual(statuses, ['connecting', 'reconnecting', 'closed']);
});
