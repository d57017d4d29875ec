#if canImport(Glibc)
import Glibc
#endif
@testable import driftqctl
import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// Reading DriftQ-Core's broker WAL: the samples a real server wrote, torn tails and damage.
@Suite struct CoreWALFileTests {
  static let fixtures: String = {
    let parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    let tests = parts.lastIndex(of: "Tests") ?? parts.endIndex
    return (parts[..<tests] + ["Tests", "Fixtures", "driftq-core"]).joined(separator: "/")
  }()

  @Test func theServersSampleFoldsAsDriftQCoreRebuildsIt() throws {
    let path = Self.fixtures + "/wal2-sample-300msgs.wal"
    #expect(CoreWALFile.recognize(path) == .broker)
    let wal = try CoreWALFile(path: path, format: .broker)
    #expect(wal.corruption == nil && wal.tornTail == nil)
    #expect(wal.recordsByType == [1: 305, 2: 276, 4: 52, 5: 64])
    let state = try CoreBrokerState(wal)
    #expect(state.topicOrder.sorted() == ["dlq.s.jobs", "s.jobs", "s.orders"])
    #expect(state.topics["s.orders"]?.count == 3 && state.topics["s.orders"]?.reduce(0) { $0 + $1.count } == 200)
    #expect(state.topics["s.jobs"]?.first?.count == 100)
    let dlq = try #require(state.topics["dlq.s.jobs"]?.first?.first)
    #expect(dlq.envelope.dlq?.originalTopic == "s.jobs" && dlq.envelope.dlq?.attempts == 2)
    #expect(dlq.envelope.dlq?.lastError == "poison attempt 1 | poison attempt 2")
    let job = try #require(state.topics["s.jobs"]?.first?.first)
    #expect(job.envelope.idempotencyKey == "job-0" && job.envelope.retryPolicy != nil)
    #expect(state.committed[.init(topic: "s.jobs", group: "workers", partition: 0, offset: 0)] == 99)
    // Retry state at or below a committed offset is purged, as DriftQ-Core does after replay.
    #expect(state.retries.isEmpty)
    #expect(state.consumeKeys.values.contains(.committed) && state.consumeKeys.values.contains(.failed))
  }

  @Test func everyTruncationIsAPrefixWithAtMostATornTail() throws {
    var random = SeededRandom(seed: TestSeed.current)
    let original = try Syscalls.readSmallFile(Self.fixtures + "/wal1-transcripts.wal", limit: 1 << 20)
    let full = try CoreWALFile(path: Self.fixtures + "/wal1-transcripts.wal", format: .broker)
    let directory = TemporaryDirectory("core-wal")
    let path = directory.appending("cut.wal")
    var cuts = (0..<40).map { _ in Int.random(in: 1..<original.count, using: &random) }
    cuts += [1, original.count - 1]
    for cut in cuts {
      try Syscalls.writeFileAtomically(path, contents: Array(original[0..<cut]), directory: directory.path)
      let wal = try CoreWALFile(path: path, format: .broker)
      let completeLines = original[0..<cut].filter { $0 == 0x0A }.count
      // An unterminated rest that is a whole entry counts (DriftQ-Core's own replay reads it);
      // anything else unterminated is the torn tail.
      let rest = Array(original[((original[0..<cut].lastIndex(of: 0x0A) ?? -1) + 1)..<cut])
      let restIsEntry = (try? JSONParser.parse(bytes: rest))?["type"] != nil
      let expected = completeLines + (restIsEntry ? 1 : 0)
      #expect(wal.corruption == nil, "cut at \(cut)")
      #expect(wal.entries.count == expected, "cut at \(cut)")
      #expect(wal.entries.map(\.line) == Array(full.entries.prefix(expected)).map(\.line), "cut at \(cut)")
      #expect(wal.entries.last?.json == full.entries.prefix(expected).last?.json, "cut at \(cut)")
      #expect((wal.tornTail != nil) == (!rest.isEmpty && !restIsEntry), "cut at \(cut)")
    }
  }

