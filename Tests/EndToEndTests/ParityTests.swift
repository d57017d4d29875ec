import Foundation
import Testing
import TestSupport

/// One engine, two faces: the same command sequence gives the same output locally and over
/// HTTP against `driftqctl serve`.
@Suite struct ParityTests {
  /// Runs the broker scenario; each output is the step, its exit status and what it printed.
  func run(_ cli: CLIProcess, extra: [String], binary: String) throws -> [String] {
    var runner = ScenarioRunner(cli)
    runner.extra = extra
    runner.files = ["BINARY": binary]
    return try runner.run(ParityScenarios.broker).map { step in
      let result = step.result
      // Times differ between the two runs, and only they.
      let normalized = Self.normalized(result.stdout.replacingOccurrences(of: #""routed_at_ms":\d+"#, with: "\"routed_at_ms\":T", options: .regularExpression))
      // What stderr says about where a consume stopped belongs to the answer too.
      let notes = result.stderr.split(separator: "\n").filter { $0.hasPrefix("driftqctl: stopped at") }.map { "stderr: " + $0 }
      return "\(step.line) -> \(result.status)\n\(normalized)" + notes.joined(separator: "\n")
    }
  }

  @Test func localAndHTTPGiveTheSameAnswers() throws {
    let files = TemporaryDirectory("parity-files")
    let binary = files.appending("value.bin")
    try Data([0xff, 0xfe, 0x00, 0x80]).write(to: URL(fileURLWithPath: binary))
    let local = try run(CLIProcess(TemporaryDirectory("parity-local")), extra: [], binary: binary)
    let servedDir = TemporaryDirectory("parity-http")
    let cli = CLIProcess(servedDir)
    let server = try ServeProcess(cli)
    let remote = try run(cli, extra: ["--base-url", "http://127.0.0.1:\(server.port)"], binary: binary)
    #expect(server.stop() == 0)
    #expect(local.count == remote.count)
    for (l, r) in zip(local, remote) { #expect(l == r) }
    #expect(local.joined().contains("\"original_topic\":\"jobs\""))
    // Peek leases nothing: the consume after it still gets all three messages.
    #expect(local.first { $0.hasPrefix("topics peek") }?.contains("\"attempts\":0") == true)
    #expect(local.first { $0.hasPrefix("consume --topic jobs --group g") }?.components(separatedBy: "\"attempts\":1").count == 4)
    // What serve wrote is a normal directory: local commands read it.
    #expect(try cli.run(["wal", "dump", "--kind", "message_dead_lettered"]).stdout.contains("max_attempts_reached"))
    // Each of these once answered differently (or wrongly) over HTTP.
    func answer(_ prefix: String) -> String { local.first { $0.hasPrefix(prefix + " -> ") } ?? "missing step \(prefix)" }
    #expect(answer("topics list -o json").contains(#""name":"jobs","partitions":2,"messages":3"#))
    #expect(answer("topics create --name jobs --partitions 3").hasPrefix("topics create --name jobs --partitions 3 -> 1"))
    #expect(answer("topics lag --group g --topic nope").contains("-> 1"))
    #expect(answer("topics lag --group nobody").contains("-> 0\n(no lag rows)"))
    #expect(answer("groups describe --group nobody").contains("-> 4"))
    #expect(answer("topics peek --topic jobs --partition 7").contains("-> 1"))
    #expect(answer("topics peek --topic nope").contains("-> 1"))
    #expect(answer("dlq redrive --topic dlq.jobs").contains("-> 1"))
    #expect(answer("dlq redrive --topic jobs --key other").contains("redriven=0 skipped=0 remaining=1"))
    #expect(answer("dlq redrive --topic jobs --max 1 --rate 100/s -o ndjson").contains(#""status":"redriven""#))
    #expect(answer("groups seek --group g --topic jobs --to @-1h -o json").contains("-> 0"))
    #expect(answer("groups seek --group g --topic jobs --to 99").contains("-> 1"))
    // `--max 1` leases exactly one message: the group holds one lease, not all of them.
    #expect(answer("topics lag --group h").contains("\t1\t") && !answer("topics lag --group h").contains("\t2\t"))
    // Bytes that are not UTF-8 round-trip through the server.
    #expect(answer("publish --batch --topic jobs -o ndjson").contains(#""status":"produced""#))
    #expect(answer("topics peek --topic jobs --n 100").contains(#""value":"//4AgA==","last_error":"","value_encoding":"base64""#))
    // A one-shot consume that the in-flight cap stops short says so, on both faces.
    #expect(answer("consume --topic jobs --group i --owner w --max 5 --max-inflight 1").contains("stderr: driftqctl: stopped at 2 of 5"))
    // Lifecycle: dry runs change nothing, --execute removes, and what is gone is not found.
    #expect(answer("dlq purge --topic jobs -o json").contains(#""executed":false"#))
    #expect(answer("dlq purge --topic jobs --execute").contains("0 stay"))
    #expect(local.last { $0.hasPrefix("dlq list --topic jobs -> ") }?.contains("(no dead-lettered messages)") == true)
    #expect(answer("groups delete --group h --topic jobs --execute -o json").contains(#""executed":true,"topic":"jobs","group":"h""#))
    #expect(local.last { $0.hasPrefix("groups delete --group h --topic jobs -> ") }?.contains("-> 4") == true)
    #expect(answer("topics delete --topic dlq.jobs").contains("-> 1"))
    #expect(answer("topics delete --topic jobs --execute").contains("deleted topic jobs (2 partitions"))
    #expect(local.last { $0.hasPrefix("topics delete --topic jobs -> ") }?.contains("-> 1") == true)
    #expect(answer("publish --topic jobs --value after").contains("-> 1"))
  }


  /// Times (and so table widths: runs of spaces count as one gap), durations and the demo's
  /// generated id differ between two runs, and only they.
  static func normalized(_ text: String) -> String {
    var s = text
    for (pattern, replacement) in [
      (#"\d{4}-\d\d-\d\dT[0-9:.]+Z?"#, "TIME"), (#"(demo|starter|ai-news)-\d{8}T[0-9.]+Z"#, "DEMO"),
      (#"\d+(\.\d+)?(ns|µs|ms|s)\b"#, "DUR"), (#""(wall_clock_ms|worker_ms|duration_ms)":\d+"#, "\"$1\":N"),
      (#""(oldest_lease_age_ms|lease_expires_at_ms|lease_expires_at_ns|last_delivered_at_ms)":\d+"#, "\"$1\":N"),
      (#"(?m)^(\d+\t\w+\t\w+\t\d+\t\d+\t)\d+"#, "$1N"), (" {2,}", "  "),
      // A step log's artifact id hashes its lines' times.
      (#"\b[0-9a-f]{64}\b"#, "SHA256"),
    ] {
      s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return s
  }

  func runRuns(_ cli: CLIProcess, spec: String, extra: [String]) throws -> [String] {
    var runner = ScenarioRunner(cli)
    runner.extra = extra
    let logSpec = URL(fileURLWithPath: spec).deletingLastPathComponent().appendingPathComponent("logs.json").path
    runner.files = ["SPEC": spec, "LOGSPEC": logSpec]
    return try runner.run(ParityScenarios.runs).map { "\($0.line) -> \($0.result.status)\n\(Self.normalized($0.result.stdout))" }
  }

  @Test func runsGiveTheSameAnswersLocallyAndOverHTTP() throws {
    let specDirectory = TemporaryDirectory("parity-spec")
    let spec = specDirectory.appending("wf.json")
    try Data(#"{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"fail_once","deps":["A"]}]}"#.utf8).write(to: URL(fileURLWithPath: spec))
    specDirectory.write(LogSpec.text, to: "logs.json")
    let local = try runRuns(CLIProcess(TemporaryDirectory("parity-runs-local")), spec: spec, extra: [])
    let cli = CLIProcess(TemporaryDirectory("parity-runs-http"))
    // The log scenario's step runs a command, which serve runs only when allowed.
    let server = try ServeProcess(cli, arguments: ["--allow-command-steps"])
    let remote = try runRuns(cli, spec: spec, extra: ["--base-url", "http://127.0.0.1:\(server.port)"])
    #expect(server.stop() == 0)
    #expect(local.count == remote.count)
    for (l, r) in zip(local, remote) { #expect(l == r) }
    let joined = local.joined()
    #expect(joined.contains("runs start --workflow SPEC --run-id r1 --input {\"q\":1} -> 1\nrun_id=r1 status=failed"))
    #expect(joined.contains("replay started run_id=r1 from_step=B mode=time_travel"))
    // --explain gives each step's reason on both faces: it is recorded with the step's events.
    #expect(joined.contains("runs replay --run-id r1 --auto --explain -> 0\nA: reused\nB: reused\n"))
    #expect(joined.contains("A.output.json") && joined.contains("active_index_version=v1"))
    #expect(joined.contains("runs logs --run-id logs1 --node-id say -> 0\nout\nerr\n"))
    #expect(joined.contains("runs logs --run-id r1 --node-id A -> 4"))
  }

  @Test func directoryOnlyCommandsRefuseABaseURL() throws {
    let result = try CLIProcess(TemporaryDirectory("parity-refuse")).run(["--base-url", "http://127.0.0.1:1", "wal", "verify"])
    #expect(result.status == 2 && result.stderr.contains("works on a local WAL directory only"))
    let unreachable = try CLIProcess(TemporaryDirectory("parity-down")).run(["--base-url", "http://127.0.0.1:1", "topics", "list"])
    #expect(unreachable.status == 5 && unreachable.stderr.contains("cannot reach http://127.0.0.1:1"))
  }
}
