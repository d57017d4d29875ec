@testable import driftqctl
import Testing
import TestSupport
import WALFormat

/// `wal compact` changes nothing a client can observe about what it keeps: a directory that is
/// compacted at random points answers every later command exactly as an untouched copy does.
@Suite struct CompactionTests {
  /// Two directories driven in step; `compacted` is compacted now and then.
  struct Twins {
    var plain: TestCLI
    var compacted: TestCLI
    let seed: UInt64

    init(_ directory: TemporaryDirectory, seed: UInt64) {
      let options = ["DRIFTQ_SEGMENT_SIZE": "2KiB"]
      plain = TestCLI(environment: options.merging(["DRIFTQ_WAL_DIR": directory.appending("plain")]) { $1 })
      // Compaction's folds move their rows out of memory every few rows (`RowSpill`), so
      // every twin run checks the spilled folds too.
      compacted = TestCLI(environment: options.merging([
        "DRIFTQ_WAL_DIR": directory.appending("compacted"), "DRIFTQ_COMPACT_SPILL_ROWS": String(1 + seed % 7),
      ]) { $1 })
      self.seed = seed
    }

    mutating func advance(milliseconds: Int64) {
      plain.now = plain.now.adding(milliseconds: milliseconds)
      compacted.now = plain.now
    }

    /// Runs `arguments` in both; their answers must agree (after `normalise`).
    @discardableResult
    func both(_ arguments: [String], input: String = "", normalise: (String) -> String = { $0 }) -> String {
      let a = plain.run(arguments, input: input)
      let b = compacted.run(arguments, input: input)
      #expect(a.status == b.status, "seed \(seed): \(arguments.joined(separator: " ")) exit \(a.status) vs \(b.status): \(b.stderr)")
      #expect(normalise(a.stdout) == normalise(b.stdout), "seed \(seed): \(arguments.joined(separator: " "))")
      return a.stdout
    }
  }

  /// What must agree at any moment: positions, lag, leases and live DLQ messages.
  static let views: [[String]] = [
    ["groups", "describe", "--group", "g1", "--topic", "t"], ["groups", "describe", "--group", "g2", "--topic", "t"],
    ["topics", "lag", "--group", "g1", "-o", "json"], ["groups", "describe", "--group", "g1", "--topic", "dlq.t"],
  ]

  @Test func aCompactedDirectoryAnswersLikeTheOriginal() throws {
    let seed = TestSeed.current
    var random = SeededRandom(seed: seed)
    let directory = TemporaryDirectory("compaction-twins")
    var twins = Twins(directory, seed: seed)
    // Groups exist from the start: a group created after a compaction starts where the
    // partition now starts, not at offset 0 (as with any retention).
    for topic in ["t", "dlq.t"] {
      twins.both(["topics", "create", "--name", topic, "--partitions", "3"])
      twins.both(["publish", "--topic", topic, "--value", "first", "--partition", "0"])
      for group in ["g1", "g2"] {
        let first = twins.both(["consume", "--topic", topic, "--group", group, "--owner", "w", "--max", "1", "-o", "ndjson"])
        twins.both(["ack", "--topic", topic, "--group", group, "--owner", "w", "--batch"], input: first)
      }
    }
    var leases: [(group: String, line: String)] = []
    var compactions = 0
    for step in 0..<400 {
      twins.advance(milliseconds: Int64.random(in: 1...4000, using: &random))
      switch Int.random(in: 0..<20, using: &random) {
      case 0..<6:
        // Keys repeat within 8 steps (at most 32 s), well inside the shortest retention: a
        // duplicate must still be recognised after compaction.
        let key = Bool.random(using: &random) ? ["--idempotency-key", "id\(step / 8)"] : []
        twins.both(["publish", "--topic", "t", "--key", "k\(step % 7)", "--value", "v\(step)", "--retry-max-attempts", "2"] + key)
      case 6..<11:
        let group = Bool.random(using: &random) ? "g1" : "g2"
        let out = twins.both(["consume", "--topic", "t", "--group", group, "--owner", "w", "--max", "3", "--lease-ms", "5000", "-o", "ndjson"])
        leases += out.split(separator: "\n").map { (group, String($0)) }
      case 11..<16:
        guard !leases.isEmpty else { continue }
        let (group, line) = leases.remove(at: Int.random(in: 0..<leases.count, using: &random))
        let verb = Int.random(in: 0..<4, using: &random) == 0 ? "nack" : "ack"
        twins.both([verb, "--topic", "t", "--group", group, "--owner", "w", "--batch"], input: line + "\n")
      case 16:
        // Redrive's "skipped" counts DLQ messages redriven earlier, which compaction may drop.
        twins.both(["dlq", "redrive", "--topic", "t", "--max", "2"]) { $0.split(separator: " ").filter { !$0.hasPrefix("skipped=") }.joined(separator: " ") }
      case 17:
        let out = twins.both(["consume", "--topic", "dlq.t", "--group", "g1", "--owner", "w", "--max", "2", "-o", "ndjson"])
        for line in out.split(separator: "\n") {
          twins.both(["ack", "--topic", "dlq.t", "--group", "g1", "--owner", "w", "--batch"], input: line + "\n")
        }
      case 18 where step % 50 == 0:
        twins.both(["groups", "seek", "--topic", "t", "--group", "g2", "--to", "latest", "--execute"])
      default:
        let retain = ["40s", "1m", "5m"][Int.random(in: 0..<3, using: &random)]
        let result = twins.compacted.run(["wal", "compact", "--retain-acked", retain])
        #expect(result.status == 0, "seed \(seed): compact: \(result.stderr)")
        if result.stdout.hasPrefix("compacted") { compactions += 1 }
      }
      for view in Self.views { twins.both(view) }
    }
    #expect(compactions > 0, "seed \(seed): no compaction had anything to drop")
    #expect(twins.compacted.run(["wal", "verify"]).status == 0)
    // Nothing unacknowledged was dropped: draining both gives the same messages.
    for group in ["g1", "g2"] {
      twins.advance(milliseconds: 600_000)
      twins.both(["consume", "--topic", "t", "--group", group, "--owner", "z", "--max", "10000", "-o", "ndjson"])
    }
  }

