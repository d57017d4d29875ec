#!/usr/bin/env python3
"""driftqctl benchmarks: each figure printed beside the machine's limit measured in the same run.

Not a test: it asserts nothing about speed. It prints figures, the limits they are bound by
(fdatasync rate of a small-write loop, dd's sequential write speed, `cat` read speed) and
the ratio, and the goal.

    bench/run.py [--quick] [--binary PATH] [--work DIR]

--quick uses small sizes so CI can afford it; the full run needs about 3 GB of free disk.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from figures import Figures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(cmd, stdin=None, stdout=subprocess.DEVNULL):
    """Runs a command; returns (seconds, max RSS in KiB). Fails loudly on a non-zero exit."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"benchmark command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr.read().decode()}")
    return elapsed, usage.ru_maxrss


def disk_write_rate(work, megabytes):
    """The disk's sequential write speed now, in MB/s: dd of zeros with a final fdatasync."""
    target = os.path.join(work, "dd.tmp")
    dd = subprocess.run(["dd", "if=/dev/zero", f"of={target}", "bs=1M", f"count={megabytes}", "conv=fdatasync"], check=True, capture_output=True, text=True).stderr
    os.remove(target)
    return float(dd.strip().splitlines()[-1].split(" bytes")[0]) / float(dd.split(" copied, ")[1].split(" s")[0]) / 1e6


def wal_bytes(directory):
    wal = os.path.join(directory, "wal")
    return sum(os.path.getsize(os.path.join(wal, n)) for n in os.listdir(wal))


