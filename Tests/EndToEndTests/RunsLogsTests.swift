import Foundation
import Testing
import TestSupport

/// `runs logs` through the real binary: every attempt's stdout and stderr, locally and
/// against `serve`, bounded, followed while the step runs, and clear about what has none.
@Suite struct RunsLogsTests {
  static let spec = #"""
    {"id":"wf","nodes":[
     {"id":"a","run":"echo hello; echo oops >&2; printf 'tail'"},
     {"id":"b","run":"echo try $DRIFTQ_ATTEMPT; echo bad >&2; exit 2","deps":["a"],"retry":{"max_attempts":2}},
     {"id":"n","topic":"noop"}]}
    """#

  /// The same answers from a directory and from `serve` over HTTP.
  @Test(arguments: [false, true]) func everyAttemptKeepsItsLog(overHTTP: Bool) throws {
    let dir = TemporaryDirectory("e2e-logs")
    let cli = CLIProcess(dir)
    let spec = dir.write(Self.spec, to: "spec.json")
    let server = overHTTP ? try ServeProcess(cli, arguments: ["--allow-command-steps"]) : nil
    let face = server.map { ["--base-url", "http://127.0.0.1:\($0.port)"] } ?? []
    #expect(try cli.run(face + ["runs", "start", "--workflow", spec, "--run-id", "r"]).status == 1)

    let a = try cli.run(face + ["runs", "logs", "--run-id", "r", "--node-id", "a"])
    #expect(a.status == 0 && a.stdout == "hello\noops\ntail", "\(a.stdout)\(a.stderr)")
    let tagged = try cli.run(face + ["runs", "logs", "--run-id", "r", "--node-id", "a", "--prefix", "--stream", "stderr"])
    #expect(tagged.stdout == "stderr\toops\n")
    // A failed step's attempts each keep theirs; the latest is the default.
    let latest = try cli.run(face + ["runs", "logs", "--run-id", "r", "--node-id", "b"])
    #expect(latest.status == 0 && latest.stdout == "try 2\nbad\n")
    let first = try cli.run(face + ["runs", "logs", "--run-id", "r", "--node-id", "b", "--attempt", "1", "-o", "json"])
    let document = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any])
    let lines = document["lines"] as? [[String: Any]] ?? []
    #expect(lines.map { "\($0["stream"] ?? "")=\($0["text"] ?? "")" } == ["stdout=try 1", "stderr=bad"])
    let log = document["log"] as? [String: Any] ?? [:]
    #expect(log["status"] as? String == "failed" && log["sealed"] as? Bool == true && log["truncated"] as? Bool == false)
    // The log is an artifact of the run like its outputs, checked against its SHA-256.
    let id = try #require(log["artifact_id"] as? String)
    let listed = try cli.run(face + ["runs", "artifacts", "--run-id", "r", "--node-id", "b"])
    #expect(listed.stdout.contains(id) && listed.stdout.contains("application/x-ndjson"))
    #expect(try cli.run(face + ["runs", "artifact-get", "--artifact-id", id, "--out", "-"]).stdout.contains(#""text":"try 1""#))

    // What has no log says why, with exit 4.
    for (arguments, phrase) in [
      (["--node-id", "zz"], "run r has no node \"zz\" (its nodes: a, b, n)"), (["--node-id", "b", "--attempt", "7"], "has no attempt 7 (its attempts: 1, 2)"),
      (["--node-id", "n"], "node n of run r has not run (the run failed)"),
    ] {
      let result = try cli.run(face + ["runs", "logs", "--run-id", "r"] + arguments)
      #expect(result.status == 4 && result.stderr.contains(phrase), "\(arguments): \(result.stderr)")
    }
    #expect(try cli.run(face + ["runs", "logs", "--run-id", "nope", "--node-id", "a"]).status == 4)

    // A replay that reuses a's output did not run it: its log is the first attempt's.
    let good = dir.write(#"{"id":"wf","nodes":[{"id":"a","run":"echo made"},{"id":"t","topic":"noop","deps":["a"]}]}"#, to: "good.json")
    #expect(try cli.run(face + ["runs", "start", "--workflow", good, "--run-id", "g"]).status == 0)
    #expect(try cli.run(face + ["runs", "replay", "--run-id", "g", "--auto"]).status == 0)
    let reused = try cli.run(face + ["runs", "logs", "--run-id", "g", "--node-id", "a"])
    #expect(reused.status == 4 && reused.stderr.contains("attempt 2 of a did not run: it reused the output of attempt 1 of run g"), "\(reused.stderr)")
    #expect(try cli.run(face + ["runs", "logs", "--run-id", "g", "--node-id", "a", "--attempt", "1"]).stdout == "made\n")
    let builtIn = try cli.run(face + ["runs", "logs", "--run-id", "g", "--node-id", "t", "--attempt", "1"])
    #expect(builtIn.status == 4 && builtIn.stderr.contains("runs the built-in handler noop, which writes none"), "\(builtIn.stderr)")
    if let server { #expect(server.stop() == 0) }
  }

  /// A step that writes more than a log holds keeps its first and last lines, and says how
  /// much it dropped between them, on stderr and in the run's events.
  @Test func aChattyStepsLogIsBoundedAndSaysSo() throws {
    let dir = TemporaryDirectory("e2e-logs-cap")
    let cli = CLIProcess(dir)
    let spec = dir.write(#"{"id":"wf","nodes":[{"id":"a","run":"seq 1 200000 >&2"}]}"#, to: "spec.json")
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r"]).status == 0)
    let logs = try cli.run(["runs", "logs", "--run-id", "r", "--node-id", "a"])
    #expect(logs.status == 0 && logs.lines.first == "1" && logs.lines.last == "200000")
    #expect(logs.lines.count < 200_000)
    #expect(logs.stderr.contains("lines were dropped here (a log keeps an attempt's first 3 MiB and last 1 MiB)"), "\(logs.stderr)")
    let dropped = 200_000 - logs.lines.count
    let json = try cli.run(["runs", "logs", "--run-id", "r", "--node-id", "a", "-o", "json"])
    #expect(json.stdout.contains(#""truncated":true"#) && json.stdout.contains(#""dropped_lines":\#(dropped)}"#), "\(json.stdout.suffix(300))")
    #expect(json.stdout.contains(#""note":"dropped""#))
    let state = try cli.run(["runs", "events", "--run-id", "r", "-o", "json"])
    #expect(state.stdout.contains(#""dropped_lines":\#(dropped)"#))
  }

  /// `--follow` prints a line while the step still runs, and ends with the attempt.
  @Test func followingPrintsLinesAsTheyComeAndEndsWithTheOutcome() throws {
    let dir = TemporaryDirectory("e2e-logs-follow")
    let cli = CLIProcess(dir)
    let go = dir.appending("go")
    let spec = dir.write(#"{"id":"wf","nodes":[{"id":"a","run":"echo first; while [ ! -e \#(go) ]; do sleep 0.02; done; echo second >&2; exit 3"}]}"#, to: "spec.json")
    #expect(try cli.run(["runs", "start", "--workflow", spec, "--run-id", "r", "--detach"]).status == 0)
    let (follower, stdin, stdout) = try cli.start(["runs", "logs", "--run-id", "r", "--node-id", "a", "--follow", "--prefix"])
    try stdin.close()
    // The step waits for `go` until the follower has shown its first line.
    #expect(CLIProcess.readLines(stdout, atLeast: 1) == ["stdout\tfirst"])
    FileManager.default.createFile(atPath: go, contents: nil)
    let rest = String(decoding: stdout.readDataToEndOfFile(), as: UTF8.self)
    follower.waitUntilExit()
    #expect(rest == "stderr\tsecond\n" && follower.terminationStatus == 1, "\(rest)")

    let fine = dir.write(#"{"id":"wf","nodes":[{"id":"a","run":"sleep 0.2; echo ok"}]}"#, to: "ok.json")
    #expect(try cli.run(["runs", "start", "--workflow", fine, "--run-id", "ok", "--detach"]).status == 0)
    let followed = try cli.run(["runs", "logs", "--run-id", "ok", "--node-id", "a", "--follow", "-o", "ndjson"])
    #expect(followed.status == 0 && followed.stdout.contains(#""stream":"stdout","text":"ok""#), "\(followed.stdout)\(followed.stderr)")
  }

  /// DriftQ-Core keeps no step logs: asked for one, the command names what is missing.
  @Test func aServerWithoutTheExtensionIsAClearError() throws {
    let core = try FacesTests.FakeCore()
    let result = try CLIProcess(TemporaryDirectory("e2e-logs-core")).run(["--base-url", core.url, "runs", "logs", "--run-id", "demo-1", "--node-id", "A"])
    #expect(result.status == 5 && result.stderr.contains("has no step logs API (/debug/run-log) (a driftqctl extension"), "\(result.stderr)")
  }
}
