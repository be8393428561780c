"""One client asks for many distinct pages at once; another reads meanwhile. Against probe_server.sh's server.

   src/test/scripts/probe_server.sh target/parley.jar && python3 src/test/scripts/distinct_reads.py [rounds]

The attacker (source address 127.0.0.2) sends 250 concurrent GETs of one long thread's comments, each with a
limit of its own, so no two share a read-cache entry or a load; the reader (127.0.0.1) asks for another thread's
page, with a limit of its own too (a read that needs the database), every 50 ms while the attack runs. Prints, per
round, the attacker's statuses and how long its burst took, and the reader's latencies.
"""
import http.client
import json
import random
import statistics
import sys
import threading
import time

PORT = 18080


def req(method, path, body=None, token=None, source="127.0.0.1"):
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120, source_address=(source, 0))
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def setup():
    name = "probe%d" % random.randrange(10**9)
    status, body = req("POST", "/api/auth/register", {"username": name, "email": name + "@example.org",
                                                      "password": "correct horse battery"})
    assert status == 201, (status, body)
    token = json.loads(body)["token"]
    posts = []
    for title in ("The long thread", "The other thread"):
        status, body = req("POST", "/api/posts", {"title": title, "body": "Read me."}, token)
        assert status == 201, (status, body)
        posts.append(json.loads(body)["id"])
    words = "A comment with words enough to weigh something on the page. " * 80
    for i in range(200):
        for post in posts:
            status, body = req("POST", "/api/posts/%d/comments" % post, {"body": "%d %s" % (i, words)}, token)
            assert status == 201, (status, body)
    return posts


def round_(posts):
    attacked, other = posts
    statuses = {}
    lock = threading.Lock()
    limits = random.sample(range(1, 201), 200) + random.sample(range(1, 201), 50)
    sorts = ["old", "new"]

    def attack(i):
        path = "/api/posts/%d/comments?limit=%d&sort=%s" % (attacked, limits[i], sorts[i % 2])
        status, _ = req("GET", path, source="127.0.0.2")
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    done = threading.Event()
    latencies = []

    def read():
        while not done.is_set():
            start = time.monotonic()
            status, _ = req("GET", "/api/posts/%d/comments?limit=%d" % (other, random.randrange(1, 201)))
            latencies.append((time.monotonic() - start) * 1000)
            assert status == 200, status
            time.sleep(0.05)

    reader = threading.Thread(target=read)
    reader.start()
    threads = [threading.Thread(target=attack, args=(i,)) for i in range(250)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    burst = time.monotonic() - start
    done.set()
    reader.join()
    latencies.sort()
    print("attacker: %s in %.1f s; reader: %d reads, p50 %.0f ms, max %.0f ms" % (
        dict(sorted(statuses.items())), burst, len(latencies), statistics.median(latencies), latencies[-1]))


if __name__ == "__main__":
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    posts = setup()
    for _ in range(rounds):
        round_(posts)
