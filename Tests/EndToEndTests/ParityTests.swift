import Foundation
import Testing
import TestSupport

/// One engine, two faces: the same command sequence gives the same output locally and over
/// HTTP against `driftqctl serve`.
@Suite struct ParityTests {
  static let scenario: [[String]] = [
    ["topics", "create", "--name", "jobs", "--partitions", "2"],
    ["topics", "create", "--name", "jobs", "--partitions", "2"],
    ["publish", "--topic", "jobs", "--key", "k1", "--value", "v1", "--retry-max-attempts", "1", "--run-id", "r1"],
    ["publish", "--topic", "jobs", "--key", "k2", "--value", "<v2 & more>", "-o", "json"],
    ["publish", "--topic", "jobs", "--key", "k3", "--value", "v3", "--idempotency-key", "same"],
    ["publish", "--topic", "jobs", "--key", "k3", "--value", "v3", "--idempotency-key", "same"],
    ["topics", "peek", "--topic", "jobs", "--n", "2"],
    ["consume", "--topic", "jobs", "--group", "g", "--owner", "w", "--lease-ms", "60000"],
    ["nack", "--topic", "jobs", "--group", "g", "--owner", "w", "--partition", "PART_k1", "--offset", "0", "--reason", "boom"],
    ["ack", "--topic", "jobs", "--group", "g", "--owner", "w", "--partition", "PART_k2", "--offset", "OFF_k2"],
    ["ack", "--topic", "jobs", "--group", "g", "--owner", "intruder", "--partition", "PART_k3", "--offset", "OFF_k3"],
    ["topics", "lag", "--group", "g"],
    ["consume", "--topic", "dlq.jobs", "--group", "audit", "--owner", "a"],
    ["topics", "list"],
  ]

