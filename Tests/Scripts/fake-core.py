#!/usr/bin/env python3
"""A stand-in for DriftQ-Core v1 on a loopback port, for driftqctl's compatibility tests.

It answers as the contract records DriftQ-Core does: /v1 without driftqctl's extensions
(/v1/version lists none), a produce answer without partition or offset, a consume stream that
pushes every message it has and ignores unknown parameters, 400 "topic already exists", 501
on /debug/topics/peek and the catch-all 404 "use /v1/* endpoints" for every other route.
Usage: fake-core.py  (prints "listening on 127.0.0.1:PORT", serves until killed)
"""
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

LOCK = threading.Lock()
TOPICS = {}  # name -> list of (key, value)
DEMO_RUN_STATE = {
    "ok": True,
    "run": {"run_id": "demo-1", "workflow_id": "wf_demo", "status": "succeeded", "initial_input": {"x": 1}},
    "nodes": [{"run_id": "demo-1", "workflow_id": "wf_demo", "node_id": "A", "attempt": 1, "status": "succeeded"}],
    "events": [
        {"run_id": "demo-1", "seq": 1, "type": "run_created", "at": "2026-01-05T10:15:00.0Z", "workflow_id": "wf_demo"},
        {"run_id": "demo-1", "seq": 2, "type": "run_started", "at": "2026-01-05T10:15:00.1Z"},
        {"run_id": "demo-1", "seq": 3, "type": "node_started", "at": "2026-01-05T10:15:00.11Z", "node_id": "A", "attempt": 1},
        {"run_id": "demo-1", "seq": 4, "type": "node_finished", "at": "2026-01-05T10:15:00.13Z", "node_id": "A", "attempt": 1,
         "payload": {"output": {"x": 2}}},
        {"run_id": "demo-1", "seq": 5, "type": "run_finished", "at": "2026-01-05T10:15:00.2Z", "payload": {"status": "succeeded"}},
    ],
    "timers": [],
}


class Core(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body, content_type="application/json"):
        data = (json.dumps(body) if not isinstance(body, str) else body).encode() + b"\n"
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return json.loads(self.rfile.read(length) or b"{}") if length else {}

    def do_GET(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/v1/healthz":
            return self.answer(200, {"status": "ok"})
        if url.path == "/v1/version":
            return self.answer(200, {"version": "dev", "commit": "unknown", "wal_enabled": True})
        if url.path == "/v1/topics":
            with LOCK:
                return self.answer(200, {"topics": sorted(TOPICS)})
        if url.path == "/debug/run-state":
            # DriftQ-Core's run-state of a demo run: a runs API without driftqctl's extensions.
            if query.get("run_id") != "demo-1":
                return self.answer(404, "run not found", "text/plain; charset=utf-8")
            return self.answer(200, DEMO_RUN_STATE)
        if url.path == "/debug/topics/peek":
            return self.answer(501, "not implemented", "text/plain; charset=utf-8")
        if url.path == "/v1/consume":
            topic = query.get("topic", "")
            with LOCK:
                if topic not in TOPICS:
                    return self.answer(400, {"error": "INVALID_ARGUMENT", "message": "topic does not exist"})
                items = list(enumerate(TOPICS[topic]))
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson; charset=utf-8")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for offset, (key, value) in items:
                line = json.dumps({"partition": 0, "offset": offset, "attempts": 1, "key": key, "value": value, "last_error": ""}).encode() + b"\n"
                self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                self.wfile.flush()
            # DriftQ-Core keeps the stream open; the client decides when it has enough.
            threading.Event().wait(3)
            self.wfile.write(b"0\r\n\r\n")
            return
        return self.answer(404, {"error": "NOT_FOUND", "message": "use /v1/* endpoints"})

    def do_POST(self):
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/v1/topics":
            name = query.get("name", "")
            with LOCK:
                if name in TOPICS:
                    return self.answer(400, {"error": "INVALID_ARGUMENT", "message": "topic already exists"})
                TOPICS[name] = []
            return self.answer(201, {"status": "created", "name": name, "partitions": int(query.get("partitions", "1"))})
        if url.path == "/v1/produce":
            body = self.body()
            if set(body) - {"topic", "key", "value", "envelope"}:
                return self.answer(400, {"error": "INVALID_ARGUMENT", "message": "invalid json body: json: unknown field"})
            with LOCK:
                if body.get("topic") not in TOPICS:
                    return self.answer(400, {"error": "INVALID_ARGUMENT", "message": "topic does not exist"})
                TOPICS[body["topic"]].append((body.get("key", ""), body.get("value", "")))
            return self.answer(200, {"status": "produced", "topic": body["topic"]})
        if url.path in ("/v1/ack", "/v1/nack"):
            self.body()
            self.send_response(204)
            self.end_headers()
            return
        return self.answer(404, {"error": "NOT_FOUND", "message": "use /v1/* endpoints"})


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Core)
    print(f"listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
