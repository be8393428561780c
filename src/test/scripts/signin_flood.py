#!/usr/bin/env python3
"""A flood of sign-ins while one client posts comments (docs/RELIABILITY.md, Bounded clients).

Against a server started by probe_server.sh: registers an account and a writer, then signs in N times at once (one
thread each, OWASP's hashing cost) while the writer posts comments one after another, and prints the sign-ins'
statuses and times and the comments' latency before and during the flood.
usage: signin_flood.py [sign-ins, default 80] [tag, default a: names must be new on each run]"""
import json, sys, threading, time, http.client

from probe_http import PORT, req
from collections import Counter

n = int(sys.argv[1]) if len(sys.argv) > 1 else 80
tag = sys.argv[2] if len(sys.argv) > 2 else "a"


def register(name):
    st, d = req("POST", "/api/auth/register", {"username": name, "email": name + "@example.org",
                                               "password": "correct horse battery"})
    assert st == 201, (st, d)
    return json.loads(d)["token"]


register("flood" + tag)
token = register("writer" + tag)
st, d = req("POST", "/api/posts", {"title": "Flood " + tag, "body": "b"}, token)
post = json.loads(d)["id"]


def comments(out, stop):
    while not stop.is_set():
        t0 = time.time(); st, _ = req("POST", "/api/posts/%s/comments" % post, {"body": "during"}, token)
        out.append((st, time.time() - t0))


def q(xs):
    xs = sorted(x[1] * 1000 for x in xs)
    return "n=%d p50 %.0f ms p99 %.0f ms max %.0f ms" % (len(xs), xs[len(xs) // 2], xs[int(len(xs) * 0.99)], xs[-1]) \
        if xs else "none"


quiet, stop = [], threading.Event()
t = threading.Thread(target=comments, args=(quiet, stop)); t.start(); time.sleep(2); stop.set(); t.join()
results, during, stop = [], [], threading.Event()


def sign_in():
    t0 = time.time()
    st, _ = req("POST", "/api/auth/login", {"login": "flood" + tag, "password": "correct horse battery"})
    results.append((st, time.time() - t0))


writer = threading.Thread(target=comments, args=(during, stop)); writer.start()
threads = [threading.Thread(target=sign_in) for _ in range(n)]
t0 = time.time()
for t in threads: t.start()
for t in threads: t.join()
wall = time.time() - t0
stop.set(); writer.join()
print("sign-ins: %d in %.2f s, %s; answered 200: %s" % (n, wall, dict(Counter(r[0] for r in results)),
                                                      q([r for r in results if r[0] == 200])))
print("comments before the flood: %s %s" % (q(quiet), dict(Counter(r[0] for r in quiet))))
print("comments during the flood: %s %s" % (q(during), dict(Counter(r[0] for r in during))))