def ndjson(path, count, value_size):
    value = "x" * value_size
    with open(path, "w") as f:
        for i in range(count):
            f.write('{"key":"k%d","value":"%s"}\n' % (i, value))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/driftqctl"))
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    q = args.quick
    sizes = dict(
        publish=20_000 if q else 200_000,
        single=300 if q else 3_000,
        processes=30 if q else 300,
        verify_bytes=(64 << 20) if q else (1100 << 20),
        help_runs=30 if q else 300,
        fsyncs=300 if q else 3_000,
        dd_megabytes=64 if q else 256,
        opened=200_000 if q else 1_000_000,
    )
    work = args.work or tempfile.mkdtemp(prefix="driftq-bench-")
    os.makedirs(work, exist_ok=True)
    ctl = [args.binary]
    figures = Figures()
    row = figures.row

    # Limits measured now, on this machine and disk.
    cc = shutil.which("cc") or shutil.which("gcc")
    fsync_bin = os.path.join(work, "fsync_rate")
    subprocess.run([cc, "-O2", "-o", fsync_bin, os.path.join(ROOT, "bench/fsync_rate.c")], check=True)
    # One frame of a 256-byte message is 304 bytes (32-byte header, key, value, tags, padding).
    out = subprocess.run([fsync_bin, os.path.join(work, "fsync.tmp"), str(sizes["fsyncs"]), "304"], check=True, capture_output=True, text=True).stdout.split()
    fsync_rate, fsync_p50, fsync_p99 = float(out[0]), float(out[1]), float(out[2])
    print(f"limit: append 304 bytes + fdatasync, one at a time: {fsync_rate:,.0f}/s (p50 {fsync_p50:.0f} us, p99 {fsync_p99:.0f} us)")
    disk_rate = disk_write_rate(work, sizes["dd_megabytes"])
    print(f"limit: sequential write, dd bs=1M conv=fdatasync: {disk_rate:,.0f} MB/s")

    # 1. publish --batch, 256-byte values.
    data = os.path.join(work, "pub")
    subprocess.run(ctl + ["--wal-dir", data, "topics", "create", "--name", "t", "--partitions", "4"], check=True, capture_output=True)
    src = os.path.join(work, "pub.ndjson")
    ndjson(src, sizes["publish"], 256)
    with open(src) as f:
        secs, rss = run(ctl + ["--wal-dir", data, "publish", "--topic", "t", "--batch"], stdin=f)
    rate = sizes["publish"] / secs
    written_rate = wal_bytes(data) / secs / 1e6
    # The goal in messages: as many 256-byte messages a second as half the disk's write speed holds.
    goal_rate = disk_rate * 1e6 / 2 / (wal_bytes(data) / sizes["publish"])
    row("publish --batch (256 B values)", rate, "msg/s", "dd write MB/s", f"{disk_rate:,.0f}", f"{written_rate / disk_rate:.0%} of disk ({written_rate:.0f} MB/s)", ">= 50% of disk write")

    # Opening the directory: the newest checkpoint the writer left, plus the log after it
    # (bench/lifecycle.py compares with and without checkpoints at 10M messages).
    secs, _ = run(ctl + ["--wal-dir", data, "topics", "list"])
    row(f"open ({sizes['publish']:,} messages, checkpoints as left)", secs * 1000, "ms", "", "", "", "<= 50 ms")

    # 2. single publishes with a sync per message (fresh directory, so the fold is not measured):
    # in-process (each line its own lock, catch-up, append, fdatasync), then a process per message.
    single = os.path.join(work, "single")
    subprocess.run(ctl + ["--wal-dir", single, "topics", "create", "--name", "t"], check=True, capture_output=True)
    single_src = os.path.join(work, "single.ndjson")
    ndjson(single_src, sizes["single"], 256)
    with open(single_src) as f:
        secs, _ = run(ctl + ["--wal-dir", single, "publish", "--topic", "t", "--batch", "--group-size", "1"], stdin=f)
    rate = sizes["single"] / secs
    row("publish, 1 fdatasync per message, in-process", rate, "msg/s", "fdatasync/s", f"{fsync_rate:,.0f}", f"{rate / fsync_rate:.0%} of limit", ">= 50% of limit")
    started = time.perf_counter()
    for i in range(sizes["processes"]):
        subprocess.run(ctl + ["--wal-dir", single, "publish", "--topic", "t", "--value", "x" * 256], check=True, stdout=subprocess.DEVNULL)
    per_call = (time.perf_counter() - started) / sizes["processes"]
    row("publish, one process per message", 1 / per_call, "msg/s", "fdatasync/s", f"{fsync_rate:,.0f}", f"{per_call * 1000:.1f} ms per call", "(start cost, reported)")

    # 3. consume everything, then ack it all from consume's own output.
    items = os.path.join(work, "items.ndjson")
    with open(items, "w") as out_file:
        secs, _ = run(ctl + ["--wal-dir", data, "consume", "--topic", "t", "--group", "g", "--owner", "w", "--max-inflight", "0"], stdout=out_file)
    consumed = sum(1 for _ in open(items))
    rate = consumed / secs
    row("consume (leases + ConsumeItem lines)", rate, "msg/s", "publish goal msg/s", f"{goal_rate:,.0f}", f"{rate / goal_rate:.2f}x", ">= 0.5x the publish goal")
    with open(items) as f:
        secs, _ = run(ctl + ["--wal-dir", data, "ack", "--batch", "--topic", "t", "--group", "g", "--owner", "w"], stdin=f)
    rate = consumed / secs
    row("ack --batch (from consume output)", rate, "msg/s", "publish goal msg/s", f"{goal_rate:,.0f}", f"{rate / goal_rate:.2f}x", ">= 0.5x the publish goal")

    # 4. wal verify on a large directory, warm, with its peak memory.
    big = os.path.join(work, "big")
    subprocess.run(ctl + ["--wal-dir", big, "topics", "create", "--name", "t", "--partitions", "8"], check=True, capture_output=True)
    chunk = os.path.join(work, "big.ndjson")
    ndjson(chunk, 50_000, 1024)
    while sum(os.path.getsize(os.path.join(big, "wal", n)) for n in os.listdir(os.path.join(big, "wal"))) < sizes["verify_bytes"]:
        with open(chunk) as f:
            run(ctl + ["--wal-dir", big, "--sync", "none", "publish", "--topic", "t", "--batch"], stdin=f)
    segments = [os.path.join(big, "wal", n) for n in sorted(os.listdir(os.path.join(big, "wal")))]
    total = sum(os.path.getsize(s) for s in segments)
    run(["cat"] + segments)  # warm the page cache
    cat_secs = min(run(["cat"] + segments)[0] for _ in range(3))
    cat_rate = total / cat_secs / 1e9
    results = [run(ctl + ["--wal-dir", big, "wal", "verify"]) for _ in range(3)]
    secs = min(r[0] for r in results)
    rss = max(r[1] for r in results)
    rate = total / secs / 1e9
    row(f"wal verify ({total / 2**30:.2f} GiB, warm)", rate, "GB/s", "cat GB/s", f"{cat_rate:.2f}", f"{rate / cat_rate:.0%} of cat", ">= 80% of cat")
    row("wal verify peak memory", rss / 1024, "MiB", "", "", "", "< 64 MiB")

    # 6. wal compact: half the messages settled, so half of the sealed bytes are rewritten.
    # Beside the disk's sequential write speed (dd with a final fdatasync), measured now.
    compact = os.path.join(work, "compact")
    subprocess.run(ctl + ["--wal-dir", compact, "topics", "create", "--name", "t", "--partitions", "4"], check=True, capture_output=True)
    with open(src) as f:
        run(ctl + ["--wal-dir", compact, "--segment-size", "4MiB", "publish", "--topic", "t", "--batch"], stdin=f)
    half = os.path.join(work, "half.ndjson")
    with open(half, "w") as out_file:
        run(ctl + ["--wal-dir", compact, "consume", "--topic", "t", "--group", "g", "--owner", "w", "--max-inflight", "0", "--max", str(sizes["publish"] // 2)], stdout=out_file)
    with open(half) as f:
        run(ctl + ["--wal-dir", compact, "--segment-size", "4MiB", "ack", "--batch", "--topic", "t", "--group", "g", "--owner", "w"], stdin=f)
    with open(src) as f:  # seals the acks into older segments
        run(ctl + ["--wal-dir", compact, "--segment-size", "4MiB", "publish", "--topic", "t", "--batch"], stdin=f)
    wal = os.path.join(compact, "wal")
    names = sorted(os.listdir(wal))
    sealed = sum(os.path.getsize(os.path.join(wal, n)) for n in names[:-1])
    run(["cat"] + [os.path.join(wal, n) for n in names])  # warm, as a nightly run over recent data would be
    report = os.path.join(work, "compact.json")
    with open(report, "w") as out_file:
        secs, rss = run(ctl + ["--wal-dir", compact, "-o", "json", "wal", "compact", "--retain-acked", "0"], stdout=out_file)
    written = os.path.getsize(os.path.join(wal, sorted(os.listdir(wal))[0]))
    dd_rate = disk_write_rate(work, max(sealed, 64 << 20) >> 20)
    rate = sealed / secs / 1e6
    row(f"wal compact ({sealed / 2**20:.0f} MiB sealed, {written / 2**20:.0f} MiB kept)", rate, "MB/s", "dd write MB/s", f"{dd_rate:,.0f}", f"{rate / dd_rate:.0%} of disk", ">= 50% of disk write, <= 64 MiB")
    row("wal compact peak memory", rss / 1024, "MiB", "", "", "", "<= 64 MiB")

    # 5. process start: --help.
    times = []
    for _ in range(sizes["help_runs"]):
        started = time.perf_counter()
        subprocess.run(ctl + ["--help"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    true_times = []
    for _ in range(sizes["help_runs"]):
        started = time.perf_counter()
        subprocess.run(["true"], check=True)
        true_times.append(time.perf_counter() - started)
    p50 = statistics.median(times) * 1000
    floor = statistics.median(true_times) * 1000
    row("driftqctl --help wall time (p50)", p50, "ms", "/bin/true ms", f"{floor:.2f}", f"{p50 / 15:.2f}x budget", "<= 15 ms")

    # 7. One publish process on a large directory: start, open from the checkpoint the writers
    # left, lock, append, fdatasync; beside --help, timed the same way in the same run.
    opened = os.path.join(work, "opened")
    subprocess.run(ctl + ["--wal-dir", opened, "topics", "create", "--name", "t", "--partitions", "4"], check=True, capture_output=True)
    small = os.path.join(work, "small.ndjson")
    ndjson(small, 100_000, 16)
    for _ in range(sizes["opened"] // 100_000):
        with open(small) as f:
            run(ctl + ["--wal-dir", opened, "--sync", "none", "publish", "--topic", "t", "--batch"], stdin=f)
    publish_times = []
    for _ in range(sizes["help_runs"]):
        started = time.perf_counter()
        subprocess.run(ctl + ["--wal-dir", opened, "publish", "--topic", "t", "--value", "x" * 256], check=True, stdout=subprocess.DEVNULL)
        publish_times.append(time.perf_counter() - started)
    publish_p50 = statistics.median(publish_times) * 1000
    row(f"one publish on {sizes['opened']:,} messages (p50)", publish_p50, "ms", "--help ms", f"{p50:.2f}", f"{publish_p50 / p50:.2f}x --help", "<= 2x --help")

    figures.print()
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
