import Foundation
import Testing
import TestSupport
import WALFormat

/// Workflow runs through the real binary: commands as steps, retries, budgets, cancel,
/// restarts, artifacts, replay and DriftQ's cost table.
@Suite struct RunsProcessTests {
  func write(_ spec: String, in dir: TemporaryDirectory, name: String = "spec.json") -> String {
    let path = dir.appending(name)
    FileBytes.write(path, Array(spec.utf8))
    return path
  }

  func state(_ cli: CLIProcess, _ runID: String) throws -> [String: Any] {
    let text = try cli.run(["runs", "state", "--run-id", runID, "-o", "json"]).stdout
    return (try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
  }

  /// Polls until `condition` holds (bounded; each look is a real read of the log).
  func eventually(_ what: String, within seconds: Double = 20, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try condition() { return }
      usleep(20_000)
    }
    Issue.record("timed out waiting for \(what)")
  }

  /// 80 chained steps pass their input on, one level deeper each: the step whose output would
  /// nest an event deeper than the parser reads fails, the run ends failed (not interrupted),
  /// and the directory stays readable (such a run once made every later command exit 3 while
  /// `wal verify` said ok).
  @Test func aRunEventTooDeepToReadBackIsNeverWritten() throws {
    let files = TemporaryDirectory("runs-deep-spec")
    let spec = files.appending("deep.json")
    let nodes = (0..<80).map { i in i == 0 ? #"{"id":"n0","topic":"noop"}"# : #"{"id":"n\#(i)","topic":"noop","deps":["n\#(i - 1)"]}"# }
    try Data(#"{"id":"deep","nodes":[\#(nodes.joined(separator: ","))]}"#.utf8).write(to: URL(fileURLWithPath: spec))
    let cli = CLIProcess(TemporaryDirectory("runs-deep"))
    let started = try cli.run(["runs", "start", "--workflow", spec, "--run-id", "d1"])
    #expect(started.status == 1 && started.stderr.contains("node n56 failed: the step's output nests deeper than 56 levels"), "\(started.stderr)")
    #expect(try cli.run(["runs", "status", "--run-id", "d1"]).stdout.contains("status=failed"))
    #expect(try cli.run(["runs", "list"]).stdout == "d1\n")
    #expect(try cli.run(["wal", "verify"]).status == 0)
    #expect(try cli.run(["topics", "create", "--name", "after"]).status == 0)
  }

  @Test func theDemoGivesFourAndTheGoToolsLines() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-runs"))
    let result = try cli.run(["runs", "demo"])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.lines
    #expect(lines.count == 2 && lines[0].hasPrefix("run_id=demo-") && lines[1].hasPrefix("next: driftqctl runs status --run-id demo-"))
    let runID = String(lines[0].dropFirst("run_id=".count))
    let b = try cli.run(["runs", "step", "--run-id", runID, "--node-id", "B", "-o", "json"]).stdout
    #expect(b.contains("\"x\": 4") || b.contains("\"x\":4"), "\(b)")
    let artifacts = try cli.run(["runs", "artifacts", "--run-id", runID]).stdout
    let header = artifacts.split(separator: "\n").first?.split(separator: " ").map(String.init)
    #expect(header == ["ARTIFACT_ID", "SIZE", "TYPE", "NODE", "ATT", "CREATED", "NAME", "DESC"])
    #expect(artifacts.contains("B.output.json"))
    #expect(try cli.run(["runs", "list"]).stdout == runID + "\n")
  }

  @Test func commandStepsGetInputsAndReportUsageAndErrors() throws {
    let dir = TemporaryDirectory("e2e-cmd")
    let cli = CLIProcess(dir)
    let spec = write(#"""
      {"id":"wf","nodes":[
        {"id":"a","run":["sh","-c","cat; echo '{\"tokens_in\":10,\"tokens_out\":5,\"dollars\":0.001}' >> \"$DRIFTQ_USAGE_FILE\""]},
        {"id":"b","run":"tr a-z A-Z","deps":["a"]}]}
      """#, in: dir)
    let ok = try cli.run(["runs", "start", "--workflow", spec, "--input", #"{"msg":"hi"}"#, "--run-id", "r-ok"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let status = try cli.run(["runs", "status", "--run-id", "r-ok"]).stdout
    #expect(status.contains("status=succeeded") && status.contains("tokens=15 dollars=0.001"))
    #expect(try cli.run(["runs", "step", "--run-id", "r-ok", "--node-id", "b", "-o", "json"]).stdout.contains(#""MSG":"HI""#))

    let failing = write(#"{"id":"wf","nodes":[{"id":"a","run":"echo oops >&2; exit 3","retry":{"max_attempts":2}}]}"#, in: dir, name: "fail.json")
    let failed = try cli.run(["runs", "start", "--workflow", failing, "--run-id", "r-fail"])
    #expect(failed.status == 1)
    #expect(failed.stderr.contains("run failed: node a failed: exit status 3: oops"))
    #expect(try cli.run(["runs", "step", "--run-id", "r-fail", "--node-id", "a"]).lines.count == 4)

    let slow = write(#"{"id":"wf","nodes":[{"id":"a","run":"sleep 30","timeout_ms":200}]}"#, in: dir, name: "slow.json")
    let timedOut = try cli.run(["runs", "start", "--workflow", slow, "--run-id", "r-slow"])
    #expect(timedOut.status == 1 && timedOut.stderr.contains("context deadline exceeded"))

    let bad = write(#"{"id":"wf","nodes":[{"id":"a","topic":"noop","deps":["nope"]}]}"#, in: dir, name: "bad.json")
    let rejected = try cli.run(["runs", "start", "--workflow", bad])
    #expect(rejected.status == 1 && rejected.stderr.contains("edge references unknown node: nope"))
  }

  @Test func aBudgetOnTokensStopsTheRun() throws {
    let dir = TemporaryDirectory("e2e-budget")
    let cli = CLIProcess(dir)
    let spec = write(#"""
      {"id":"wf","budget":{"max_tokens":25},"nodes":[
        {"id":"a","run":"echo '{\"tokens_in\":20}' >> \"$DRIFTQ_USAGE_FILE\"; echo 1"},
        {"id":"b","run":"echo '{\"tokens_in\":20}' >> \"$DRIFTQ_USAGE_FILE\"; echo 2","deps":["a"]},
        {"id":"c","topic":"noop","deps":["b"]}]}
      """#, in: dir)
    let result = try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r"])
    #expect(result.status == 1 && result.stderr.contains("budget exceeded (tokens)"))
    let events = try cli.run(["runs", "events", "--run-id", "r"]).stdout
    #expect(events.contains(#"budget_exceeded\#t{"scope":"run","reason":"tokens","limit":{"max_tokens":25},"used":{"tokens":40}}"#))
  }

  @Test func cancelStopsADetachedRunAndItsCommand() throws {
    let dir = TemporaryDirectory("e2e-cancel")
    let cli = CLIProcess(dir)
    let spec = write(#"{"id":"wf","nodes":[{"id":"a","run":"sleep 60"}]}"#, in: dir)
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r", "--detach"]).status == 0)
    try eventually("the step to start") { try cli.run(["runs", "events", "--run-id", "r"]).stdout.contains("node_started") }
    let canceled = try cli.run(["runs", "cancel", "--run-id", "r", "--reason", "operator"])
    #expect(canceled.stdout == "canceled run_id=r\n", "\(canceled.status) \(canceled.stderr)")
    try eventually("the executor to let go of the run") {
      try cli.run(["runs", "status", "--run-id", "r"]).stdout.hasPrefix("run_id=r workflow_id=wf status=canceled")
        && !FileManager.default.fileExists(atPath: "/proc/\(try pid(dir))")
    }
    #expect(try cli.run(["runs", "cancel", "--run-id", "r"]).stdout.contains("nothing to cancel"))
  }

  /// The pid the executor wrote into its run lock (never 0, 1 or negative: those would
  /// signal whole process groups or everything).
  func pid(_ dir: TemporaryDirectory, run: String = "r") throws -> Int32 {
    let text = String(decoding: FileBytes.read(dir.appending("data/runs/\(run).lock")), as: UTF8.self)
    let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), "no pid in the run lock: \(text)")
    try #require(pid > 1)
    return pid
  }

  /// The executor is killed while a delay timer is pending; `runs resume` fires it on time and
  /// finishes without re-running the step that had succeeded.
  @Test func aKilledRunResumesWithItsTimerAndWithoutRedoingFinishedSteps() throws {
    let dir = TemporaryDirectory("e2e-resume")
    let cli = CLIProcess(dir)
    let counter = dir.appending("count")
    let spec = write(#"{"id":"wf","nodes":[{"id":"once","run":"echo x >> \#(counter); echo 1"},{"id":"wait","topic":"delay_once_2s","deps":["once"]},{"id":"end","topic":"noop","deps":["wait"]}]}"#, in: dir)
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r", "--detach"]).status == 0)
    try eventually("the delay timer") { try cli.run(["runs", "events", "--run-id", "r"]).stdout.contains("timer_scheduled") }
    kill(try pid(dir), SIGKILL)
    try eventually("the run to show as interrupted") { try cli.run(["runs", "status", "--run-id", "r"]).stdout.contains("status=interrupted") }
    let resumed = try cli.run(["runs", "resume", "--run-id", "r"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(FileBytes.read(counter) == Array("x\n".utf8))
    let events = try cli.run(["runs", "events", "--run-id", "r"]).stdout
    #expect(events.contains("timer_fired"))
    #expect(try cli.run(["runs", "status", "--run-id", "r"]).stdout.contains("status=succeeded"))
  }

  @Test func aKilledCommandStepRunsAgainOnResume() throws {
    let dir = TemporaryDirectory("e2e-kill")
    let cli = CLIProcess(dir)
    let counter = dir.appending("count")
    let spec = write(#"{"id":"wf","nodes":[{"id":"a","run":"echo a >> \#(counter); echo 1"},{"id":"b","run":"echo b >> \#(counter); sleep 1; echo 2","deps":["a"]}]}"#, in: dir)
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r", "--detach"]).status == 0)
    try eventually("b to start") { String(decoding: FileBytes.read(counter), as: UTF8.self).contains("b") }
    kill(try pid(dir), SIGKILL)
    try eventually("the run to be interrupted") { try cli.run(["runs", "status", "--run-id", "r"]).stdout.contains("status=interrupted") }
    #expect(try cli.run(["runs", "resume", "--run-id", "r"]).status == 0)
    #expect(String(decoding: FileBytes.read(counter), as: UTF8.self) == "a\nb\nb\n")
    #expect(try cli.run(["runs", "step", "--run-id", "r", "--node-id", "b"]).stdout.contains("interrupted"))
  }

  @Test func largeOutputsBecomeArtifactsNamedByTheirSHA256() throws {
    let dir = TemporaryDirectory("e2e-artifact")
    let cli = CLIProcess(dir)
    let script = write("awk 'BEGIN { printf \"\\\"\"; for (i = 0; i < 20000; i++) printf \"z\"; printf \"\\\"\" }'\n", in: dir, name: "big.sh")
    let spec = write(#"{"id":"wf","nodes":[{"id":"big","run":["sh","\#(script)"]}]}"#, in: dir)
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r"]).status == 0)
    let table = try cli.run(["runs", "artifacts", "--run-id", "r"]).lines
    // The output, and the step's log beside it.
    #expect(table.count == 3 && table.contains { $0.contains("application/x-ndjson") && $0.contains("big.1.log.ndjson") })
    let id = String(try #require(table.first { $0.contains("big.output.json") }).prefix(64))
    let blob = try cli.run(["runs", "artifact-get", "--artifact-id", id, "--out", "-"]).stdout
    #expect(SHA256.hex(Array(blob.utf8)) == id)
    #expect(blob.utf8.count == 20002)
    #expect(try cli.run(["runs", "artifact-meta", "--artifact-id", id]).stdout.contains(#""labels": {"#))
    #expect(try cli.run(["runs", "artifact-get", "--artifact-id", "../../etc/passwd"]).status == 2)
  }

  @Test func twoProcessesRunTwoRunsOnOneDirectory() throws {
    let dir = TemporaryDirectory("e2e-two-runs")
    let cli = CLIProcess(dir)
    let spec = write(#"{"id":"wf","max_parallel":2,"nodes":[{"id":"a","topic":"sleep_500ms"},{"id":"b","run":"sleep 0.2; echo 1"},{"id":"c","topic":"noop","deps":["a","b"]}]}"#, in: dir)
    #expect(try cli.run(["topics", "create", "--name", "warmup"]).status == 0)
    let processes = try ["r1", "r2"].map { try cli.start(["runs", "start", "--workflow", spec, "--run-id", $0]) }
    for (process, stdin, stdout) in processes {
      try stdin.close()
      _ = stdout.readDataToEndOfFile()
      process.waitUntilExit()
      #expect(process.terminationStatus == 0)
    }
    for id in ["r1", "r2"] { #expect(try cli.run(["runs", "status", "--run-id", id]).stdout.contains("status=succeeded")) }
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }

  /// DriftQ's table: ten report-prompt changes cost $0.52325 with replay, $1.52075 with reruns.
  @Test func theCostTableIsReproduced() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-cost"))
    let first = try cli.run(["runs", "demo", "--workflow", "ai-news"])
    #expect(first.stdout.contains("dollars=0.13825"))
    let runID = String(first.lines[0].split(separator: " ")[0].dropFirst("run_id=".count))
    var last = ""
    for i in 1...10 {
      let replay = try cli.run(["runs", "demo", "--workflow", "ai-news", "--run-id", runID, "--report-prompt", "prompt v\(i)"])
      #expect(replay.status == 0)
      #expect(replay.stdout.contains("report: re-run: definition changed") && replay.stdout.contains("summarize_3: reused"))
      last = replay.lines.last ?? ""
    }
    #expect(last == "total: dollars=0.52325 saved_dollars=0.9975")
    // The simulated model ran each summary once: every replay reused them.
    let finished = try cli.run(["runs", "events", "--run-id", runID, "-o", "ndjson"]).lines.filter { $0.contains(#""type":"node_finished""#) }
    #expect(finished.filter { $0.contains("summarize_") && !$0.contains("used_cached_output") }.count == 5)
    #expect(finished.filter { $0.contains("\"report\"") && !$0.contains("used_cached_output") }.count == 11)
    // The same ten changes as full reruns (live replays re-run everything).
    let other = try cli.run(["runs", "demo", "--workflow", "ai-news"])
    let otherID = String(other.lines[0].split(separator: " ")[0].dropFirst("run_id=".count))
    for _ in 1...10 { #expect(try cli.run(["runs", "replay", "--run-id", otherID, "--mode", "live"]).status == 0) }
    #expect(try cli.run(["runs", "status", "--run-id", otherID]).stdout.contains("dollars=1.52075 saved_dollars=0"))
    let timeline = try cli.run(["runs", "timeline", "--run-id", runID]).stdout
    // The Go tool's columns first, then ours.
    #expect(timeline.hasPrefix("attempt\tstep\tcached\tcache_attempt\tqueue_ms\tworker_ms\tqueued_at\tstarted_at\tended_at\tstatus\t"))
    #expect(timeline.contains("\tsummarize_1\ttrue\t1\t"))
  }
}
