#!/usr/bin/env python3
"""Crash trials for driftqctl: SIGKILL a writer (or `serve`) at a random moment on a WAL
directory, then check with fresh driftqctl processes that the directory opens, that
`wal verify` finds no corruption, and that nothing acknowledged was lost, duplicated or
delivered again after its ack.

    python3 stress/crash-trials.py [--trials N | --long] [--seed S] [--binary PATH]
                                   [--keep-failures DIR] [--replay DIRSEED:K [--repeat N]]

Short mode (default, 300 trials) is for CI; --long runs 10,000. A directory is reused for a
few trials in a row, so recovery of an already crashed directory is tested too. Every trial
has its own seed DIRSEED:K (the directory's seed and the trial's place in it); a violation
prints a one-line command that replays that directory up to that trial. Standard library only.
"""
import argparse
import collections
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHORT_TRIALS = 300
LONG_TRIALS = 10_000
MARGIN = 0.050          # seconds of slack when comparing lease deadlines with our clock
CMD_TIMEOUT = 60        # an unkilled command taking longer is a hang

# Operation weights: one is picked per trial.
OPS = [
    ("publish", 10),
    ("publish-batch", 12),
    ("consume", 6),
    ("ack", 7),
    ("nack", 5),
    ("ack-batch", 7),
    ("nack-batch", 5),
    ("dlq-redrive", 9),
    ("wal-compact", 8),
    ("wal-checkpoint", 6),
    ("topics-create", 2),
    ("serve", 12),
    ("concurrent", 11),
]
SOLO_OPS = [name for name, _ in OPS if name != "concurrent"]



# serve as the trials run it: no in-flight cap and no producer backpressure, so that every
# produce the trial retries after a kill is answered for what it is (durable or not), never
# refused as overload (a 429 acknowledges nothing and would hide what the trial checks).
SERVE_ARGS = ["serve", "--addr", "127.0.0.1:0", "--max-inflight", "0", "--max-partition-msgs", "0", "--max-partition-bytes", "0"]

class Abort(Exception):
    """A check that cannot go on (the directory does not open, a command hangs)."""

    def __init__(self, text, category="open"):
        super().__init__(text)
        self.category = category


def jlines(lines):
    out = []
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except ValueError:
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def short(text, n=400):
    text = text if isinstance(text, str) else repr(text)
    return text if len(text) <= n else text[:n] + "..."


# --------------------------------------------------------------------------------------------
# Processes


