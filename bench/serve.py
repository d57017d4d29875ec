#!/usr/bin/env python3
"""driftqctl serve benchmarks, each figure beside a limit measured in the same run.

1. Neutral request/response load, as DriftQ's SDKs send it (one request at a time per
   connection, every answer awaited): wrk -t2 -c8 with bench/produce.lua (POST /v1/produce,
   100-byte values) against serve --sync always, the same binary with --sync none, its
   /v1/healthz, and Redis streams (redis-benchmark -c 8 XADD, appendfsync always, a server
   this script starts in a temporary directory on the same disk) when redis-server is
   installed; consume + ack with bench/consume_ack.c (8 workers, each a consume stream and one
   keep-alive connection acking each message and awaiting the answer).
2. driftqctl's own pipelining client (publish --batch, consume + ack --batch): it pipelines a
   connection's requests, so it sees more than an SDK does; reported separately.
3. Publish-to-consume latency, one message at a time.

With --vs URL, another DriftQ server (DriftQ-Core, or another serve) gets the same loads in the
same run, and the ratios are against that measurement; with --baseline BINARY, another
driftqctl build's serve gets the neutral produce load too (before/after, rounds alternating).
No other system's figure is written into this script. Figures, not assertions.

    bench/serve.py [--quick] [--binary PATH] [--vs URL] [--baseline BINARY] [--rounds N]
"""
import argparse
import http.client
import re
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def loopback_rtt(rounds):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]

    def echo():
        conn, _ = server.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        while True:
            data = conn.recv(256)
            if not data:
                return
            conn.sendall(data)

    threading.Thread(target=echo, daemon=True).start()
    client = socket.create_connection(("127.0.0.1", port))
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        client.sendall(b"x" * 200)
        got = 0
        while got < 200:
            got += len(client.recv(256))
        times.append(time.perf_counter() - start)
    client.close()
    return statistics.median(times) * 1e6


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_serve(binary, data, sync, inflight="0"):
    """`binary serve` on a free port without producer backpressure (a 429 would measure the
    limit, not the server) and with `inflight` unacked leases per stream and partition (0: no
    cap); (process, url)."""
    server = subprocess.Popen(
        [binary, "--wal-dir", data, "--sync", sync, "serve", "--addr", "127.0.0.1:0", "--max-inflight", inflight,
         "--max-partition-msgs", "0", "--max-partition-bytes", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(server.stdout.readline().strip().rsplit(":", 1)[1])
    return server, f"http://127.0.0.1:{port}"


def wrk(url, seconds, script=None, args=()):
    """wrk -t2 -c8 (8 keep-alive connections, one request at a time each): (req/s, p99 ms),
    or None with the reason when a request failed or answered other than 2xx."""
    command = ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency"] + (["-s", script] if script else []) + [url]
    if args:
        command += ["--", *args]
    out = subprocess.run(command, capture_output=True, text=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    if not rate or bad or errors:
        return None, (bad and f"{bad.group(1)} non-2xx answers") or (errors and errors.group(1)) or out.strip()[-200:]
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3}
    return (float(rate.group(1)), float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan")), None


def redis_xadd(work, requests):
    """Redis streams XADD with appendfsync always, 8 connections, no pipelining: XADD/s, or
    None when redis-server or redis-benchmark is missing."""
    if not (shutil.which("redis-server") and shutil.which("redis-benchmark")):
        return None
    directory = os.path.join(work, "redis")
    os.makedirs(directory)
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory, "--appendonly", "yes",
         "--appendfsync", "always", "--save", "", "--daemonize", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True).stdout.strip() == "PONG":
                break
            time.sleep(0.05)
        out = subprocess.run(
            ["redis-benchmark", "-p", str(port), "-c", "8", "-n", str(requests), "-q", "XADD", "bench", "*", "v", "x" * 100],
            capture_output=True, text=True).stdout
        found = re.findall(r"([\d.]+) requests per second", out)
        return float(found[-1]) if found else None
    finally:
        server.terminate()
        server.wait(timeout=10)


def consume_ack(tool, url, topic, messages):
    """bench/consume_ack.c against `url` for `messages` already produced to `topic`: msg/s."""
    parsed = urllib.parse.urlparse(url)
    out = subprocess.run([tool, parsed.hostname, str(parsed.port or 80), topic, "g", "8", str(messages)],
                         capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        return None
    return float(out.stdout.split()[2])


def spread(values):
    """'median (min-max)' of a list of rates."""
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:,.0f}"
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def ratio(a, b):
    return a / b if a and b else float("nan")


def print_table(rows):
    header = ("benchmark", "figure", "limit (same run)", "ratio", "goal")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    for r in [header] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="short measurements (CI): a few seconds each")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/driftqctl"))
    parser.add_argument("--vs", metavar="URL", help="another DriftQ server to give the same loads in the same run")
    parser.add_argument("--baseline", metavar="BINARY", help="another driftqctl build whose serve gets the neutral produce load too")
    parser.add_argument("--rounds", type=int, help="rounds of the neutral produce loads, alternating order (default 1 quick, 3)")
    args = parser.parse_args()
    seconds = 2 if args.quick else 8
    rounds = args.rounds or (1 if args.quick else 3)
    per_connection = 2_000 if args.quick else 20_000
    consume_count = 8 * per_connection
    latency_samples = 200 if args.quick else 2_000
    work = tempfile.mkdtemp(prefix="driftq-http-bench-")
    lua = os.path.join(ROOT, "bench/produce.lua")

    cc = shutil.which("cc") or shutil.which("gcc")
    fsync_bin = os.path.join(work, "fsync_rate")
    subprocess.run([cc, "-O2", "-o", fsync_bin, os.path.join(ROOT, "bench/fsync_rate.c")], check=True)
    consume_tool = os.path.join(work, "consume_ack")
    subprocess.run([cc, "-O2", "-pthread", "-o", consume_tool, os.path.join(ROOT, "bench/consume_ack.c")], check=True)
    fsync_rate = float(subprocess.run([fsync_bin, os.path.join(work, "f.tmp"), "2000", "304"], check=True, capture_output=True, text=True).stdout.split()[0])
    rtt = loopback_rtt(2000)
    print(f"limits: append 304 bytes + fdatasync: {fsync_rate:,.0f}/s; loopback TCP round trip p50: {rtt:.1f} us")

    # 1. Neutral request/response load. Each server gets its own directory on the same disk.
    servers = {}
    servers["always"] = start_serve(args.binary, os.path.join(work, "always"), "always")
    servers["none"] = start_serve(args.binary, os.path.join(work, "none"), "none")
    if args.baseline:
        servers["baseline"] = start_serve(args.baseline, os.path.join(work, "baseline"), "always")
    topic = f"bench-{os.getpid()}"
    targets = {name: url for name, (_, url) in servers.items()}
    if args.vs:
        targets["vs"] = args.vs
    for url in targets.values():
        subprocess.run([args.binary, "--base-url", url, "topics", "create", "--name", topic, "--partitions", "8"], check=True, capture_output=True)
    rates = {name: [] for name in list(targets) + ["healthz"]}
    p99s = {name: [] for name in rates}
    failures = {}
    loads = [(name, url, lua, [topic]) for name, url in targets.items()] + [("healthz", targets["always"] + "/v1/healthz", None, [])]
    have_wrk = shutil.which("wrk") is not None
    for round in range(rounds if have_wrk else 0):
        # Alternate the order, so no target always runs first (or after a warm disk cache).
        shift = round % len(loads)
        for name, url, script, script_args in loads[shift:] + loads[:shift]:
            result, why = wrk(url, seconds, script, script_args)
            if result is None:
                failures[name] = why
                continue
            rates[name].append(result[0])
            p99s[name].append(result[1])
    redis = redis_xadd(work, 30_000 if args.quick else 150_000) if have_wrk else None

    def best(name):
        return statistics.median(rates[name]) if rates[name] else None

    def figure(name):
        if name in failures and not rates[name]:
            return f"failed: {failures[name]}"
        p99 = f", p99 {statistics.median(p99s[name]):.1f} ms" if p99s[name] else ""
        return f"{spread(rates[name])} req/s{p99}"

    always = best("always")
    rows = []
    if have_wrk:
        rows.append(("neutral produce, 8 connections, --sync always", figure("always"),
                     f"same binary --sync none: {figure('none')}", f"{ratio(always, best('none')):.2f}x", ">= 0.8x"))
        rows.append(("", "", f"its /v1/healthz: {figure('healthz')}", f"{ratio(always, best('healthz')):.2f}x", ">= 0.7x"))
        rows.append(("", "", f"fdatasync {fsync_rate:,.0f}/s", f"{ratio(always, fsync_rate):.1f} per sync", "group commit across connections"))
        rows.append(("", "", f"Redis XADD appendfsync always: {redis:,.0f} req/s" if redis else "Redis: redis-server/redis-benchmark not installed",
                     f"{ratio(always, redis):.2f}x" if redis else "", "> 1x (ahead)"))
        rows.append(("", "", f"--vs {args.vs}: {figure('vs')}" if args.vs else "(give --vs URL)",
                     f"{ratio(always, best('vs')):.1f}x" if args.vs else "", ">= 5x DriftQ-Core"))
        if args.baseline:
            rows.append(("", "", f"--baseline {args.baseline}: {figure('baseline')}", f"{ratio(always, best('baseline')):.2f}x", "before/after"))
    else:
        rows.append(("neutral produce", "wrk not installed (apt-get install wrk)", "", "", ""))

    # Neutral consume + ack: messages produced by the pipelining client, then consumed by
    # 8 workers that ack each message and await the answer, from a serve with DriftQ-Core's
    # flow control (2 unacked per stream and partition), which is what an SDK worker meets.
    inputs = []
    for c in range(8):
        path = os.path.join(work, f"in{c}.ndjson")
        with open(path, "w") as f:
            for i in range(per_connection):
                f.write('{"key":"c%d-%d","value":"%s"}\n' % (c, i, "x" * 100))
        inputs.append(path)

    def fill(base_url, name):
        client = [args.binary, "--base-url", base_url]
        subprocess.run(client + ["topics", "create", "--name", name, "--partitions", "8"], check=True, capture_output=True)
        procs = [subprocess.Popen(client + ["publish", "--topic", name, "--batch"], stdin=open(p), stdout=subprocess.DEVNULL) for p in inputs]
        for p in procs:
            if p.wait() != 0:
                sys.exit(f"publish to {base_url} failed")

    neutral_count = 8 * (500 if args.quick else 5_000)
    consumed = {}
    servers["consume"] = start_serve(args.binary, os.path.join(work, "consume"), "always", inflight="2")
    consumers = [("always", servers["consume"][1])] + ([("vs", args.vs)] if args.vs else [])
    if args.baseline:
        servers["consume-baseline"] = start_serve(args.baseline, os.path.join(work, "consume-baseline"), "always", inflight="2")
        consumers.append(("baseline", servers["consume-baseline"][1]))
    for name, url in consumers:
        fill(url, f"ca-{topic}")
        consumed[name] = consume_ack(consume_tool, url, f"ca-{topic}", neutral_count)
    ca = consumed.get("always")
    rows.append(("neutral consume + ack, 8 workers, --max-inflight 2", f"{ca:,.0f} msg/s" if ca else "failed",
                 f"fdatasync {fsync_rate:,.0f}/s", f"{ratio(ca, fsync_rate):.2f} per sync", "(each lease and each ack is durable)"))
    rows.append(("", "", f"its /v1/healthz: {spread(rates['healthz'])} req/s" if rates["healthz"] else "",
                 f"{ratio(ca, best('healthz')):.2f}x" if rates["healthz"] else "", "(request/response ceiling)"))
    rows.append(("", "", f"--vs {args.vs}: {consumed['vs']:,.0f} msg/s" if args.vs and consumed.get("vs") else "(give --vs URL)",
                 f"{ratio(ca, consumed.get('vs')):.1f}x" if args.vs else "", ">= 5x DriftQ-Core"))
    if args.baseline:
        cb = consumed.get("baseline")
        rows.append(("", "", f"--baseline {args.baseline}: {cb:,.0f} msg/s" if cb else "--baseline: failed",
                     f"{ratio(ca, cb):.2f}x", "before/after"))

    # 2. driftqctl's own pipelining client: 8 processes, each one keep-alive connection.
    pipelined_server, url = start_serve(args.binary, os.path.join(work, "pipelined"), "always")
    remote = [args.binary, "--base-url", url]

    def measure(base_url, name):
        """Produce (8 processes, each one keep-alive connection, pipelined) and consume + ack
        (--batch), against one server: (produce req/s, consume + ack msg/s)."""
        client = [args.binary, "--base-url", base_url]
        start = time.perf_counter()
        fill(base_url, name)
        produce = 8 * per_connection / (time.perf_counter() - start)
        items = os.path.join(work, f"items-{name}")
        start = time.perf_counter()
        with open(items, "w") as out:
            subprocess.run(client + ["consume", "--topic", name, "--group", "g", "--owner", "w", "--max", str(consume_count), "--follow", "--wait", "120s", "--lease-ms", "600000"], stdout=out, check=True)
        with open(items) as f:
            subprocess.run(client + ["ack", "--batch", "--topic", name, "--group", "g", "--owner", "w"], stdin=f, stdout=subprocess.DEVNULL, check=True)
        return produce, consume_count / (time.perf_counter() - start)

    ours = measure(url, f"p-{topic}")
    theirs = measure(args.vs, f"p-{topic}") if args.vs else None

    def against(i):
        if theirs is None:
            return "(give --vs URL)"
        return f"{ours[i] / theirs[i]:.1f}x --vs ({theirs[i]:,.0f}/s)"

    rows += [
        ("pipelined produce (driftqctl publish --batch), 8 connections", f"{ours[0]:,.0f} req/s", f"fdatasync {fsync_rate:,.0f}/s ({ours[0] / fsync_rate:.1f} per sync)", against(0), ">= 5x the --vs server"),
        ("pipelined consume + ack (driftqctl consume, ack --batch)", f"{ours[1]:,.0f} msg/s", f"fdatasync {fsync_rate:,.0f}/s ({ours[1] / fsync_rate:.1f} per sync)", against(1), ">= 5x the --vs server"),
    ]

    # 3. Publish-to-consume latency: one stream open, messages produced one at a time.
    port = int(url.rsplit(":", 1)[1])
    subprocess.run(remote + ["topics", "create", "--name", "lat"], check=True, capture_output=True)
    stream = http.client.HTTPConnection("127.0.0.1", port)
    stream.request("GET", "/v1/consume?topic=lat&group=g&owner=o&lease_ms=600000")
    response = stream.getresponse()
    producer = http.client.HTTPConnection("127.0.0.1", port)
    acker = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    for i in range(latency_samples):
        sent = time.perf_counter()
        producer.request("POST", "/v1/produce", body='{"topic":"lat","value":"m%d"}' % i, headers={"Content-Type": "application/json"})
        producer.getresponse().read()
        while True:
            line = response.fp.readline()
            if line.strip() and not line.strip().isalnum():
                break
        latencies.append(time.perf_counter() - sent)
        acker.request("POST", "/v1/ack", body='{"topic":"lat","group":"g","owner":"o","partition":0,"offset":%d}' % i, headers={"Content-Type": "application/json"})
        acker.getresponse().read()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    rows.append(("publish-to-consume latency", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms", f"RTT {rtt:.0f} us + fdatasync {1e3 / fsync_rate:.2f} ms", "", "p99 <= 5 ms"))

    for server in [pipelined_server] + [s for s, _ in servers.values()]:
        server.terminate()
        server.wait(timeout=10)
    print()
    print_table(rows)
    print(f"(neutral: wrk -t2 -c8 {seconds}s x {rounds} round(s), median (min-max); consume + ack: bench/consume_ack.c, {neutral_count} messages;"
          " pipelined: driftqctl's own client, which pipelines each connection's requests, as DriftQ's SDKs do not)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
