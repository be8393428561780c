"""The one HTTP call the overload probes make, against the server probe_server.sh starts (port 18080)."""
import http.client
import json

PORT = 18080


def req(method, path, body=None, token=None):
    """Sends one request on a connection of its own; returns (status, body bytes)."""
    c = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    h = {"Content-Type": "application/json"}
    if token:
        h["Authorization"] = "Bearer " + token
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
    r = c.getresponse(); data = r.read(); c.close()
    return r.status, data