class Proc:
    """A driftqctl process whose stdout lines are collected (with the time each arrived) and
    which can be SIGKILLed after a delay or after a number of complete output lines."""

    def __init__(self, argv, env, stdin_bytes=None):
        self.argv = argv
        self.t0 = time.time()
        self.p = subprocess.Popen(
            argv, env=env, start_new_session=True,
            stdin=subprocess.PIPE if stdin_bytes is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []          # (text, time)
        self.partial = b""
        self.err = b""
        self.eof = False
        self.killed = False
        self.rc = None
        self.t1 = None
        self.cv = threading.Condition()
        self.threads = [threading.Thread(target=self._out, daemon=True),
                        threading.Thread(target=self._errs, daemon=True)]
        if stdin_bytes is not None:
            self.threads.append(threading.Thread(target=self._in, args=(stdin_bytes,), daemon=True))
        for t in self.threads:
            t.start()

    def _in(self, data):
        try:
            self.p.stdin.write(data)
            self.p.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def _out(self):
        buf = b""
        fd = self.p.stdout.fileno()
        while True:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buf += chunk
            now = time.time()
            got = []
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                got.append((line.decode("utf-8", "replace"), now))
            if got:
                with self.cv:
                    self.lines.extend(got)
                    self.cv.notify_all()
        with self.cv:
            self.partial = buf
            self.eof = True
            self.cv.notify_all()

    def _errs(self):
        self.err = self.p.stderr.read()

    def wait_lines(self, n, timeout):
        with self.cv:
            self.cv.wait_for(lambda: self.eof or len(self.lines) >= n, timeout)

    def kill(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def run_plan(self, plan):
        kind = plan[0]
        if kind == "delay":
            end = self.t0 + plan[1]
            with self.cv:
                self.cv.wait_for(lambda: self.eof, max(0.0, end - time.time()))
        elif kind == "lines":
            self.wait_lines(plan[1], plan[3])
            if plan[2] > 0:
                time.sleep(plan[2])
        self.kill()

    def finish(self, timeout=CMD_TIMEOUT):
        try:
            self.rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.rc = self.p.wait()
            raise Abort(f"hang: {' '.join(self.argv[1:])} did not end in {timeout}s")
        finally:
            for t in self.threads:
                t.join(5)
            self.t1 = time.time()
        self.killed = self.rc == -signal.SIGKILL
        return self.rc

    def stderr(self):
        return self.err.decode("utf-8", "replace")

    def texts(self):
        return [t for t, _ in self.lines]


def kill_plan(rng, expect_lines, lines_bias=0.0):
    if expect_lines > 0 and rng.random() < lines_bias:
        return ("lines", rng.randint(1, expect_lines), rng.choice([0, 0, rng.uniform(0, 0.003)]), 3.0)
    r = rng.random()
    if r < 0.15:
        return ("delay", rng.uniform(0, 0.003))        # before or while it opens the directory
    if r < 0.65 or expect_lines <= 0 and r < 0.9:
        return ("delay", rng.uniform(0, 0.012))        # a command takes 5-15ms on a small directory
    if r < 0.9:
        return ("lines", rng.randint(0, expect_lines), rng.choice([0, 0, rng.uniform(0, 0.003)]), 3.0)
    return ("delay", rng.uniform(0.012, 0.060))


def describe_plan(plan):
    if plan[0] == "delay":
        return f"kill after {plan[1] * 1000:.1f}ms"
    if plan[0] == "answers":
        return f"kill after {plan[1]} HTTP answers"
    return f"kill after {plan[1]} lines (+{plan[2] * 1000:.1f}ms)"


# --------------------------------------------------------------------------------------------
# The model of one directory: what was acknowledged, per group what was acked and leased, the
# dead letters seen, the redrives acknowledged.


class Group:
    def __init__(self):
        self.acked = set()           # (p, o) whose ack was acknowledged
        self.leases = {}             # (p, o) -> lower bound of the lease deadline (epoch s)


class Stats:
    def __init__(self):
        self.trials = 0
        self.ops = collections.Counter()
        self.kills = 0
        self.kills_by_op = collections.Counter()
        self.runs_by_op = collections.Counter()
        self.spawned = 0
        self.acked_writes = collections.Counter()   # kind -> acknowledged writes
        self.checked = collections.Counter()        # kind -> verifications done
        self.violations = collections.Counter()
        self.failed_trials = []
        self.warnings = collections.Counter()
        self.op_time = collections.defaultdict(float)


class Dir:
    def __init__(self, root, ds, binary, stats):
        self.ds = ds
        self.stats = stats
        self.binary = binary
        rng = random.Random(f"dir:{ds}")
        self.path = os.path.join(root, f"d{ds}")
        self.segment = rng.choice(["512", "2KiB", "16KiB", "64MiB"])
        self.checkpoint_every = rng.choice(["0", "4KiB", "64KiB", "4MiB"])
        self.parts = {"t": rng.randint(1, 3), "d": rng.randint(1, 2), "s": rng.randint(1, 2)}
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DRIFTQ_")}
        self.env.update(DRIFTQ_WAL_DIR=self.path, DRIFTQ_SEGMENT_SIZE=self.segment,
                        DRIFTQ_CHECKPOINT_EVERY=self.checkpoint_every,
                        DRIFTQ_LOCK_TIMEOUT="30s")
        self.n = 0
        self.pubs = {}               # value -> {"topic","acked","place","idem"}
        self.groups = {}             # (topic, group) -> Group
        self.dead = {}               # (dlq topic, p, o) -> {"orig": (t,p,o)|None, "redriven": bool}
        self.redrives = []           # acknowledged: (src (dlq topic,p,o), dst (topic,p,o))
        self.topics_created = {}     # extra topics: name -> partitions, once a create of it succeeded
        self.pending_nacks = []      # (topic, group, (p,o)) acknowledged in this trial
        self.touched_acks = set()    # (topic, group, (p,o)) an ack was tried in this trial
        self.serve_ran = False
        self.unknown_http_idem = []  # (value, key) produced over HTTP with no answer, idempotent
        self.violations = []
        self.log = []
        self.owner_n = 0
        self.trial = None
        self.keep = False

    # ---- helpers

    def value(self):
        self.n += 1
        return f"v{self.n}.{self.ds % 1000003}"

    def owner(self, prefix="o"):
        self.owner_n += 1
        return f"{prefix}{self.owner_n}"

    def group(self, topic, name):
        return self.groups.setdefault((topic, name), Group())

    def fail(self, category, detail):
        self.violations.append((category, detail))
        self.stats.violations[category] += 1

    def note(self, text):
        self.log.append(text)

    def argv(self, args):
        return [self.binary] + list(args)

    def spawn(self, args, stdin_bytes=None):
        p = Proc(self.argv(args), self.env, stdin_bytes)
        self.stats.spawned += 1
        return p

    def run(self, args, stdin_bytes=None, what=None, ok=(0,)):
        """An unkilled command; a non-zero exit (other than ok) means the directory did not open."""
        p = self.spawn(args, stdin_bytes)
        rc = p.finish()
        err = p.stderr()
        self.note(f"$ {' '.join(args)}  -> rc={rc}\n  out: {short(' | '.join(p.texts()[:6]))}\n  err: {short(err)}")
        self.warn(err)
        if rc not in ok:
            raise Abort(f"{what or args[0]}: `driftqctl {' '.join(args)}` exited {rc}: {short(err.strip())}")
        return p

    def warn(self, err):
        for line in err.splitlines():
            low = line.lower()
            if "torn" in low or "cut" in low:
                self.stats.warnings["torn tail cut"] += 1
            elif "checkpoint" in low and ("ignor" in low or "damaged" in low or "stale" in low):
                self.stats.warnings["checkpoint ignored"] += 1
            elif "warning" in low:
                self.stats.warnings[short(line.split(":", 2)[-1].strip(), 80)] += 1

    # ---- acknowledgements into the model

    def attempt_pub(self, value, topic, idem=False):
        self.pubs[value] = {"topic": topic, "acked": False, "place": None, "idem": idem}

    def ack_pub(self, value, partition, offset, source):
        rec = self.pubs[value]
        place = (partition, offset)
        if rec["acked"] and rec["place"] != place:
            self.fail("duplicate", f"{value} acknowledged at {rec['topic']}/{rec['place']} and again at {place} ({source})")
            return
        if not rec["acked"]:
            self.stats.acked_writes["publish (HTTP)" if "HTTP" in source else "publish"] += 1
        rec["acked"] = True
        rec["place"] = place

    def observe(self, topic, group, items, t0, lease_ms, where, times=None):
        """Deliveries of `items` to `group`: none may be acked already or under another live lease."""
        g = self.group(topic, group)
        seen = set()
        for i, it in enumerate(items):
            if "partition" not in it or "offset" not in it:
                continue
            po = (it["partition"], it["offset"])
            at = times[i] if times else time.time()
            if po in g.acked:
                self.fail("redelivery-after-ack",
                          f"{where}: {topic}/{po[0]}@{po[1]} delivered to group {group} (attempts={it.get('attempts')}) after its ack was acknowledged")
            lb = g.leases.get(po)
            if lb is not None and at + MARGIN < lb:
                self.fail("double-lease",
                          f"{where}: {topic}/{po[0]}@{po[1]} delivered to group {group} {lb - at:.3f}s before an earlier printed lease could expire")
            if po in seen and lease_ms >= 1000:
                self.fail("double-lease", f"{where}: {topic}/{po[0]}@{po[1]} delivered twice in one stream")
            seen.add(po)
        got = set()
        for it in items:
            if "partition" in it and "offset" in it:
                g.leases[(it["partition"], it["offset"])] = t0 + lease_ms / 1000.0
                got.add((topic, group, (it["partition"], it["offset"])))
        if got and self.pending_nacks:
            # Delivered again after its nack: the nack came back, as it should.
            self.pending_nacks = [n for n in self.pending_nacks if n not in got]

    def release(self, topic, group, po):
        self.group(topic, group).leases.pop(po, None)

    def add_dead(self, dlq_topic, partition, offset, orig):
        key = (dlq_topic, partition, offset)
        if key not in self.dead:
            self.dead[key] = {"orig": orig, "redriven": False}
            self.stats.acked_writes["dead letter"] += 1
        elif orig is not None and self.dead[key]["orig"] not in (None, orig):
            self.fail("deadletter-loss", f"{key} acknowledged as the dead letter of {orig} but was {self.dead[key]['orig']}")

    # ---- setup steps (unkilled, every acknowledgement recorded)

    def ensure_topics(self):
        if os.path.exists(os.path.join(self.path, "FORMAT")):
            return
        for name, n in self.parts.items():
            self.run(["topics", "create", "--name", name, "--partitions", str(n)], what="topics create")

    def batch_entries(self, rng, topic, k, idem=False, policy=None):
        entries = []
        for _ in range(k):
            v = self.value()
            e = {"key": v if rng.random() < 0.8 else rng.choice(["", "a", "b", "c"]), "value": v}
            env = {}
            pol = policy if policy is not None else (rng.choice([0, 0, 0, 1, 2, 3]) if topic == "t" else 0)
            if pol:
                env["retry_policy"] = {"max_attempts": pol}
            if idem:
                env["idempotency_key"] = v
            if env:
                e["envelope"] = env
            entries.append(e)
            self.attempt_pub(v, topic, idem)
        return entries

    def collect_batch(self, topic, entries, lines, source):
        n = 0
        for obj in jlines(lines):
            if obj.get("status") != "produced":
                continue
            if n >= len(entries):
                self.fail("duplicate", f"{source}: more produced lines than input lines")
                break
            if obj.get("topic") not in (topic, None):
                self.fail("loss", f"{source}: line {n + 1} produced to {obj.get('topic')}, not {topic}")
            self.ack_pub(entries[n]["value"], obj["partition"], obj["offset"], source)
            n += 1
        return n

    def publish_batch(self, rng, topic, k, policy=None):
        entries = self.batch_entries(rng, topic, k, policy=policy)
        data = "".join(json.dumps(e) + "\n" for e in entries).encode()
        p = self.run(["-o", "ndjson", "publish", "--batch", "--topic", topic,
                      "--group-size", str(rng.choice([1, 3, 8192]))], data, what="publish --batch (setup)")
        got = self.collect_batch(topic, entries, p.texts(), "setup publish --batch")
        if got != len(entries):
            self.fail("loss", f"setup publish --batch exited 0 but acknowledged {got} of {len(entries)} lines")
        return entries

    def consume(self, topic, group, owner, lease_ms, maxn=None, inflight=None, where="setup consume"):
        args = ["-o", "ndjson", "consume", "--topic", topic, "--group", group, "--owner", owner,
                "--lease-ms", str(lease_ms)]
        if maxn is not None:
            args += ["--max", str(maxn)]
        if inflight is not None:
            args += ["--max-inflight", str(inflight)]
        p = self.run(args, what=f"consume {topic}/{group}")
        items = [o for o in jlines(p.texts()) if "partition" in o]
        self.observe(topic, group, items, p.t0, lease_ms, where, [p.t1] * len(items))
        return items, p


# --------------------------------------------------------------------------------------------
# Jobs: one killed writer each (prepare, start, run its kill plan, collect).


class Job:
    name = "?"
    expect_lines = 0
    lines_bias = 0.0       # extra chance of a kill after some output (acknowledgements to check)

    def __init__(self, d, rng):
        self.d = d
        self.rng = rng
        self.proc = None
        self.args = None
        self.stdin = None
        self.plan = None
        self.skip = False

    def prepare(self):
        pass

    def start(self):
        if self.skip:
            return
        self.plan = kill_plan(self.rng, self.expect_lines, self.lines_bias)
        self.proc = self.d.spawn(self.args, self.stdin)

    def run_plan(self):
        if self.proc:
            self.proc.run_plan(self.plan)

    def finish(self):
        if not self.proc:
            return
        self.proc.finish()
        self.d.stats.runs_by_op[self.name] += 1
        if self.proc.killed:
            self.d.stats.kills += 1
            self.d.stats.kills_by_op[self.name] += 1
        self.d.note(f"$ {' '.join(self.args)}  [{describe_plan(self.plan)}] -> rc={self.proc.rc}"
                    f"{' (killed)' if self.proc.killed else ''}\n  out: {short(' | '.join(self.proc.texts()[:8]))}"
                    f"\n  partial: {self.proc.partial[:120]!r}\n  err: {short(self.proc.stderr())}")
        self.d.warn(self.proc.stderr())
        if not self.proc.killed and self.proc.rc not in self.ok_rc():
            self.d.fail("open", f"{self.name}: `driftqctl {' '.join(self.args)}` exited {self.proc.rc} unkilled: {short(self.proc.stderr().strip())}")

    def ok_rc(self):
        return (0,)

    def collect(self):
        pass

    def post_check(self):
        pass

    def summary(self):
        if self.skip:
            return f"{self.name} (nothing to do)"
        return f"{self.name}: driftqctl {' '.join(self.args)} [{describe_plan(self.plan)}]"


class PublishJob(Job):
    name = "publish"
    expect_lines = 1

    def prepare(self):
        d, rng = self.d, self.rng
        self.topic = rng.choices(["t", "d", "s"], [75, 15, 10])[0]
        self.value = d.value()
        key = self.value if rng.random() < 0.8 else rng.choice(["", "a", "b"])
        self.args = ["-o", "ndjson", "publish", "--topic", self.topic, "--key", key, "--value", self.value]
        pol = 1 if self.topic == "d" else rng.choice([0, 0, 0, 1, 2, 3])
        # Idempotency keys only on messages that never reach a DLQ (no retry policy): a
        # redriven copy shares its original's key, and a group holding the original under a
        # lease holds the copy (and what follows it on the partition) back, as documented,
        # which a fresh group's consume would report as missing.
        self.idem = self.topic == "t" and pol == 0 and rng.random() < 0.4
        if self.topic == "t" and pol:
            self.args += ["--retry-max-attempts", str(pol)]
        if self.topic == "d":
            self.args += ["--retry-max-attempts", "1"]
        if self.idem:
            self.args += ["--idempotency-key", self.value]
        d.attempt_pub(self.value, self.topic, self.idem)

    def collect(self):
        d = self.d
        got = False
        for obj in jlines(self.proc.texts()):
            if obj.get("status") == "produced":
                d.ack_pub(self.value, obj["partition"], obj["offset"], "publish")
                got = True
        if not got and self.proc.rc == 0 and not self.proc.killed:
            d.fail("loss", "publish exited 0 without printing its partition and offset")
        if not got and self.idem:
            # A producer retries after the crash with the same idempotency key: exactly one copy.
            p = d.run(self.args, what="publish retry (idempotency key)")
            for obj in jlines(p.texts()):
                if obj.get("status") == "produced":
                    d.ack_pub(self.value, obj["partition"], obj["offset"], "publish retry")
                    got = True
            if not got:
                d.fail("loss", "publish retried with its idempotency key exited 0 without an answer")


class PublishBatchJob(Job):
    name = "publish-batch"

    def prepare(self):
        d, rng = self.d, self.rng
        self.topic = rng.choices(["t", "d", "s"], [75, 15, 10])[0]
        k = rng.choice([1, 2, 5, 20, 50, 120, 200])
        self.idem = self.topic == "t" and rng.random() < 0.3     # then without retry policies
        self.entries = d.batch_entries(rng, self.topic, k, idem=self.idem,
                                       policy=1 if self.topic == "d" else (0 if self.idem else None))
        self.expect_lines = k
        self.stdin = "".join(json.dumps(e) + "\n" for e in self.entries).encode()
        self.args = ["-o", "ndjson", "publish", "--batch", "--topic", self.topic,
                     "--group-size", str(rng.choice([1, 2, 4, 16, 8192]))]

    def collect(self):
        d = self.d
        got = d.collect_batch(self.topic, self.entries, self.proc.texts(), "publish --batch")
        if got < len(self.entries) and self.proc.rc == 0 and not self.proc.killed:
            d.fail("loss", f"publish --batch exited 0 but acknowledged {got} of {len(self.entries)} lines")
        if got < len(self.entries) and self.idem:
            rest = self.entries[got:]
            data = "".join(json.dumps(e) + "\n" for e in rest).encode()
            p = d.run(["-o", "ndjson", "publish", "--batch", "--topic", self.topic], data,
                      what="publish --batch retry (idempotency keys)")
            n = d.collect_batch(self.topic, rest, p.texts(), "publish --batch retry")
            if n != len(rest):
                d.fail("loss", f"publish --batch retry acknowledged {n} of {len(rest)} lines")


class ConsumeJob(Job):
    name = "consume"
    lines_bias = 0.3
    LEASE = 30000

    def prepare(self):
        d, rng = self.d, self.rng
        if rng.random() < 0.7:
            d.publish_batch(rng, "t", rng.randint(1, 12))
        self.owner = d.owner("c")
        self.args = ["-o", "ndjson", "consume", "--topic", "t", "--group", "gl", "--owner", self.owner,
                     "--lease-ms", str(self.LEASE)]
        m = rng.choice([None, 1, 5, 20])
        if m:
            self.args += ["--max", str(m)]
        if rng.random() < 0.5:
            self.args += ["--max-inflight", "0"]
        self.expect_lines = m or 20

    def collect(self):
        items, times = [], []
        for text, at in self.proc.lines:
            objs = jlines([text])
            if objs and "partition" in objs[0]:
                items.append(objs[0])
                times.append(at)
        self.d.observe("t", "gl", items, self.proc.t0, self.LEASE, "killed consume", times)
        self.d.stats.acked_writes["lease"] += len(items)


class AckJob(Job):
    """ack, nack, ack --batch, nack --batch of messages leased by a setup consume of group ga."""
    lines_bias = 0.35

    def __init__(self, d, rng, name):
        super().__init__(d, rng)
        self.name = name
        self.nack = name.startswith("nack")
        self.batch = name.endswith("batch")

    def prepare(self):
        d, rng = self.d, self.rng
        d.publish_batch(rng, "t", rng.randint(1, 8))
        self.owner = d.owner("a")
        # Mostly short leases: the check waits for them to run out, so that an ack which did
        # not hold shows as a redelivery in the same trial.
        lease = rng.randint(250, 700) if rng.random() < 0.75 else rng.randint(1500, 6000)
        items, _ = d.consume("t", "ga", self.owner, lease, maxn=rng.randint(1, 20))
        if not items:
            self.skip = True
            return
        if self.batch:
            self.targets = rng.sample(items, rng.randint(1, len(items)))
            lines = []
            for it in self.targets:
                obj = dict(it)
                if self.nack and rng.random() < 0.5:
                    obj["reason"] = f"boom-{rng.randint(0, 99)}"
                lines.append(json.dumps(obj))
            self.stdin = ("\n".join(lines) + "\n").encode()
            self.args = ["-o", "ndjson", "nack" if self.nack else "ack", "--batch", "--topic", "t",
                         "--group", "ga", "--owner", self.owner]
            self.expect_lines = len(self.targets)
        else:
            it = rng.choice(items)
            self.targets = [it]
            self.args = ["-o", "ndjson", "nack" if self.nack else "ack", "--topic", "t", "--group", "ga",
                         "--owner", self.owner, "--partition", str(it["partition"]), "--offset", str(it["offset"])]
            if self.nack:
                self.args += ["--reason", "crash-trial"]
            self.expect_lines = 1
        for it in self.targets:
            if not self.nack:
                d.touched_acks.add(("t", "ga", (it["partition"], it["offset"])))

    def collect(self):
        d = self.d
        done = set()
        for obj in jlines(self.proc.texts()):
            st = obj.get("status")
            if st not in ("acked", "nacked") or "partition" not in obj:
                continue
            po = (obj["partition"], obj["offset"])
            done.add(po)
            if st == "acked":
                if po not in d.group("t", "ga").acked:
                    d.stats.acked_writes["ack"] += 1
                d.group("t", "ga").acked.add(po)
            else:
                d.stats.acked_writes["nack"] += 1
                d.release("t", "ga", po)
                dl = obj.get("dead_lettered")
                if dl:
                    d.add_dead(dl["topic"], dl["partition"], dl["offset"], ("t",) + po)
                else:
                    d.pending_nacks.append(("t", "ga", po))
        if self.nack:
            for it in self.targets:     # a nack killed without an answer may have released its lease
                d.release("t", "ga", (it["partition"], it["offset"]))
        if not self.proc.killed and self.proc.rc == 0 and len(done) < len(self.targets):
            d.fail("loss", f"{self.name} exited 0 but answered {len(done)} of {len(self.targets)}")

    def ok_rc(self):
        # A lease that ran out before the ack (slow machine) is refused with exit 1.
        return (0, 1)


class RedriveJob(Job):
    name = "dlq-redrive"
    lines_bias = 0.3

    def prepare(self):
        d, rng = self.d, self.rng
        self.topic = "d" if rng.random() < 0.8 else "t"
        if self.topic == "d" and (rng.random() < 0.8 or not any(k[0] == "dlq.d" for k in d.dead)):
            d.publish_batch(rng, "d", rng.randint(1, 6), policy=1)
            owner = d.owner("r")
            items, _ = d.consume("d", "gd", owner, 5000, inflight=0)
            if items:
                data = "".join(json.dumps(it) + "\n" for it in items).encode()
                p = d.run(["-o", "ndjson", "nack", "--batch", "--topic", "d", "--group", "gd", "--owner", owner],
                          data, what="nack --batch (setup)", ok=(0, 1))
                for obj in jlines(p.texts()):
                    if obj.get("status") == "nacked":
                        po = (obj["partition"], obj["offset"])
                        d.release("d", "gd", po)
                        dl = obj.get("dead_lettered")
                        if dl:
                            d.add_dead(dl["topic"], dl["partition"], dl["offset"], ("d",) + po)
        self.args = ["-o", "ndjson", "dlq", "redrive", "--topic", self.topic]
        if rng.random() < 0.4:
            self.args += ["--max", str(rng.randint(1, 5))]
        self.expect_lines = 6

    def collect(self):
        d = self.d
        for obj in jlines(self.proc.texts()):
            if obj.get("status") != "redriven":
                continue
            f, t = obj["from"], obj["to"]
            src = (f["topic"], f["partition"], f["offset"])
            dst = (t["topic"], t["partition"], t["offset"])
            d.redrives.append((src, dst))
            d.stats.acked_writes["redrive"] += 1
            if src in d.dead:
                d.dead[src]["redriven"] = True
            else:
                d.dead[src] = {"orig": None, "redriven": True}


class CompactJob(Job):
    name = "wal-compact"

    def prepare(self):
        d, rng = self.d, self.rng
        if rng.random() < 0.8:
            d.publish_batch(rng, "s", rng.randint(5, 60), policy=0)
            owner = d.owner("s")
            items, _ = d.consume("s", "sg", owner, 10000, inflight=0)
            if items:
                data = "".join(json.dumps(it) + "\n" for it in items).encode()
                p = d.run(["-o", "ndjson", "ack", "--batch", "--topic", "s", "--group", "sg", "--owner", owner],
                          data, what="ack --batch (setup)")
                for obj in jlines(p.texts()):
                    if obj.get("status") == "acked":
                        d.group("s", "sg").acked.add((obj["partition"], obj["offset"]))
        self.args = ["wal", "compact"]
        if rng.random() < 0.7:
            self.args += ["--retain-acked", "0s"]

    def ok_rc(self):
        return (0, 5)   # 5: another compaction is running (a concurrent trial)

    def post_check(self):
        # The killed compaction must not leave the directory locked for the next one.
        self.d.run(["wal", "compact", "--dry-run", "--retain-acked", "0s"], what="wal compact --dry-run after a killed compaction")


class CheckpointJob(Job):
    name = "wal-checkpoint"

    def prepare(self):
        self.args = ["wal", "checkpoint"]


class TopicsCreateJob(Job):
    name = "topics-create"

    def prepare(self):
        d = self.d
        self.topic = f"x{d.value().split('.')[0]}"
        self.n = self.rng.randint(1, 4)
        self.args = ["topics", "create", "--name", self.topic, "--partitions", str(self.n)]

    def post_check(self):
        d = self.d
        d.run(self.args, what="topics create again (same count, must succeed)")
        # Only now is this topic known to exist: a concurrent job's check must not expect it
        # before its own create has been run again.
        d.topics_created[self.topic] = self.n
        p = d.run(["-o", "ndjson", "topics", "list"], what="topics list")
        for name, n in d.topics_created.items():
            rows = [o for o in jlines(p.texts()) if o.get("name") == name]
            if not rows or rows[0].get("partitions") != n:
                d.fail("loss", f"topic {name} created with {n} partitions is listed as {rows}")


class ServeJob(Job):
    """driftqctl serve, produce/consume/ack/nack over HTTP from client threads, SIGKILL the server."""
    name = "serve"
    LEASE = 20000

    def prepare(self):
        rng = self.rng
        self.args = SERVE_ARGS
        self.nclients = rng.randint(1, 3)
        self.client_seeds = [rng.getrandbits(32) for _ in range(self.nclients)]
        self.client_values = [[self.d.value() for _ in range(200)] for _ in range(self.nclients)]
        r = rng.random()
        if r < 0.6:
            self.plan = ("delay", rng.uniform(0, 0.15))
        elif r < 0.9:
            self.plan = ("answers", rng.randint(0, 40))
        else:
            self.plan = ("delay", rng.uniform(0, 0.004))
        self.results = []
        self.lock = threading.Lock()
        self.answers = 0
        self.stop = threading.Event()
        self.listen_failed = None
        self.d.serve_ran = True

    def start(self):
        d = self.d
        self.proc = d.spawn(self.args)
        self.proc.wait_lines(1, 15)
        first = self.proc.texts()[:1]
        if not first or not first[0].startswith("listening on "):
            self.listen_failed = f"serve printed {first!r} instead of 'listening on HOST:PORT': {short(self.proc.stderr() if self.proc.eof else '')}"
            self.proc.kill()
            self.threads = []
            return
        self.base = "http://" + first[0].split()[-1]
        self.t_listen = time.time()
        self.threads = [threading.Thread(target=self.client, args=(i, s, self.client_values[i]), daemon=True)
                        for i, s in enumerate(self.client_seeds)]
        for t in self.threads:
            t.start()

    def run_plan(self):
        if self.listen_failed:
            return
        if self.plan[0] == "delay":
            time.sleep(max(0.0, self.t_listen + self.plan[1] - time.time()))
        else:
            end = time.time() + 3
            while self.answers < self.plan[1] and time.time() < end and not self.stop.is_set():
                time.sleep(0.001)
        self.proc.kill()
        self.stop.set()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)
        super().finish()
        if self.listen_failed:
            self.d.fail("open", self.listen_failed)

    def summary(self):
        plan = (describe_plan(self.plan) if self.plan[0] == "delay"
                else f"kill after {self.plan[1]} HTTP answers")
        return f"serve: driftqctl {' '.join(self.args)} with {self.nclients} HTTP clients [{plan}]"

    # -- client side (threads): record everything, apply to the model after the kill

    def record(self, *entry):
        with self.lock:
            self.results.append(entry)
            if entry[0] in ("produced", "delivered", "acked", "nacked", "refused"):
                self.answers += 1

    def client(self, idx, seed, values):
        rng = random.Random(seed)
        owner = f"h{idx}.{self.d.ds % 9973}.{seed % 1000}"
        vi = 0
        while not self.stop.is_set():
            r = rng.random()
            try:
                if r < 0.6 and vi < len(values):
                    v = values[vi]
                    vi += 1
                    idem = rng.random() < 0.3
                    body = {"topic": "t", "key": v if rng.random() < 0.8 else "", "value": v}
                    if idem:
                        body["envelope"] = {"idempotency_key": v}
                    self.record("attempt", v, idem, body["key"])
                    status, data = http_req(self.base, "POST", "/v1/produce", body)
                    if 200 <= status < 300:
                        obj = json.loads(data)
                        self.record("produced", v, obj.get("partition"), obj.get("offset"))
                    else:
                        self.record("refused", "produce", status, data[:200])
                else:
                    t0 = time.time()
                    items, times, err = http_consume(self.base, "t", "hs", owner, self.LEASE, rng.randint(1, 10))
                    self.record("delivered", items, times, t0, err is not None)
                    if err:
                        raise err
                    for it in items:
                        c = rng.random()
                        po = (it["partition"], it["offset"])
                        if c < 0.6:
                            self.record("ack-try", po)
                            st, data = http_req(self.base, "POST", "/v1/ack", {"topic": "t", "group": "hs", "owner": owner,
                                                                          "partition": po[0], "offset": po[1]})
                            self.record("acked" if 200 <= st < 300 else "refused", po, st, data[:200])
                        elif c < 0.8:
                            self.record("nack-try", po)
                            st, data = http_req(self.base, "POST", "/v1/nack", {"topic": "t", "group": "hs", "owner": owner,
                                                                           "partition": po[0], "offset": po[1],
                                                                           "reason": "crash-trial"})
                            self.record("nacked" if 200 <= st < 300 else "refused", po, st, data[:200])
            except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException) as e:
                self.record("error", repr(e)[:200])
                return

    def collect(self):
        d = self.d
        hs = d.group("t", "hs")
        cut = False
        # A nack is answered after its record is synced, and another client's stream may
        # be handed the message again before that answer arrives: a delivery recorded
        # between the nack's try and its answer is its return.
        nack_tries, returned = set(), set()
        for e in self.results:
            kind = e[0]
            if kind == "attempt":
                d.attempt_pub(e[1], "t", e[2])
                if e[2]:
                    d.unknown_http_idem.append((e[1], e[3]))
            elif kind == "produced":
                if e[2] is None:
                    continue
                d.ack_pub(e[1], e[2], e[3], "HTTP produce")
                d.unknown_http_idem = [u for u in d.unknown_http_idem if u[0] != e[1]]
            elif kind == "delivered":
                d.observe("t", "hs", e[1], e[3], self.LEASE, "serve consume stream", e[2])
                d.stats.acked_writes["lease (HTTP)"] += len(e[1])
                cut = cut or e[4]
                returned |= {(it["partition"], it["offset"]) for it in e[1]} & nack_tries
            elif kind == "ack-try":
                d.touched_acks.add(("t", "hs", e[1]))
            elif kind == "acked":
                if e[1] not in hs.acked:
                    d.stats.acked_writes["ack (HTTP)"] += 1
                hs.acked.add(e[1])
            elif kind == "nack-try":
                d.release("t", "hs", e[1])
                nack_tries.add(e[1])
                returned.discard(e[1])
            elif kind == "nacked":
                d.stats.acked_writes["nack (HTTP)"] += 1
                d.release("t", "hs", e[1])
                nack_tries.discard(e[1])
                if e[1] not in returned:
                    d.pending_nacks.append(("t", "hs", e[1]))
        if cut:
            # A stream cut by the kill may have leased messages it never sent, so a nacked
            # message may be under a live lease nobody saw: its return cannot be checked.
            d.pending_nacks = [n for n in d.pending_nacks if n[1] != "hs"]
        d.note(f"  serve clients: {collections.Counter(e[0] for e in self.results)}")
        for e in self.results:
            if e[0] == "delivered":
                d.note(f"    delivered {[(it['partition'], it['offset'], it.get('attempts')) for it in e[1]]}{' (stream cut)' if e[4] else ''}")
            else:
                d.note(f"    {short(repr(e), 200)}")