  @Test func aDamagedLineBeforeTheEndIsCorruptionWithItsPlace() throws {
    let original = try Syscalls.readSmallFile(Self.fixtures + "/wal1-transcripts.wal", limit: 1 << 20)
    let directory = TemporaryDirectory("core-wal-bad")
    let path = directory.appending("bad.wal")
    var damaged = original
    let thirdLine = try #require(original.indices.filter { original[$0] == 0x0A }.dropFirst(1).first).advanced(by: 1)
    damaged[thirdLine] = UInt8(ascii: "#")
    try Syscalls.writeFileAtomically(path, contents: damaged, directory: directory.path)
    let wal = try CoreWALFile(path: path, format: .broker)
    #expect(wal.corruption?.line == 3 && wal.corruption?.byte == thirdLine)
    #expect(wal.entries.count == 2)
    let notCore = directory.appending("not.wal")
    try Syscalls.writeFileAtomically(notCore, contents: Array("hello\n".utf8), directory: directory.path)
    #expect(CoreWALFile.recognize(notCore) == nil && CoreWALFile.recognize(directory.path) == nil)
  }

  @Test func walCommandsReadADriftQCoreFileGivenAsTheDirectory() {
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": Self.fixtures + "/wal2-sample-300msgs.wal"])
    let verify = cli.run(["wal", "verify"])
    #expect(verify.status == 0 && verify.stdout.contains("697 records") && verify.stdout.contains("result: ok"))
    let inspect = cli.run(["wal", "inspect", "-o", "json"])
    #expect(inspect.status == 0 && inspect.stdout.contains(#"{"name":"s.orders","partitions":3,"messages":200}"#))
    let dump = cli.run(["wal", "dump", "--kind", "retry_state", "--from", "1", "--to", "400"])
    let dumped = dump.stdout.split(separator: "\n")
    #expect(dump.status == 0 && !dumped.isEmpty && dumped.allSatisfy { $0.contains(#""kind":"retry_state""#) })
    #expect(cli.run(["wal", "dump", "--kind", "nonsense"]).status == 2)
    #expect(cli.run(["wal", "dump", "--from", "@2026-01-01T00:00:00Z"]).status == 2)
  }

