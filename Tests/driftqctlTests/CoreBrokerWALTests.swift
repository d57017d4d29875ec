#if canImport(Glibc)
import Glibc
#endif
@testable import driftqctl
import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// Reading DriftQ-Core's broker WAL: the samples a real server wrote, torn tails and damage.
@Suite struct CoreBrokerWALTests {
  static let fixtures: String = {
    let parts = String(#filePath).split(separator: "/", omittingEmptySubsequences: false)
    let tests = parts.lastIndex(of: "Tests") ?? parts.endIndex
    return (parts[..<tests] + ["Tests", "Fixtures", "driftq-core"]).joined(separator: "/")
  }()

  @Test func theServersSampleFoldsAsDriftQCoreRebuildsIt() throws {
    let path = Self.fixtures + "/wal2-sample-300msgs.wal"
    #expect(CoreBrokerWAL.recognizes(path))
    let wal = try CoreBrokerWAL(path: path)
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
    let full = try CoreBrokerWAL(path: Self.fixtures + "/wal1-transcripts.wal")
    let directory = TemporaryDirectory("core-wal")
    let path = directory.appending("cut.wal")
    var cuts = (0..<40).map { _ in Int.random(in: 1..<original.count, using: &random) }
    cuts += [1, original.count - 1]
    for cut in cuts {
      try Syscalls.writeFileAtomically(path, contents: Array(original[0..<cut]), directory: directory.path)
      let wal = try CoreBrokerWAL(path: path)
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
    let wal = try CoreBrokerWAL(path: path)
    #expect(wal.corruption?.line == 3 && wal.corruption?.byte == thirdLine)
    #expect(wal.entries.count == 2)
    let notCore = directory.appending("not.wal")
    try Syscalls.writeFileAtomically(notCore, contents: Array("hello\n".utf8), directory: directory.path)
    #expect(!CoreBrokerWAL.recognizes(notCore) && !CoreBrokerWAL.recognizes(directory.path))
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
}