def http_req(base, method, path, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")


def http_consume(base, topic, group, owner, lease_ms, maxn=None, timeout=5, inflight=None):
    """One /v1/consume stream with driftqctl's consume limits (until_idle): items and arrival times."""
    q = f"/v1/consume?topic={topic}&group={group}&owner={owner}&lease_ms={lease_ms}&until_idle=1"
    if maxn:
        q += f"&max={maxn}"
    if inflight is not None:
        q += f"&max_inflight={inflight}"
    items, times = [], []
    req = urllib.request.Request(base + q)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            while True:
                line = r.readline()
                if not line:
                    return items, times, ConnectionError("consume stream ended without stream_end")
                if not line.endswith(b"\n"):
                    return items, times, ConnectionError("consume stream cut inside a line")
                line = line.strip()
                if not line:
                    continue
                obj = json.loads(line)
                if "stream_end" in obj:
                    return items, times, None
                items.append(obj)
                times.append(time.time())
    except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException) as e:
        return items, times, e


JOBS = {
    "publish": PublishJob, "publish-batch": PublishBatchJob, "consume": ConsumeJob,
    "dlq-redrive": RedriveJob, "wal-compact": CompactJob, "wal-checkpoint": CheckpointJob,
    "topics-create": TopicsCreateJob, "serve": ServeJob,
}