  /// Runs the scenario; `place` fills in where each key landed (from the publish output).
  func run(_ cli: CLIProcess, extra: [String]) throws -> [String] {
    var outputs: [String] = []
    var places: [String: (String, String)] = [:]
    for step in Self.scenario {
      let arguments = step.map { word -> String in
        if word.hasPrefix("PART_") { return places[String(word.dropFirst(5))]?.0 ?? "0" }
        if word.hasPrefix("OFF_") { return places[String(word.dropFirst(4))]?.1 ?? "0" }
        return word
      }
      let result = try cli.run(extra + arguments)
      if step[0] == "publish", let key = step.firstIndex(of: "--key").map({ step[$0 + 1] }) {
        let text = result.stdout
        let partition = text.components(separatedBy: "partition").dropFirst().first?.drop { !$0.isNumber }.prefix { $0.isNumber }
        let offset = text.components(separatedBy: "offset").dropFirst().first?.drop { !$0.isNumber }.prefix { $0.isNumber }
        places[key] = (String(partition ?? "0"), String(offset ?? "0"))
      }
      // routed_at_ms is a time: the two runs differ there and only there.
      let normalized = result.stdout.replacingOccurrences(of: #""routed_at_ms":\d+"#, with: "\"routed_at_ms\":T", options: .regularExpression)
      outputs.append("\(arguments.joined(separator: " ")) -> \(result.status)\n\(normalized)")
    }
    return outputs
  }

  @Test func localAndHTTPGiveTheSameAnswers() throws {
    let local = try run(CLIProcess(TemporaryDirectory("parity-local")), extra: [])
    let servedDir = TemporaryDirectory("parity-http")
    let cli = CLIProcess(servedDir)
    let server = try ServeProcess(cli)
    let remote = try run(cli, extra: ["--base-url", "http://127.0.0.1:\(server.port)"])
    #expect(server.stop() == 0)
    #expect(local.count == remote.count)
    for (l, r) in zip(local, remote) { #expect(l == r) }
    #expect(local.joined().contains("\"original_topic\":\"jobs\""))
    // Peek leases nothing: the consume after it still gets all three messages.
    #expect(local.first { $0.hasPrefix("topics peek") }?.contains("\"attempts\":0") == true)
    #expect(local.first { $0.hasPrefix("consume --topic jobs --group g") }?.components(separatedBy: "\"attempts\":1").count == 4)
    // What serve wrote is a normal directory: local commands read it.
    #expect(try cli.run(["dlq", "list", "--topic", "jobs"]).stdout.contains("max_attempts_reached"))
  }

  static let runsScenario: [[String]] = [
    ["runs", "start", "--workflow", "SPEC", "--run-id", "r1", "--input", #"{"q":1}"#],
    ["runs", "replay", "--run-id", "r1", "--from-step", "B"],
    ["runs", "status", "--run-id", "r1"],
    ["runs", "step", "--run-id", "r1", "--node-id", "B"],
    ["runs", "diff", "--run-id", "r1", "--node-id", "B"],
    ["runs", "state", "--run-id", "r1", "-o", "json"],
    ["runs", "timeline", "--run-id", "r1"],
    ["runs", "demo"],
    ["runs", "artifacts", "--run-id", "DEMO"],
    ["runs", "promote", "--run-id", "r1", "--version", "v1"],
    ["runs", "active-index"],
    ["runs", "rollback", "--version", "v0"],
    ["runs", "cancel", "--run-id", "r1"],
    ["runs", "status", "--run-id", "missing"],
    ["runs", "list"],
  ]

  /// Times (and so table widths), durations and the demo's generated id differ between two
  /// runs, and only they.
  static func normalized(_ text: String) -> String {
    var s = text
    for (pattern, replacement) in [
      (#"\d{4}-\d\d-\d\dT[0-9:.]+Z?"#, "TIME"), (#"demo-\d{8}T[0-9.]+Z"#, "DEMO"),
      (#"\d+(\.\d+)?(ns|µs|ms|s)\b"#, "DUR"), (#""(wall_clock_ms|worker_ms)":\d+"#, "\"$1\":N"),
      (#"(?m)^(\d+\t\w+\t\w+\t\d+\t\d+\t)\d+"#, "$1N"), ("TIME {2,}", "TIME  "),
    ] {
      s = s.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
    }
    return s
  }

  func runRuns(_ cli: CLIProcess, spec: String, extra: [String]) throws -> [String] {
    var outputs: [String] = []
    var demo = ""
    for step in Self.runsScenario {
      let arguments = step.map { $0 == "SPEC" ? spec : $0 == "DEMO" ? demo : $0 }
      let result = try cli.run(extra + arguments)
      if step == ["runs", "demo"] { demo = result.stdout.prefix { $0 != "\n" }.replacingOccurrences(of: "run_id=", with: "") }
      outputs.append("\(step.joined(separator: " ")) -> \(result.status)\n\(Self.normalized(result.stdout))")
    }
    return outputs
  }

  @Test func runsGiveTheSameAnswersLocallyAndOverHTTP() throws {
    let specDirectory = TemporaryDirectory("parity-spec")
    let spec = specDirectory.appending("wf.json")
    try Data(#"{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"fail_once","deps":["A"]}]}"#.utf8).write(to: URL(fileURLWithPath: spec))
    let local = try runRuns(CLIProcess(TemporaryDirectory("parity-runs-local")), spec: spec, extra: [])
    let cli = CLIProcess(TemporaryDirectory("parity-runs-http"))
    let server = try ServeProcess(cli)
    let remote = try runRuns(cli, spec: spec, extra: ["--base-url", "http://127.0.0.1:\(server.port)"])
    #expect(server.stop() == 0)
    #expect(local.count == remote.count)
    for (l, r) in zip(local, remote) { #expect(l == r) }
    let joined = local.joined()
    #expect(joined.contains("runs start --workflow SPEC --run-id r1 --input {\"q\":1} -> 1\nrun_id=r1 status=failed"))
    #expect(joined.contains("replay started run_id=r1 from_step=B mode=time_travel"))
    #expect(joined.contains("A.output.json") && joined.contains("active_index_version=v1"))
  }

  @Test func directoryOnlyCommandsRefuseABaseURL() throws {
    let result = try CLIProcess(TemporaryDirectory("parity-refuse")).run(["--base-url", "http://127.0.0.1:1", "wal", "verify"])
    #expect(result.status == 2 && result.stderr.contains("works on a local WAL directory only"))
    let unreachable = try CLIProcess(TemporaryDirectory("parity-down")).run(["--base-url", "http://127.0.0.1:1", "topics", "list"])
    #expect(unreachable.status == 5 && unreachable.stderr.contains("cannot reach http://127.0.0.1:1"))
  }
}
