import Foundation
import Testing
import TestSupport

/// `wal compact` killed with SIGKILL at any point leaves the old segment set or the new one:
/// `wal verify` passes, every answer is unchanged, and compacting again finishes the job.
@Suite struct CompactionCrashTests {
  static let environment = ["DRIFTQ_SEGMENT_SIZE": "4KiB"]

  /// Several sealed segments; the first 1500 messages consumed and acked by group g, 500
  /// dead-lettered-free messages left, and more published after the acks so they are sealed.
  static func populate(_ cli: CLIProcess) throws {
    try cli.run(["topics", "create", "--name", "t", "--partitions", "2"], environment: environment)
    let batch = (0..<2000).map { "{\"key\":\"k\($0 % 5)\",\"value\":\"value \($0)\"}" }.joined(separator: "\n") + "\n"
    #expect(try cli.run(["publish", "--topic", "t", "--batch"], input: batch, environment: environment).status == 0)
    let leased = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "1500", "--max-inflight", "1500", "-o", "ndjson"], environment: environment)
    #expect(leased.lines.count == 1500)
    #expect(try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w", "--batch"], input: leased.stdout, environment: environment).status == 0)
    #expect(try cli.run(["publish", "--topic", "t", "--batch"], input: batch, environment: environment).status == 0)
  }

  static func answers(_ cli: CLIProcess) throws -> [String] {
    try [["topics", "lag", "--group", "g", "-o", "json"], ["groups", "describe", "--group", "g", "--topic", "t", "-o", "json"]].map {
      try cli.run($0, environment: environment).stdout
    }
  }

  static func copy(_ template: CLIProcess, to name: String) throws -> CLIProcess {
    let cli = CLIProcess(TemporaryDirectory(name))
    try FileManager.default.copyItem(atPath: template.walDirectory, toPath: cli.walDirectory)
    return cli
  }

  @Test func killedAtAnyPointLeavesOneWholeSegmentSet() throws {
    let template = CLIProcess(TemporaryDirectory("compact-crash-template"))
    try Self.populate(template)
    let expected = try Self.answers(template)
    let drained = try Self.copy(template, to: "compact-crash-drain")
    let drain = ["consume", "--topic", "t", "--group", "g", "--owner", "z", "--max", "100000", "--max-inflight", "100000", "-o", "ndjson"]
    let expectedDrain = try drained.run(drain, environment: Self.environment).stdout
    #expect(expectedDrain.split(separator: "\n").count == 2500)

    // The LSNs a finished compaction copies: crash after copying some of them.
    let finished = try Self.copy(template, to: "compact-crash-finished")
    let done = try finished.run(["wal", "compact", "--retain-acked", "0"], environment: Self.environment)
    #expect(done.status == 0, "\(done.stderr)")
    #expect(done.stdout.hasPrefix("compacted"), "\(done.stdout)")
    let kept = try finished.run(["wal", "dump", "--to", "5000", "-o", "ndjson"], environment: Self.environment).lines.compactMap { line in
      line.split(separator: "\"lsn\":").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
    }
    let copied = stride(from: 0, to: kept.count, by: max(1, kept.count / 6)).map { "copied:\(kept[$0])" }
    let points = copied + ["written", "locked", "swapped", "removed:1", "removed:2"]
    #expect(points.count >= 10)

    for (index, point) in points.enumerated() {
      let cli = try Self.copy(template, to: "compact-crash-\(index)")
      let killed = try cli.run(["wal", "compact", "--retain-acked", "0"], environment: Self.environment.merging(["DRIFTQ_CRASH_AT": point]) { $1 })
      #expect(killed.status == SIGKILL, "crash at \(point): exit \(killed.status) \(killed.stderr)")
      #expect(try cli.run(["wal", "verify"], environment: Self.environment).status == 0, "after a crash at \(point)")
      #expect(try Self.answers(cli) == expected, "after a crash at \(point)")
      let again = try cli.run(["wal", "compact", "--retain-acked", "0"], environment: Self.environment)
      #expect(again.status == 0, "compacting again after a crash at \(point): \(again.stderr)")
      #expect(try cli.run(["wal", "verify"], environment: Self.environment).status == 0)
      #expect(try Self.answers(cli) == expected, "compacted again after a crash at \(point)")
      #expect(try cli.run(drain, environment: Self.environment).stdout == expectedDrain, "after a crash at \(point)")
    }
  }

  /// A directory whose only segment is the one being written is compacted too: the segment
  /// is sealed first, and the settled messages go.
  @Test func aSmallDirectoryIsCompactedBySealingItsOnlySegment() throws {
    let cli = CLIProcess(TemporaryDirectory("compact-small"))
    try cli.run(["topics", "create", "--name", "t", "--partitions", "1"])
    for value in ["a", "b", "c"] { try cli.run(["publish", "--topic", "t", "--value", value]) }
    try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "3"])
    for offset in ["0", "1"] { try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w", "--partition", "0", "--offset", offset]) }
    #expect(FileBytes.list(cli.walDirectory + "/wal").count == 1)
    let dry = try cli.run(["wal", "compact", "--retain-acked", "0", "--dry-run"])
    #expect(dry.stdout.contains("would drop") && dry.stdout.contains("2 messages"), "\(dry.stdout)")
    let compacted = try cli.run(["wal", "compact", "--retain-acked", "0"])
    #expect(compacted.status == 0)
    #expect(compacted.stdout.hasPrefix("sealed the segment being written") && compacted.stdout.contains("dropped 6 records, 2 messages"), "\(compacted.stdout)")
    #expect(try cli.run(["topics", "tail", "--topic", "t", "--format", "%o=%v\\n"]).stdout == "2=c\n")
    #expect(try cli.run(["wal", "verify"]).status == 0)
    let again = try cli.run(["wal", "compact"])
    #expect(again.stdout.hasPrefix("nothing to compact: every record of LSNs 1..") && again.stdout.contains("--retain-acked 7d"), "\(again.stdout)")
  }

  @Test func aSecondCompactionExitsFiveAndNothingToDoExitsZero() throws {
    let cli = CLIProcess(TemporaryDirectory("compact-exit-codes"))
    try cli.run(["topics", "create", "--name", "t"], environment: Self.environment)
    let nothing = try cli.run(["wal", "compact"], environment: Self.environment)
    #expect(nothing.status == 0)
    #expect(nothing.stdout.hasPrefix("nothing to compact"))
    // Hold COMPACT.LOCK the way a running compaction does.
    let lockPath = cli.walDirectory + "/COMPACT.LOCK"
    let fd = open(lockPath, O_RDWR | O_CREAT, 0o644)
    defer { close(fd) }
    #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
    let busy = try cli.run(["wal", "compact"], environment: Self.environment)
    #expect(busy.status == 5)
    #expect(busy.stderr.contains("another compaction is running"))
  }

  /// A publisher streams and a consumer leases and acks while compactions run: every
  /// compaction succeeds, and every message published is delivered exactly once.
  @Test func writersAndReadersKeepWorkingDuringCompaction() throws {
    let cli = CLIProcess(TemporaryDirectory("compact-live"))
    let small = ["--segment-size", "4KiB"]
    try cli.run(["topics", "create", "--name", "t", "--partitions", "2"] + small)
    let first = (0..<3000).map { "{\"key\":\"k\($0)\",\"value\":\"v\($0)\"}" }.joined(separator: "\n") + "\n"
    #expect(try cli.run(["publish", "--topic", "t", "--batch"] + small, input: first).status == 0)
    signal(SIGPIPE, SIG_IGN)
    let (publisher, stdin, stdout) = try cli.start(["publish", "--topic", "t", "--batch", "-o", "ndjson"] + small)
    let feeder = Thread {
      for chunk in 0..<20 {
        let lines = (0..<200).map { "{\"key\":\"p\(chunk * 200 + $0)\",\"value\":\"streamed\"}" }.joined(separator: "\n") + "\n"
        do { try stdin.write(contentsOf: Data(lines.utf8)) } catch { break }
      }
      try? stdin.close()
    }
    feeder.start()
    var delivered: [String: Int] = [:]
    func consumeAndAck(max: Int) throws {
      let leased = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", String(max), "--max-inflight", "0", "-o", "ndjson"] + small)
      #expect(leased.status == 0, "\(leased.stderr)")
      for line in leased.lines { delivered[line.split(separator: ",").prefix(2).joined(separator: ","), default: 0] += 1 }
      if !leased.lines.isEmpty {
        let acked = try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w", "--batch"] + small, input: leased.stdout)
        #expect(acked.status == 0, "\(acked.stderr)")
      }
    }
    var reports: [String] = []
    for _ in 0..<4 {
      let (compaction, input, output) = try cli.start(["wal", "compact", "--retain-acked", "0"] + small)
      try input.close()
      try consumeAndAck(max: 1000)
      reports.append(String(decoding: output.readDataToEndOfFile(), as: UTF8.self))
      compaction.waitUntilExit()
      #expect(compaction.terminationStatus == 0)
    }
    #expect(reports.contains { $0.hasPrefix("compacted") }, "\(reports)")
    let published = String(decoding: stdout.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n").count
    publisher.waitUntilExit()
    #expect(publisher.terminationStatus == 0)
    #expect(published == 4000)
    try consumeAndAck(max: 100_000)
    #expect(delivered.count == 3000 + published)
    #expect(delivered.values.allSatisfy { $0 == 1 })
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }

  /// Finished runs older than --retain-runs go with their events and the artifacts no other
  /// run uses; within the retention they stay.
  @Test func finishedRunsPastRetentionGoWithTheirArtifacts() throws {
    let cli = CLIProcess(TemporaryDirectory("compact-runs"))
    let small = ["--segment-size", "2KiB"]
    func runID(_ output: String) -> String {
      String(output.split(separator: "\n").first?.split(separator: " ").first?.dropFirst("run_id=".count) ?? "")
    }
    let demo = runID(try cli.run(["runs", "demo", "--workflow", "demo"] + small).stdout)
    let news = runID(try cli.run(["runs", "demo", "--workflow", "ai-news"] + small).stdout)
    let artifacts = try cli.run(["runs", "artifacts", "--run-id", demo, "-o", "json"]).stdout
    let ids = artifacts.split(separator: "\"artifact_id\":\"").dropFirst().map { String($0.prefix(64)) }
    #expect(!ids.isEmpty)
    try cli.run(["topics", "create", "--name", "filler"] + small)
    for n in 0..<30 { try cli.run(["publish", "--topic", "filler", "--value", "filler \(n) " + String(repeating: "x", count: 100)] + small) }
    let status = try cli.run(["runs", "status", "--run-id", news]).stdout

    #expect(try cli.run(["wal", "compact", "--retain-runs", "1h"]).stdout.hasPrefix("nothing to compact"))
    let dry = try cli.run(["wal", "compact", "--retain-runs", "0", "--dry-run"])
    #expect(dry.stdout.contains("  run \(demo)") && dry.stdout.contains("  run \(news)"), "\(dry.stdout)")
    #expect(try cli.run(["runs", "status", "--run-id", news]).stdout == status, "a dry run changes nothing")

    let done = try cli.run(["wal", "compact", "--retain-runs", "0"])
    #expect(done.status == 0, "\(done.stderr)")
    #expect(done.stdout.contains("2 runs"), "\(done.stdout)")
    #expect(done.stdout.contains("artifacts: removed \(ids.count)"), "\(done.stdout)")
    #expect(try cli.run(["runs", "status", "--run-id", demo]).status == 4)
    #expect(try cli.run(["runs", "status", "--run-id", news]).status == 4)
    for id in ids { #expect(try cli.run(["runs", "artifact-meta", "--artifact-id", id]).status == 4) }
    #expect(try cli.run(["wal", "verify"]).status == 0)
    let list = try cli.run(["runs", "list"]).stdout
    #expect(!list.contains(demo) && !list.contains(news), "\(list)")
  }
}