def make_job(name, d, rng):
    if name in ("ack", "nack", "ack-batch", "nack-batch"):
        return AckJob(d, rng, name)
    return JOBS[name](d, rng)


# --------------------------------------------------------------------------------------------
# Checks after the kill, with fresh processes


def verify_topic(d, topic, items, where):
    """A fresh group saw `items` of `topic`: every acknowledged publish exactly once, in its
    place; nothing twice; nothing we never published. Returns the redriven copies by source."""
    seen, places, copies = set(), collections.defaultdict(list), collections.defaultdict(list)
    for it in items:
        po = (it["partition"], it["offset"])
        if po in seen:
            d.fail("duplicate", f"{where}: {topic}/{po[0]}@{po[1]} delivered twice to a fresh group")
        seen.add(po)
        env = it.get("envelope") or {}
        rf = env.get("redriven_from")
        v = it.get("value")
        if rf:
            copies[(rf.get("topic"), rf.get("partition"), rf.get("offset"))].append((topic, po, v))
            continue
        rec = d.pubs.get(v)
        if rec is None or rec["topic"] != topic:
            d.fail("phantom", f"{where}: {topic}/{po[0]}@{po[1]} holds {v!r}, never published to {topic}")
            continue
        places[v].append(po)
    for v, ps in places.items():
        if len(ps) > 1:
            d.fail("duplicate", f"{where}: {v} ({'acknowledged' if d.pubs[v]['acked'] else 'unacknowledged'}) is in {topic} {len(ps)} times: {ps}")
    for v, rec in d.pubs.items():
        if rec["topic"] != topic or not rec["acked"]:
            continue
        d.stats.checked["publish"] += 1
        ps = places.get(v)
        if not ps:
            d.fail("loss", f"{where}: acknowledged publish {v} ({topic}/{rec['place'][0]}@{rec['place'][1]}) is missing")
        elif ps[0] != rec["place"]:
            d.fail("loss", f"{where}: acknowledged publish {v} at {topic}/{rec['place']} is at {ps[0]} instead")
    return copies, {po: it.get("value") for it in items for po in [(it["partition"], it["offset"])]}


