#!/usr/bin/env python3
"""driftqctl WAL lifecycle benchmarks: opening a large directory with and without checkpoints,
and seeking to any LSN or time in a large directory through the sparse segment indexes.

Not a test: it prints figures beside the limits measured in the same run (process start as
`driftqctl --help`, reading the whole directory with `cat`), the ratio, and the goal.

    bench/lifecycle.py [--quick] [--binary PATH] [--work DIR]

The full run builds a directory of 10 million messages (about 1.3 GB) and one of 10 GB, so it
needs about 12 GB of free disk and several minutes; --quick uses 500,000 messages and 512 MiB.
"""
import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from figures import Figures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, env=None, stdout=subprocess.DEVNULL):
    """Runs a command to completion; returns seconds. Fails loudly on a non-zero exit."""
    started = time.perf_counter()
    proc = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.decode()}")
    return elapsed


def best_ms(cmd, runs, env=None):
    return min(timed(cmd, env) for _ in range(runs)) * 1000


def publish_file(ctl, data, path, extra=()):
    with open(path) as f:
        proc = subprocess.run(ctl + ["--wal-dir", data, "--sync", "none", "publish", "--topic", "t", "--batch"] + list(extra),
                              stdin=f, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        sys.exit(f"publish failed: {proc.stderr.decode()}")


def wal_bytes(data):
    wal = os.path.join(data, "wal")
    return sum(os.path.getsize(os.path.join(wal, n)) for n in os.listdir(wal))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/driftqctl"))
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    q = args.quick
    messages = 500_000 if q else 10_000_000
    seek_bytes = (512 << 20) if q else (10 << 30)
    work = args.work or tempfile.mkdtemp(prefix="driftq-lifecycle-")
    os.makedirs(work, exist_ok=True)
    ctl = [args.binary]
    figures = Figures()
    row = figures.row
    rng = random.Random(1)

    start_ms = best_ms(ctl + ["--help"], 20)

    # 1. Open a directory of N messages: as writers left it (checkpoints every 4 MiB), right
    # after `wal checkpoint`, and with no checkpoint at all (the whole log folded).
    data = os.path.join(work, "open")
    subprocess.run(ctl + ["--wal-dir", data, "topics", "create", "--name", "t", "--partitions", "4"], check=True, capture_output=True)
    chunk = os.path.join(work, "small.ndjson")
    per_chunk = min(messages, 500_000)
    with open(chunk, "w") as f:
        for i in range(per_chunk):
            f.write('{"key":"k%d","value":"a small message body %08d"}\n' % (i, i))
    started = time.perf_counter()
    for _ in range(messages // per_chunk):
        publish_file(ctl, data, chunk)
    publish_secs = time.perf_counter() - started
    print(f"built {messages:,} messages ({wal_bytes(data) / 2**20:,.0f} MiB of log) in {publish_secs:.1f} s "
          f"({messages / publish_secs:,.0f} msg/s, --sync none, checkpoints every 4 MiB)")
    subprocess.run(ctl + ["--wal-dir", data, "consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "10"], check=True, capture_output=True)
    list_cmd = ctl + ["--wal-dir", data, "topics", "lag", "--group", "g"]
    left = best_ms(list_cmd, 5)
    row(f"topics lag, {messages:,} messages, as writers left it", left, "ms", "--help ms", f"{start_ms:.2f}", f"{left / 50:.2f}x budget", "<= 50 ms")
    subprocess.run(ctl + ["--wal-dir", data, "wal", "checkpoint"], check=True, capture_output=True)
    fresh = best_ms(list_cmd, 5)
    row(f"topics lag, {messages:,} messages, after wal checkpoint", fresh, "ms", "--help ms", f"{start_ms:.2f}", f"{fresh / 50:.2f}x budget", "<= 50 ms")
    consume = best_ms(ctl + ["--wal-dir", data, "consume", "--topic", "t", "--group", "h", "--owner", "w", "--max", "1"], 3)
    row(f"consume --max 1 (a write), {messages:,} messages", consume, "ms", "--help ms", f"{start_ms:.2f}", f"{consume / 50:.2f}x budget", "<= 50 ms")
    aside = os.path.join(work, "checkpoints-aside")
    os.rename(os.path.join(data, "checkpoints"), aside)
    env = dict(os.environ, DRIFTQ_CHECKPOINT_EVERY="0")
    full = best_ms(list_cmd, 2, env)
    row(f"topics lag, {messages:,} messages, no checkpoint", full, "ms", "", "", f"{full / fresh:.0f}x slower", "(reported)")
    ckpt_bytes = sum(os.path.getsize(os.path.join(dp, n)) for dp, _, ns in os.walk(aside) for n in ns)
    row("checkpoint size (state + message rows)", ckpt_bytes / 2**20, "MiB", "log MiB", f"{wal_bytes(data) / 2**20:,.0f}", f"{ckpt_bytes / wal_bytes(data):.0%} of log", "(reported)")
    shutil.rmtree(data, ignore_errors=True)
    shutil.rmtree(aside, ignore_errors=True)

    # 2. Seek to any LSN or time in a large directory (64 KiB messages).
    big = os.path.join(work, "seek")
    subprocess.run(ctl + ["--wal-dir", big, "topics", "create", "--name", "t"], check=True, capture_output=True)
    bulk = os.path.join(work, "bulk.ndjson")
    with open(bulk, "w") as f:
        value = "y" * (64 << 10)
        for i in range(1024):
            f.write('{"value":"%s"}\n' % value)
    while wal_bytes(big) < seek_bytes:
        # One commit per message, so every record has its own time to seek to.
        publish_file(ctl, big, bulk, ["--checkpoint-every", "0", "--group-size", "1"])
    total = wal_bytes(big)
    segments = [os.path.join(big, "wal", n) for n in sorted(os.listdir(os.path.join(big, "wal")))]
    cat_secs = timed(["cat"] + segments)
    last_lsn = json.loads(subprocess.run(ctl + ["--wal-dir", big, "-o", "json", "wal", "inspect"], check=True, capture_output=True, text=True).stdout).get("last_lsn", 0)
    def record_time(lsn):
        out = subprocess.run(ctl + ["--wal-dir", big, "wal", "dump", "--from", str(lsn), "--to", str(lsn)], check=True, capture_output=True, text=True).stdout
        return json.loads(out.splitlines()[0])["time"]
    # The first seeks build the indexes (a time seek reads each segment's, so all of them).
    first = timed(ctl + ["--wal-dir", big, "wal", "dump", "--from", "@" + record_time(last_lsn), "--to", str(last_lsn)]) * 1000
    lsns = [rng.randint(2, last_lsn) for _ in range(20)]
    by_lsn = [timed(ctl + ["--wal-dir", big, "wal", "dump", "--from", str(n), "--to", str(n)]) * 1000 for n in lsns]
    times = [record_time(n) for n in lsns]
    by_time = [timed(ctl + ["--wal-dir", big, "wal", "dump", "--from", "@" + t, "--to", "@" + t]) * 1000 for t in times]
    gb = f"{total / 2**30:.1f} GiB"
    row(f"seek to an LSN, {gb} (p50 of 20, whole process)", statistics.median(by_lsn), "ms", "--help ms", f"{start_ms:.2f}", f"max {max(by_lsn):.1f} ms", "<= 10 ms")
    row(f"seek to a time, {gb} (p50 of 20, whole process)", statistics.median(by_time), "ms", "--help ms", f"{start_ms:.2f}", f"max {max(by_time):.1f} ms", "<= 10 ms")
    row(f"first seek to a time, {gb} (builds every index)", first, "ms", "cat ms", f"{cat_secs * 1000:,.0f}", f"{first / (cat_secs * 1000):.0%} of cat", "(once; reported)")
    index_bytes = sum(os.path.getsize(os.path.join(big, "index", n)) for n in os.listdir(os.path.join(big, "index")))
    row(f"index files ({len(segments)} segments)", index_bytes / 1024, "KiB", "log GiB", f"{total / 2**30:.1f}", f"{index_bytes / total:.4%} of log", "(reported)")

    figures.print()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