  /// The spill size comes from the environment: a value that is not a count of rows is a
  /// usage error, named, before anything is read.
  @Test func aSpillSizeThatIsNotARowCountIsRefused() {
    let directory = TemporaryDirectory("compaction-spill-rows")
    for bad in ["0", "-3", "lots"] {
      var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d"), "DRIFTQ_COMPACT_SPILL_ROWS": bad])
      #expect(cli.run(["topics", "create", "--name", "t"]).status == 0)
      let result = cli.run(["wal", "compact"])
      #expect(result.status == 2, "\(bad): \(result.stderr)")
      #expect(result.stderr.contains("DRIFTQ_COMPACT_SPILL_ROWS must be a number of rows above 0"), "\(result.stderr)")
    }
  }

  /// A group that started reading after the sealed segments (its deliveries are in the
  /// newest segment) still finds every message it reads: records after the prefix bound it.
  @Test func aGroupThatJoinedInTheNewestSegmentKeepsWhatItReads() {
    let directory = TemporaryDirectory("compaction-late-group")
    var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d"), "DRIFTQ_SEGMENT_SIZE": "2KiB"])
    #expect(cli.run(["topics", "create", "--name", "t"]).status == 0)
    for n in 0..<30 { _ = cli.run(["publish", "--topic", "t", "--value", "message \(n)"]) }
    let all = cli.run(["consume", "--topic", "t", "--group", "early", "--owner", "w", "--max", "30", "-o", "ndjson"]).stdout
    #expect(cli.run(["ack", "--topic", "t", "--group", "early", "--owner", "w", "--batch"], input: all).status == 0)
    for n in 0..<20 { _ = cli.run(["publish", "--topic", "t", "--value", "filler \(n) " + String(repeating: "x", count: 60)]) }
    let late = cli.run(["consume", "--topic", "t", "--group", "late", "--owner", "w", "--max", "5", "-o", "ndjson"]).stdout
    #expect(late.hasPrefix("{\"partition\":0,\"offset\":0,"))
    let before = cli.run(["groups", "describe", "--group", "late", "--topic", "t"]).stdout
    cli.now = cli.now.adding(milliseconds: 1000)
    let compacted = cli.run(["wal", "compact", "--retain-acked", "0"])
    #expect(compacted.status == 0, "\(compacted.stderr)")
    cli.now = cli.now.adding(milliseconds: -1000)
    #expect(cli.run(["groups", "describe", "--group", "late", "--topic", "t"]).stdout == before)
    #expect(cli.run(["ack", "--topic", "t", "--group", "late", "--owner", "w", "--batch"], input: late).status == 0)
    #expect(cli.run(["wal", "verify"]).status == 0)
  }

  /// A compaction that seals the active segment and drops its last records leaves a span
  /// that ends past the last kept frame and an empty newest segment: the next write goes on
  /// from the span's end (the newest segment's first LSN), not from the last frame it read.
  @Test func aWriteAfterACompactionThatDroppedTheLastRecordsContinuesTheLSNs() {
    let directory = TemporaryDirectory("compaction-dropped-end")
    var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d")])
    #expect(cli.run(["topics", "create", "--name", "t"]).status == 0)
    #expect(cli.run(["publish", "--topic", "t", "--value", "settled"]).status == 0)
    let leased = cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "1", "-o", "ndjson"]).stdout
    #expect(cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w", "--batch"], input: leased).status == 0)
    // The group's deletion is the last record, and nothing of the group is left to need it.
    #expect(cli.run(["groups", "delete", "--group", "g", "--topic", "t", "--execute"]).status == 0)
    cli.now = cli.now.adding(milliseconds: 1000)
    let compacted = cli.run(["wal", "compact", "--retain-acked", "0"])
    #expect(compacted.status == 0 && compacted.stdout.contains("\ncompacted"), "\(compacted.stdout)\(compacted.stderr)")
    #expect(cli.run(["publish", "--topic", "t", "--value", "after"]).status == 0)
    let verified = cli.run(["wal", "verify"])
    #expect(verified.status == 0, "\(verified.stdout)")
    #expect(cli.run(["topics", "peek", "--topic", "t", "--n", "10", "-o", "ndjson"]).stdout.contains("\"after\""))
  }
}