def check_dead_letters(d, topic, rows, copies, values):
    dlqt = "dlq." + topic
    listed = {(dlqt, r["dlq_partition"], r["dlq_offset"]): r for r in rows}
    for key, rec in d.dead.items():
        if key[0] != dlqt:
            continue
        d.stats.checked["dead letter"] += 1
        r = listed.get(key)
        if r is None:
            d.fail("deadletter-loss", f"dead letter {key[0]}/{key[1]}@{key[2]} (of {rec['orig']}) is no longer listed by dlq list")
            continue
        m = r.get("dlq") or {}
        orig = (m.get("original_topic"), m.get("original_partition"), m.get("original_offset"))
        if rec["orig"] is not None and orig != rec["orig"]:
            d.fail("deadletter-loss", f"dead letter {key} was acknowledged for {rec['orig']} but lists {orig}")
        if rec["redriven"] and not r.get("redriven"):
            d.fail("redrive", f"dead letter {key} was redriven but is listed as not redriven")
    for key, r in listed.items():
        n = len(copies.get(key, []))
        if r.get("redriven") and n == 0:
            d.fail("loss", f"dead letter {key} is listed as redriven but its copy is not in {topic}")
        elif n > 1:
            d.fail("duplicate", f"dead letter {key} was redriven {n} times: {copies[key]}")
        elif not r.get("redriven") and n:
            d.fail("redrive", f"dead letter {key} has a copy {copies[key]} but is listed as not redriven")
        m = r.get("dlq") or {}
        orig = (m.get("original_topic"), m.get("original_partition"), m.get("original_offset"))
        if n and orig[0] == topic and (orig[1], orig[2]) in values and copies[key][0][2] != values[(orig[1], orig[2])]:
            d.fail("redrive", f"copy of {key} holds {copies[key][0][2]!r}, the original {orig} holds {values[(orig[1], orig[2])]!r}")
        prev = d.dead.get(key)
        d.dead[key] = {"orig": prev["orig"] if prev and prev["orig"] else orig, "redriven": bool(r.get("redriven"))}
    for key, cs in copies.items():
        if key[0] == dlqt and key not in listed:
            d.fail("deadletter-loss", f"copies {cs} name dead letter {key}, which dlq list does not list")
    for src, dst in d.redrives:
        if src[0] != dlqt:
            continue
        d.stats.checked["redrive"] += 1
        got = [(c[0],) + c[1] for c in copies.get(src, [])]
        if dst not in got:
            d.fail("loss", f"acknowledged redrive {src} -> {dst} is missing (copies of {src}: {got})")