  @Test func importRebuildsBothSamplesAndVerifiesThem() {
    let directory = TemporaryDirectory("core-import")
    let first = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("a")])
    let imported = first.run(["wal", "import", "--from", Self.fixtures + "/wal2-sample-300msgs.wal"])
    #expect(imported.status == 0)
    #expect(imported.stdout.contains("imported 3 topics, 305 messages, 5 committed offsets (305 messages settled)"))
    #expect(imported.stdout.contains("verified:"))
    #expect(first.run(["topics", "lag", "--group", "billing"]).stdout.split(separator: "\n").dropFirst().allSatisfy { $0.hasSuffix("\t0") })
    // DriftQ-Core's dead letters are listed with what it recorded, their sources renumbered
    // like every other offset (DriftQ-Core offset 20 of s.jobs is 0@20 here), and redriven.
    let dead = first.run(["dlq", "list", "--topic", "s.jobs", "-o", "json"])
    #expect(dead.status == 0 && dead.stdout.split(separator: "dlq_offset").count == 6)
    #expect(dead.stdout.contains(#""original_offset":20,"attempts":2,"last_error":"poison attempt 1 | poison attempt 2""#))
    #expect(dead.stdout.contains(#""reason":"max_attempts_reached""#))
    let redriven = first.run(["dlq", "redrive", "--topic", "s.jobs", "--max", "2"])
    #expect(redriven.stdout == "redriven=2 skipped=0 remaining=3\n")
    #expect(first.run(["wal", "verify"]).status == 0)
    // Into a directory that already holds a log: refused, nothing written.
    let again = first.run(["wal", "import", "--from", Self.fixtures + "/wal2-sample-300msgs.wal"])
    #expect(again.status == 1 && again.stderr.contains("already holds a log"))

    let second = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("b")])
    let transcripts = second.run(["wal", "import", "--from", Self.fixtures + "/wal1-transcripts.wal"])
    #expect(transcripts.status == 0 && transcripts.stdout.contains("132 messages") && transcripts.stdout.contains("1 retry states"))
    // The retry state came across: the next delivery is attempt 2 with DriftQ-Core's last_error.
    let redelivered = second.run(["consume", "--topic", "rs", "--group", "g1", "--owner", "w", "--max", "1"])
    #expect(redelivered.stdout.contains(#""attempts":2"#) && redelivered.stdout.contains(#""last_error":"before-restart""#))

    let notCore = second.run(["wal", "import", "--from", directory.path])
    #expect(notCore.status == 1 && notCore.stderr.contains("is not a DriftQ-Core broker WAL"))
  }

  /// An engine WAL written to contract §3.2 (no real server's engine WAL is among the
  /// samples): a run whose B fails, and an index pointer.
  static let engineWAL = #"""
{"op":"create_run","at":"2026-01-05T10:15:00.000000001Z","value":{"run_id":"r1","workflow_id":"wf","status":"queued","spec":{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"noop","deps":["A"]}]},"initial_input":{"q":1},"run_budget":{},"budget_usage":{}}}
{"op":"append_event","at":"2026-01-05T10:15:00.000000002Z","value":{"run_id":"r1","seq":1,"type":"run_created","at":"2026-01-05T10:15:00.000000002Z","workflow_id":"wf"}}
{"op":"update_run","at":"2026-01-05T10:15:00.1Z","value":{"run_id":"r1","workflow_id":"wf","status":"running","started_at":"2026-01-05T10:15:00.1Z","spec":{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"noop","deps":["A"]}]},"initial_input":{"q":1},"run_budget":{},"budget_usage":{}}}
{"op":"append_event","at":"2026-01-05T10:15:00.1Z","value":{"run_id":"r1","seq":2,"type":"run_started","at":"2026-01-05T10:15:00.1Z","workflow_id":"wf"}}
{"op":"upsert_node","at":"2026-01-05T10:15:00.11Z","value":{"run_id":"r1","workflow_id":"wf","node_id":"A","attempt":1,"status":"running","started_at":"2026-01-05T10:15:00.11Z","input":{"q":1}}}
{"op":"append_event","at":"2026-01-05T10:15:00.11Z","value":{"run_id":"r1","seq":3,"type":"node_started","at":"2026-01-05T10:15:00.11Z","workflow_id":"wf","node_id":"A","attempt":1}}
{"op":"upsert_node","at":"2026-01-05T10:15:00.12Z","value":{"run_id":"r1","workflow_id":"wf","node_id":"A","attempt":1,"status":"succeeded","started_at":"2026-01-05T10:15:00.11Z","ended_at":"2026-01-05T10:15:00.12Z","input":{"q":1},"output":{"q":1}}}
{"op":"append_event","at":"2026-01-05T10:15:00.12Z","value":{"run_id":"r1","seq":4,"type":"node_finished","at":"2026-01-05T10:15:00.12Z","workflow_id":"wf","node_id":"A","attempt":1,"payload":{"output":{"q":1},"started_at":"2026-01-05T10:15:00.11Z","ended_at":"2026-01-05T10:15:00.12Z","worker_ms":10}}}
{"op":"append_event","at":"2026-01-05T10:15:00.13Z","value":{"run_id":"r1","seq":5,"type":"node_started","at":"2026-01-05T10:15:00.13Z","workflow_id":"wf","node_id":"B","attempt":1}}
{"op":"append_event","at":"2026-01-05T10:15:00.14Z","value":{"run_id":"r1","seq":6,"type":"node_failed","at":"2026-01-05T10:15:00.14Z","workflow_id":"wf","node_id":"B","attempt":1,"payload":{"error":"boom"}}}
{"op":"append_event","at":"2026-01-05T10:15:00.15Z","value":{"run_id":"r1","seq":7,"type":"run_finished","at":"2026-01-05T10:15:00.15Z","workflow_id":"wf","payload":{"status":"failed","failed_node":"B"}}}
{"op":"update_run","at":"2026-01-05T10:15:00.15Z","value":{"run_id":"r1","workflow_id":"wf","status":"failed","started_at":"2026-01-05T10:15:00.1Z","ended_at":"2026-01-05T10:15:00.15Z","spec":{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"noop","deps":["A"]}]},"initial_input":{"q":1},"run_budget":{},"budget_usage":{}}}
{"op":"put_kv","at":"2026-01-05T10:16:00Z","value":{"key":"active_index_version","value":"v7"}}
"""#

  @Test func importBringsRunsEventsAndArtifactsAlong() throws {
    let directory = TemporaryDirectory("core-import-runs")
    let engine = directory.appending("driftq.engine.wal")
    try Syscalls.writeFileAtomically(engine, contents: Array(Self.engineWAL.utf8), directory: directory.path)
    #expect(CoreWALFile.recognize(engine) == .engine)
    // DriftQ-Core's artifacts layout: blobs/<id[0:2]>/<id> and meta/<id[0:2]>/<id>.json.
    let artifacts = ArtifactStore(root: directory.appending("driftq.artifacts"))
    let stored = try artifacts.put(Array(#"{"x":2}"#.utf8), meta: ArtifactMeta(
      id: "", contentType: "application/json", size: 0, createdAt: WALTimestamp(nanoseconds: 1), runID: "r1", workflowID: "wf",
      nodeID: "A", attempt: 1, labels: ["kind": "node_output"], description: "demo node A output", originalName: "A.output.json"))
    let artifactsCLI = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("driftq.artifacts")])
    #expect(artifactsCLI.run(["wal", "verify"]).stdout.contains("1 artifacts, 7 B") == true)
    #expect(artifactsCLI.run(["wal", "inspect"]).stdout.contains("r1   1          7"))
    #expect(artifactsCLI.run(["wal", "dump"]).stdout.contains(#""original_name":"A.output.json""#))
    let cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("imported")])
    let imported = cli.run(["wal", "import", "--from", Self.fixtures + "/wal1-transcripts.wal", "--engine-wal", engine, "--artifacts", directory.appending("driftq.artifacts")])
    #expect(imported.status == 0)
    #expect(imported.stdout.contains("imported 1 runs with 7 events, active index version v7"))
    #expect(imported.stdout.contains("imported 1 artifacts"))
    let status = cli.run(["runs", "status", "--run-id", "r1"])
    #expect(status.stdout.contains("status=failed") && status.stdout.contains("A\t1\tsucceeded\t10ms\t7\t7"))
    // Events keep DriftQ-Core's times.
    #expect(cli.run(["runs", "events", "--run-id", "r1"]).stdout.contains("2026-01-05T10:15:00.14Z\tB\t1\tnode_failed"))
    #expect(cli.run(["runs", "active-index"]).stdout == "active_index_version=v7\n")
    #expect(cli.run(["runs", "artifact-meta", "--artifact-id", stored.id]).stdout.contains("A.output.json"))

    // A damaged blob stops the import before anything is logged.
    let blob = directory.appending("driftq.artifacts/blobs/\(stored.id.prefix(2))/\(stored.id)")
    try Syscalls.writeFileAtomically(blob, contents: Array(#"{"x":3}"#.utf8), directory: directory.appending("driftq.artifacts/blobs/\(stored.id.prefix(2))"))
    let damaged = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("second")])
      .run(["wal", "import", "--from", Self.fixtures + "/wal1-transcripts.wal", "--artifacts", directory.appending("driftq.artifacts")])
    #expect(damaged.status == 3 && damaged.stderr.contains("does not match its SHA-256"))
    let reverified = artifactsCLI.run(["wal", "verify"])
    #expect(reverified.status == 3 && reverified.stdout.contains("corruption: artifact \(stored.id)"))
    #expect(TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("second")]).run(["topics", "list"]).stdout == "(no topics)\n")

    // An engine record DriftQ-Core would refuse is corruption, with its line.
    let bad = directory.appending("bad.engine.wal")
    try Syscalls.writeFileAtomically(bad, contents: Array((Self.engineWAL + "\n" + #"{"op":"upsert_node","at":"2026-01-05T10:17:00Z","value":{"run_id":"r1","node_id":"A","attempt":0,"status":"running"}}"# + "\n").utf8), directory: directory.path)
    let refused = TestCLI(environment: ["DRIFTQ_WAL_DIR": bad]).run(["wal", "inspect"])
    #expect(refused.status == 3 && refused.stdout.contains("line 14"))
  }
}
