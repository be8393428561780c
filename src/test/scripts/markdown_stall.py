#!/usr/bin/env python3
"""Markdown that is slow to parse, posted by many accounts at once, and what it does to everyone else's requests
(docs/RELIABILITY.md, Bounded clients).

Against a server started by probe_server.sh (with PARLEY_HTTP_INSTANCES=1, so every request shares one event loop):
W accounts each post R comments of 9,900 characters of "*_" while a reader asks GET /health every 2 ms; prints the
reader's latency before and during.
usage: markdown_stall.py [tag, default x: names must be new on each run] [W, default 20] [R, default 5]"""
import json, sys, threading, time, http.client

from probe_http import PORT, req

tag = sys.argv[1] if len(sys.argv) > 1 else "x"
writers = int(sys.argv[2]) if len(sys.argv) > 2 else 20
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5


tokens = []
for i in range(writers):
    name = "w%s%d" % (tag, i)
    st, d = req("POST", "/api/auth/register", {"username": name, "email": name + "@example.org",
                                               "password": "correct horse battery"})
    assert st == 201, (st, d)
    tokens.append(json.loads(d)["token"])
st, d = req("POST", "/api/posts", {"title": "Stall " + tag, "body": "b"}, tokens[0])
post = json.loads(d)["id"]
body = "*_" * 4950
latencies, stop = [], threading.Event()


def reader():
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    while not stop.is_set():
        t0 = time.time(); c.request("GET", "/health"); r = c.getresponse(); r.read()
        latencies.append((time.time() - t0) * 1000)
        time.sleep(0.002)


def writer(token):
    for _ in range(rounds):
        st, d = req("POST", "/api/posts/%s/comments" % post, {"body": body}, token)
        assert st == 201, (st, d)


def q(xs):
    xs = sorted(xs)
    return "n=%d p50 %.1f p99 %.1f max %.1f ms" % (len(xs), xs[len(xs) // 2], xs[int(len(xs) * 0.99)], xs[-1])


r = threading.Thread(target=reader); r.start(); time.sleep(1)
quiet = list(latencies); latencies.clear()
threads = [threading.Thread(target=writer, args=(t,)) for t in tokens]
t0 = time.time()
for t in threads: t.start()
for t in threads: t.join()
wall = time.time() - t0
stop.set(); r.join()
print("%d comments in %.1f s; GET /health during: %s; before: %s" % (writers * rounds, wall, q(latencies), q(quiet)))
