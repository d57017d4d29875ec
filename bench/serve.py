#!/usr/bin/env python3
"""driftqctl serve benchmarks: produce with 8 keep-alive connections, consume + ack over HTTP,
and publish-to-consume latency, each beside limits measured in the same run (fdatasync of one
small append, loopback TCP round trip). With --vs URL, another DriftQ server (DriftQ-Core, or
another serve) gets the same load in the same run, and the ratio is against that measurement;
no other system's figure is written into this script. The load comes from driftqctl's own
client, which pipelines a connection's requests: DriftQ's SDKs, one request at a time, see
less. Figures, not assertions.

    bench/serve.py [--quick] [--binary PATH] [--vs URL]
"""
import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/driftqctl"))
    parser.add_argument("--vs", metavar="URL", help="another DriftQ server to give the same load in the same run")
    args = parser.parse_args()
    per_connection = 2_000 if args.quick else 20_000
    consume_count = 8 * per_connection
    latency_samples = 200 if args.quick else 2_000
    work = tempfile.mkdtemp(prefix="driftq-http-bench-")
    data = os.path.join(work, "data")
    ctl = [args.binary, "--wal-dir", data]

    cc = shutil.which("cc") or shutil.which("gcc")
    fsync_bin = os.path.join(work, "fsync_rate")
    subprocess.run([cc, "-O2", "-o", fsync_bin, os.path.join(ROOT, "bench/fsync_rate.c")], check=True)
    fsync_rate = float(subprocess.run([fsync_bin, os.path.join(work, "f.tmp"), "2000", "304"], check=True, capture_output=True, text=True).stdout.split()[0])
    rtt = loopback_rtt(2000)
    print(f"limits: append 304 bytes + fdatasync: {fsync_rate:,.0f}/s; loopback TCP round trip p50: {rtt:.1f} us")

    server = subprocess.Popen(ctl + ["serve", "--addr", "127.0.0.1:0", "--max-inflight", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(server.stdout.readline().strip().rsplit(":", 1)[1])
    url = f"http://127.0.0.1:{port}"
    remote = [args.binary, "--base-url", url]

    inputs = []
    for c in range(8):
        path = os.path.join(work, f"in{c}.ndjson")
        with open(path, "w") as f:
            for i in range(per_connection):
                f.write('{"key":"c%d-%d","value":"%s"}\n' % (c, i, "x" * 100))
        inputs.append(path)

    def measure(base_url, topic):
        """Produce (8 processes, each one keep-alive connection, pipelined) and consume + ack,
        against one server: (produce req/s, consume + ack msg/s)."""
        client = [args.binary, "--base-url", base_url]
        subprocess.run(client + ["topics", "create", "--name", topic, "--partitions", "8"], check=True, capture_output=True)
        start = time.perf_counter()
        procs = [subprocess.Popen(client + ["publish", "--topic", topic, "--batch"], stdin=open(p), stdout=subprocess.DEVNULL) for p in inputs]
        for p in procs:
            if p.wait() != 0:
                sys.exit(f"publish to {base_url} failed")
        produce = 8 * per_connection / (time.perf_counter() - start)
        items = os.path.join(work, f"items-{topic}")
        start = time.perf_counter()
        with open(items, "w") as out:
            subprocess.run(client + ["consume", "--topic", topic, "--group", "g", "--owner", "w", "--max", str(consume_count), "--follow", "--wait", "120s", "--lease-ms", "600000"], stdout=out, check=True)
        with open(items) as f:
            subprocess.run(client + ["ack", "--batch", "--topic", topic, "--group", "g", "--owner", "w"], stdin=f, stdout=subprocess.DEVNULL, check=True)
        return produce, consume_count / (time.perf_counter() - start)

    topic = f"bench-{os.getpid()}"
    ours = measure(url, topic)
    theirs = measure(args.vs, topic) if args.vs else None

    def against(i):
        if theirs is None:
            return "(give --vs URL)"
        return f"{ours[i] / theirs[i]:.1f}x {args.vs} ({theirs[i]:,.0f}/s, same run)"

    rows = [
        ("produce, 8 keep-alive connections", f"{ours[0]:,.0f} req/s", f"fdatasync {fsync_rate:,.0f}/s ({ours[0] / fsync_rate:.1f} per sync)", against(0), ">= 5x the --vs server, every write fsynced"),
        ("consume + ack over HTTP", f"{ours[1]:,.0f} msg/s", f"fdatasync {fsync_rate:,.0f}/s ({ours[1] / fsync_rate:.1f} per sync)", against(1), ">= 5x the --vs server"),
    ]

    # 3. Publish-to-consume latency: one stream open, messages produced one at a time.
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
        offset = i
        acker.request("POST", "/v1/ack", body='{"topic":"lat","group":"g","owner":"o","partition":0,"offset":%d}' % offset, headers={"Content-Type": "application/json"})
        acker.getresponse().read()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    rows.append(("publish-to-consume latency", f"p50 {p50:.2f} ms, p99 {p99:.2f} ms", f"RTT {rtt:.0f} us + fdatasync {1e3 / fsync_rate:.2f} ms", "", "p99 <= 5 ms"))

    server.terminate()
    server.wait(timeout=10)
    header = ("benchmark", "figure", "limit", "ratio", "goal")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(5)]
    print()
    for r in [header] + rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)))
    print("(driftqctl's client pipelines each connection's requests; DriftQ's SDKs send one at a time)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