def check_groups(d, where_prefix=""):
    """Every group that acked something or holds leases: consume again with a fresh owner and
    fail on anything acked or still leased by someone else. Also: every acknowledged nack of
    this trial comes back (or went to the DLQ)."""
    delivered = collections.defaultdict(set)
    pending_before = list(d.pending_nacks)
    for (topic, name), g in sorted(d.groups.items()):
        if name not in ("ga", "gd", "gl", "sg", "hs"):
            continue
        now = time.time()
        soon = [lb for po, lb in g.leases.items() if po in g.acked and now < lb < now + 0.8]
        if soon:
            time.sleep(max(soon) - now + MARGIN)
        lease = 30000 if name == "gl" else 1
        items, p = d.consume(topic, name, d.owner("k"), lease, maxn=20000, inflight=0,
                             where=f"{where_prefix}check consume {topic}/{name}")
        d.stats.checked["ack"] += len(g.acked)
        for it in items:
            delivered[(topic, name)].add((it["partition"], it["offset"]))
    pending = [(t, g, po) for t, g, po in dict.fromkeys(pending_before) if (t, g, po) not in d.touched_acks]
    missing = [(t, g, po) for t, g, po in pending if po not in delivered[(t, g)]]
    d.stats.checked["nack"] += len(pending)
    if missing:
        rows = {}
        for topic in sorted({t for t, _, _ in missing}):
            p = d.run(["-o", "ndjson", "dlq", "list", "--topic", topic], what="dlq list")
            for r in jlines(p.texts()):
                m = r.get("dlq") or {}
                rows[(m.get("original_topic"), m.get("group"), (m.get("original_partition"), m.get("original_offset")))] = r
        for t, g, po in missing:
            if (t, g, po) in rows:
                continue
            if po in d.group(t, g).acked:
                continue
            d.fail("nack-lost", f"{t}/{po[0]}@{po[1]} was nacked (acknowledged) by group {g} but a fresh consume of {g} does not deliver it and it is not in the DLQ")


