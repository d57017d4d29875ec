@testable import driftqctl
import Foundation
import Testing
import TestSupport
import WALFormat

/// `topics delete`, `groups delete` and `dlq purge` between compactions: a directory compacted
/// at random points answers every command as an untouched copy does, and what the deletions
/// removed is reclaimed.
@Suite struct LifecycleCompactionTests {
  /// What must agree at any moment, deletions included. (Message counts and redriven DLQ
  /// entries are what compaction drops: they are left out.)
  static let views: [[String]] = [
    ["topics", "list"], ["groups", "list"], ["dlq", "list", "--topic", "t", "-o", "ndjson"],
    ["dlq", "list", "--topic", "s", "-o", "ndjson"], ["groups", "describe", "--group", "g1", "--topic", "t"],
    ["groups", "describe", "--group", "g3", "--topic", "t"], ["topics", "peek", "--topic", "u", "--n", "1000"],
  ]

  /// A DLQ listing without the redriven messages, which compaction may drop.
  static func unredriven(_ listing: String) -> String {
    listing.split(separator: "\n").filter { !$0.contains(#""redriven":true"#) }.joined(separator: "\n")
  }

  @Test func deletionsAndCompactionsAnswerLikeAnUntouchedCopy() throws {
    try twins(seed: TestSeed.current)
  }

  /// Seeds that found bugs: a write after a compaction that dropped the sealed segment's last
  /// records, and a kept redrive out of a deleted topic's DLQ once the topic existed again.
  @Test(arguments: [UInt64(14_089_175_830_315_371_203), 17_630_797_232_921_867_625])
  func seedsThatFoundBugsStillAgree(seed: UInt64) throws {
    try twins(seed: seed)
  }

  func twins(seed: UInt64) throws {
    var random = SeededRandom(seed: seed)
    let directory = TemporaryDirectory("lifecycle-twins-\(seed)")
    var twins = CompactionTests.Twins(directory, seed: seed)
    /// Creates `topic` with both groups on it from the start: a group that joins after a
    /// compaction starts where the partition now starts, which the twins would disagree on.
    func create(_ topic: String) {
      twins.both(["topics", "create", "--name", topic, "--partitions", "2"])
      twins.both(["publish", "--topic", topic, "--value", "first", "--partition", "0"])
      for group in ["g1", "g3"] {
        let first = twins.both(["consume", "--topic", topic, "--group", group, "--owner", "w", "--max", "1", "-o", "ndjson"])
        twins.both(["ack", "--topic", topic, "--group", group, "--owner", "w", "--batch"], input: first)
      }
    }
    twins.both(["topics", "create", "--name", "u", "--partitions", "2"])
    create("t")
    var sExists = false
    /// Topics whose g3 was deleted: it is not used there again.
    var g3Gone: Set<String> = []
    var compactions = 0
    for step in 0..<300 {
      twins.advance(milliseconds: Int64.random(in: 1...4000, using: &random))
      let topic = sExists && Bool.random(using: &random) ? "s" : "t"
      switch Int.random(in: 0..<20, using: &random) {
      case 0..<5:
        twins.both(["publish", "--topic", topic, "--key", "k\(step % 5)", "--value", "v\(step)", "--retry-max-attempts", "1"])
      case 5..<9:
        // g1 acks, g3 nacks (to the DLQ: one attempt each).
        let group = Bool.random(using: &random) && !g3Gone.contains(topic) ? "g3" : "g1"
        let out = twins.both(["consume", "--topic", topic, "--group", group, "--owner", "w", "--max", "3", "-o", "ndjson"])
        guard !out.isEmpty else { continue }
        twins.both([group == "g1" ? "ack" : "nack", "--topic", topic, "--group", group, "--owner", "w", "--batch"], input: out)
      case 9:
        twins.both(["dlq", "redrive", "--topic", topic, "--to", "u", "--max", "2"]) { $0.split(separator: " ").filter { !$0.hasPrefix("skipped=") }.joined(separator: " ") }
      case 10, 11:
        let key = Bool.random(using: &random) ? ["--key", "k\(Int.random(in: 0..<5, using: &random))"] : []
        let older = Bool.random(using: &random) ? ["--older-than", "20s"] : []
        // What a purge lists counts redriven messages, which compaction may have dropped.
        twins.both(["dlq", "purge", "--topic", topic, "--execute"] + key + older) { _ in "" }
      case 12 where !g3Gone.contains(topic):
        twins.both(["groups", "delete", "--group", "g3", "--topic", topic, "--execute"])
        g3Gone.insert(topic)
      case 13:
        if sExists {
          twins.both(["topics", "delete", "--topic", "s", "--execute"]) { $0.split(separator: "(")[0] + "" }
        } else {
          create("s")
        }
        sExists.toggle()
        g3Gone.remove("s")
      default:
        let result = twins.compacted.run(["wal", "compact", "--retain-acked", "30s"])
        #expect(result.status == 0, "seed \(seed): compact: \(result.stderr)")
        if result.stdout.hasPrefix("compacted") { compactions += 1 }
      }
      // A group that is gone describes as a new one would, at the partitions' start, which
      // compaction moves.
      for view in Self.views where !(g3Gone.contains("t") && view.contains("g3")) { twins.both(view, normalise: Self.unredriven) }
    }
    #expect(compactions > 0, "seed \(seed): no compaction had anything to drop")
    #expect(twins.compacted.run(["wal", "verify"]).status == 0)
    twins.advance(milliseconds: 600_000)
    twins.both(["consume", "--topic", "t", "--group", "g1", "--owner", "z", "--max", "10000", "-o", "ndjson"])
  }

  /// A deleted group whose dead-letters stay (their DLQ copies are held) stays deleted after
  /// compaction, and a deleted topic's records are gone while a redrive out of its DLQ stays.
  @Test func compactionReclaimsWhatDeletionsRemoved() throws {
    let directory = TemporaryDirectory("lifecycle-reclaim")
    var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": directory.appending("d"), "DRIFTQ_SEGMENT_SIZE": "2KiB"])
    func run(_ arguments: [String], input: String = "") -> String {
      let result = cli.run(arguments, input: input)
      #expect(result.status == 0, "\(arguments.joined(separator: " ")): \(result.stderr)")
      return result.stdout
    }
    /// Rolls segments (2 KiB each) so what came before is in the sealed prefix compaction reads.
    func pad() {
      for i in 0..<12 { run(["publish", "--topic", "pad", "--value", String(repeating: "p", count: 200) + "\(i)"]) }
    }
    for topic in ["orders", "archive", "pad"] { run(["topics", "create", "--name", topic]) }
    for i in 0..<20 { run(["publish", "--topic", "orders", "--key", "k\(i)", "--value", "value \(i)", "--retry-max-attempts", "1"]) }
    let leased = run(["consume", "--topic", "orders", "--group", "billing", "--owner", "w", "--max", "3", "-o", "ndjson"])
    run(["nack", "--topic", "orders", "--group", "billing", "--owner", "w", "--batch"], input: leased)
    run(["dlq", "redrive", "--topic", "orders", "--to", "archive", "--max", "1"])
    run(["groups", "delete", "--group", "billing", "--topic", "orders", "--execute"])
    pad()
    cli.now = cli.now.adding(milliseconds: 30 * 86_400_000)
    #expect(run(["wal", "compact"]).hasPrefix("compacted"))
    // The redriven DLQ copy went; the two others stay, and so does the group's deletion.
    #expect(run(["dlq", "list", "--topic", "orders", "-o", "json"]).components(separatedBy: "\"dlq_offset\"").count == 3)
    #expect(run(["groups", "list"]) == "(no groups)\n")

    run(["topics", "delete", "--topic", "orders", "--execute"])
    run(["topics", "create", "--name", "orders"])
    run(["publish", "--topic", "orders", "--value", "fresh"])
    pad()
    let report = run(["wal", "compact", "-o", "json"])
    let dropped = report.firstMatch(of: /"messages_dropped":(\d+)/).flatMap { Int($0.1) } ?? 0
    #expect(dropped >= 22, "\(report)")
    let dump = run(["wal", "dump", "-o", "ndjson"])
    #expect(!dump.contains("value 1\""), "a deleted topic's message survived compaction")
    #expect(!dump.contains("topic_deleted") && !dump.contains("group_deleted"))
    #expect(run(["topics", "peek", "--topic", "archive"]).contains("value "), "the redrive out of the deleted DLQ was lost")
    #expect(run(["topics", "list"]) == "archive\norders\npad\n")
    #expect(run(["consume", "--topic", "orders", "--group", "g", "--owner", "w"]).contains("fresh"))
    #expect(cli.run(["wal", "verify"]).status == 0)
  }
}