def check_serve_restart(d, rng):
    """Restart serve on the crashed directory; check over HTTP; stop it with SIGTERM."""
    p = d.spawn(SERVE_ARGS)
    try:
        p.wait_lines(1, 20)
        first = p.texts()[:1]
        if not first or not first[0].startswith("listening on "):
            p.kill()
            p.finish()
            raise Abort(f"serve did not restart on the crashed directory: {first!r} {short(p.stderr())}")
        base = "http://" + first[0].split()[-1]
        st, _ = http_req(base, "GET", "/v1/healthz")
        if st != 200:
            d.fail("serve", f"restarted serve: /v1/healthz answered {st}")
        # Producers retry what got no answer, with their idempotency keys: exactly one copy.
        for v, key in d.unknown_http_idem:
            st, data = http_req(base, "POST", "/v1/produce", {"topic": "t", "key": key, "value": v,
                                                           "envelope": {"idempotency_key": v}})
            if 200 <= st < 300:
                obj = json.loads(data)
                d.ack_pub(v, obj["partition"], obj["offset"], "HTTP produce retry")
            else:
                d.fail("loss", f"restarted serve refused the retried produce of {v}: {st} {data[:200]}")
        d.unknown_http_idem = []
        v = d.value()
        d.attempt_pub(v, "t")
        st, data = http_req(base, "POST", "/v1/produce", {"topic": "t", "key": v, "value": v})
        if 200 <= st < 300:
            obj = json.loads(data)
            d.ack_pub(v, obj["partition"], obj["offset"], "HTTP produce after restart")
        else:
            d.fail("serve", f"restarted serve refused a produce: {st} {data[:200]}")
        t0 = time.time()
        items, times, err = http_consume(base, "t", f"hv{d.owner('')}", "verifier", 60000, timeout=20)
        if err:
            d.fail("serve", f"restarted serve: consume of a fresh group failed: {err!r}")
        else:
            verify_topic(d, "t", items, "HTTP consume of a fresh group after restart")
        if ("t", "hs") in d.groups:
            t0 = time.time()
            items, times, err = http_consume(base, "t", "hs", d.owner("hk"), 1, timeout=20)
            d.observe("t", "hs", items, t0, 1, "HTTP consume of group hs after restart", times)
            if err:
                d.fail("serve", f"restarted serve: consume of group hs failed: {err!r}")
    except (OSError, urllib.error.URLError, ValueError, http.client.HTTPException) as e:
        d.fail("serve", f"restarted serve: {e!r}")
    finally:
        if p.p.poll() is None:
            p.p.send_signal(signal.SIGTERM)
        try:
            rc = p.finish(20)
        except Abort:
            d.fail("serve", "restarted serve did not stop within 20s of SIGTERM")
            rc = None
        d.note(f"$ serve (restart) -> rc={rc}\n  err: {short(p.stderr())}")
        if rc not in (0, None):
            d.fail("serve", f"restarted serve exited {rc} on SIGTERM: {short(p.stderr().strip())}")


def check(d, rng, jobs):
    # 1. Before any writer cuts a torn tail: the log has no corruption.
    p = d.run(["wal", "verify"], what="wal verify", ok=(0, 3))
    if p.rc == 3:
        d.fail("corruption", f"wal verify exited 3: {short(' | '.join(p.texts()), 1200)}")
        raise Abort("wal verify found corruption", category=None)
    d.stats.checked["wal verify"] += 1
    # 2. serve restarts on the directory and answers for it.
    if any(j.name == "serve" for j in jobs):
        check_serve_restart(d, rng)
    # 3. Read-only commands open it.
    d.run(["-o", "ndjson", "wal", "inspect"], what="wal inspect")
    # 4. A fresh group sees every acknowledged publish once; dead letters and redrives hold.
    all_copies = collections.defaultdict(list)
    values = {}
    for topic in ("t", "d"):
        owner = d.owner("v")
        items, _ = d.consume(topic, f"v{owner}", owner, 600000, inflight=0, where=f"fresh consume of {topic}")
        copies, vals = verify_topic(d, topic, items, f"fresh consume of {topic}")
        for k, c in copies.items():
            all_copies[k].extend(c)
        values[topic] = vals
    for topic in ("t", "d"):
        p = d.run(["-o", "ndjson", "dlq", "list", "--topic", topic], what="dlq list")
        check_dead_letters(d, topic, jlines(p.texts()), all_copies, values[topic])
    # 5. Groups: nothing acked comes back, no live lease is handed out twice, nacks come back.
    check_groups(d)
    for j in jobs:
        if not j.skip:
            j.post_check()


# --------------------------------------------------------------------------------------------
# Driver


def run_trial(d, k, stats, verbose=False, only=None):
    seed = f"{d.ds}:{k}"
    rng = random.Random(f"trial:{seed}")
    ops = [(n, w) for n, w in OPS if not only or n in only]
    op = rng.choices([n for n, _ in ops], [w for _, w in ops])[0]
    if op == "concurrent":
        names = [rng.choice(SOLO_OPS), rng.choice(SOLO_OPS)]
        if names == ["serve", "serve"]:
            names[1] = "publish-batch"
        jobs = [make_job(n, d, random.Random(f"job:{seed}:{i}")) for i, n in enumerate(names)]
        label = "concurrent(" + "+".join(names) + ")"
    else:
        jobs = [make_job(op, d, random.Random(f"job:{seed}:0"))]
        label = op
    d.trial = seed
    d.violations = []
    d.pending_nacks = []
    d.touched_acks = set()
    d.note(f"==== trial {seed} {label}")
    stats.trials += 1
    stats.ops[op] += 1
    if op == "concurrent":
        for n in names:
            stats.ops["  in concurrent: " + n] += 1
    t0 = time.time()
    snapshot = None
    try:
        d.ensure_topics()
        for j in jobs:
            j.prepare()
        jobs.sort(key=lambda j: j.name != "serve")   # a server first: it needs a moment to listen
        for j in jobs:
            j.start()
        killers = [threading.Thread(target=j.run_plan) for j in jobs]
        for t in killers:
            t.start()
        for t in killers:
            t.join()
        for j in jobs:
            j.finish()
        for j in jobs:
            if j.proc and not j.skip:
                j.collect()
        if d.keep:
            snapshot = os.path.join(os.path.dirname(d.path), f"snap-{d.ds}-{k}")
            shutil.rmtree(snapshot, ignore_errors=True)
            shutil.copytree(d.path, snapshot, symlinks=True)
        check(d, rng, jobs)
    except Abort as e:
        if e.category:
            d.fail(e.category, str(e))
    stats.op_time[op] += time.time() - t0
    desc = "; ".join(j.summary() for j in jobs)
    if verbose:
        print(f"  trial {seed:<24} {label:<40} {time.time() - t0:6.3f}s {len(d.violations)} violations", flush=True)
    return label, desc, snapshot


def report_failure(d, k, label, desc, args, snapshot):
    seed = f"{d.ds}:{k}"
    print(f"\nVIOLATION in trial {seed} ({label}), directory {d.path}"
          f" (segment-size {d.segment}, checkpoint-every {d.checkpoint_every}, partitions {d.parts})", flush=True)
    print(f"  operation: {desc}")
    for cat, detail in d.violations[:20]:
        print(f"  invariant violated [{cat}]: {detail}")
    if len(d.violations) > 20:
        print(f"  ... and {len(d.violations) - 20} more")
    binary = f" --binary {args.binary_given}" if args.binary_given else ""
    only = f" --only {','.join(sorted(args.only))}" if args.only else ""
    print(f"  reproduce: python3 stress/crash-trials.py{binary}{only} --replay {seed} --repeat 50"
          f"{' --keep-failures ' + args.keep_failures if args.keep_failures else ''}", flush=True)
    if args.keep_failures:
        dest = os.path.join(args.keep_failures, f"trial-{d.ds}-{k}")
        shutil.rmtree(dest, ignore_errors=True)
        os.makedirs(dest, exist_ok=True)
        if snapshot and os.path.isdir(snapshot):
            shutil.copytree(snapshot, os.path.join(dest, "after-kill"), symlinks=True)
        if os.path.isdir(d.path):
            shutil.copytree(d.path, os.path.join(dest, "after-checks"), symlinks=True)
        with open(os.path.join(dest, "log.txt"), "w") as f:
            f.write(f"trial {seed} {label}\n{desc}\n\n")
            for cat, detail in d.violations:
                f.write(f"[{cat}] {detail}\n")
            f.write("\n" + "\n".join(d.log) + "\n")
        print(f"  kept: {dest} (after-kill: the directory as the kill left it; log.txt: every command)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--trials", type=int, help=f"number of trials (default {SHORT_TRIALS})")
    ap.add_argument("--long", action="store_true", help=f"{LONG_TRIALS} trials")
    ap.add_argument("--seed", type=int, help="master seed (default: random, printed)")
    ap.add_argument("--binary", help="driftqctl to test (default .build/release/driftqctl if present, else .build/debug/driftqctl)")
    ap.add_argument("--keep-failures", metavar="DIR", help="copy a failing trial's directory and command log here")
    ap.add_argument("--replay", metavar="DIRSEED:K", help="replay one directory's trials 0..K (from a failure's reproduce line)")
    ap.add_argument("--repeat", type=int, default=1, help="with --replay: repeat until a violation, at most N times (kill moments vary)")
    ap.add_argument("--max-seconds", type=float, help="stop starting trials after this long")
    ap.add_argument("--only", metavar="OP,OP", help="pick operations only from these (" + ", ".join(n for n, _ in OPS) + ")")
    ap.add_argument("-v", "--verbose", action="store_true", help="a line per trial")
    args = ap.parse_args()
    if args.trials is not None and args.long:
        ap.error("--trials and --long together")
    args.binary_given = args.binary
    if args.only:
        args.only = set(args.only.split(","))
        unknown = args.only - {n for n, _ in OPS}
        if unknown:
            ap.error(f"--only: unknown operations {', '.join(sorted(unknown))}")
    binary = args.binary
    if not binary:
        rel = os.path.join(ROOT, ".build/release/driftqctl")
        binary = rel if os.path.exists(rel) else os.path.join(ROOT, ".build/debug/driftqctl")
    if not os.path.isfile(binary) or not os.access(binary, os.X_OK):
        ap.error(f"no driftqctl at {binary} (build it, or give --binary)")
    if args.keep_failures:
        args.keep_failures = os.path.abspath(args.keep_failures)
        os.makedirs(args.keep_failures, exist_ok=True)

    root = tempfile.mkdtemp(prefix="driftq-crash-")
    # Test a copy: a rebuild of the original during the run cannot change what is tested.
    test_binary = os.path.join(root, "driftqctl")
    shutil.copy2(binary, test_binary)
    with open(test_binary, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    stats = Stats()
    started = time.time()

    if args.replay:
        ds_text, k_text = args.replay.split(":")
        plan = [(int(ds_text), int(k_text) + 1)] * max(1, args.repeat)
        total = None
        print(f"crash-trials: replay {args.replay} (up to {len(plan)} times); binary {binary} (sha256 {digest})", flush=True)
    else:
        seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
        total = LONG_TRIALS if args.long else (args.trials if args.trials is not None else SHORT_TRIALS)
        print(f"crash-trials: seed {seed}, {total} trials, binary {binary} (sha256 {digest})", flush=True)
        master = random.Random(seed)
        plan = None

    failed = False
    last_progress = time.time()

    def dir_runs():
        if plan is not None:
            yield from plan
            return
        done = 0
        while done < total:
            n = min(master.choice([1, 1, 2, 3, 4, 5]), total - done)
            yield master.randrange(1, 2**40), n
            done += n

    try:
        for ds, n in dir_runs():
            if args.max_seconds and time.time() - started > args.max_seconds:
                print(f"crash-trials: stopping after {args.max_seconds:.0f}s", flush=True)
                break
            d = Dir(root, ds, test_binary, stats)
            d.keep = bool(args.keep_failures)
            shutil.rmtree(d.path, ignore_errors=True)
            bad = False
            for k in range(n):
                label, desc, snapshot = run_trial(d, k, stats, args.verbose, args.only)
                if d.violations:
                    failed = bad = True
                    stats.failed_trials.append((f"{ds}:{k}", label, list(d.violations)))
                    report_failure(d, k, label, desc, args, snapshot)
                if snapshot:
                    shutil.rmtree(snapshot, ignore_errors=True)
                if bad:
                    break          # the directory's model is no longer trusted
            shutil.rmtree(d.path, ignore_errors=True)
            if plan is not None and bad:
                break
            if time.time() - last_progress > 15:
                last_progress = time.time()
                print(f"  ... {stats.trials} trials, {stats.kills} kills, "
                      f"{sum(stats.violations.values())} violations, {time.time() - started:.0f}s", flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)

    wall = time.time() - started
    print(f"\ncrash-trials: {stats.trials} trials in {wall:.1f}s "
          f"({stats.spawned} driftqctl processes, {stats.kills} SIGKILLs of a live process)")
    print("trials per operation:")
    for name, _ in OPS:
        if stats.ops[name]:
            print(f"  {name:<16} {stats.ops[name]:6d}   {stats.op_time[name] / stats.ops[name] * 1000:6.0f} ms/trial")
    inner = sorted((k, v) for k, v in stats.ops.items() if k.startswith("  in concurrent"))
    if inner:
        print("  concurrent pairs included: " + ", ".join(f"{k.split(': ')[1]} {v}" for k, v in inner))
    print("SIGKILLs (killed while running / killed writers run, alone or in pairs): "
          + ", ".join(f"{k} {stats.kills_by_op[k]}/{n}" for k, n in sorted(stats.runs_by_op.items())))
    print("acknowledged writes: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.acked_writes.items())))
    print("checks of acknowledged writes: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.checked.items())))
    v = stats.violations
    print(f"losses: {v['loss'] + v['deadletter-loss']}  duplicates: {v['duplicate']}  "
          f"redeliveries after ack: {v['redelivery-after-ack']}  double leases: {v['double-lease']}  "
          f"lost nacks: {v['nack-lost']}  corruption: {v['corruption']}  "
          f"failed opens: {v['open']}  other: {v['phantom'] + v['redrive'] + v['serve']}")
    if stats.warnings:
        print("warnings seen (allowed): " + ", ".join(f"{k} x{n}" for k, n in stats.warnings.most_common(8)))
    if stats.failed_trials:
        print(f"FAILED: {len(stats.failed_trials)} trials with violations: "
              + ", ".join(f"{s} ({l})" for s, l, _ in stats.failed_trials[:10]))
    else:
        print("OK: no violations")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
