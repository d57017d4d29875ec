@testable import driftqctl
import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// A state loaded from a checkpoint and the log after it is the state folded from the whole
/// log: checked over random workloads, with checkpoints made often.
@Suite struct CheckpointTests {
  /// The whole log folded from the start.
  static func folded(_ path: String) throws -> (BrokerState, RunsState) {
    var broker = BrokerState()
    var runs = RunsState()
    let log = WALLog(directory: try WALDirectory.open(path))
    try LogFold.fold(log, broker: &broker, runs: &runs)
    return (broker, runs)
  }

  /// The newest checkpoint, with the log after it folded on top.
  static func resumed(_ path: String) throws -> (BrokerState, RunsState)? {
    let directory = try WALDirectory.open(path)
    let store = CheckpointStore(directory: directory)
    guard let name = store.names().first, let lsn = CheckpointStore.lsn(ofName: name) else { return nil }
    let checkpoint = try store.load(name, recovery: CheckpointRecovery(directory: directory, lsn: lsn, context: CommandContext(stdout: OutputStream(), stderr: OutputStream(), environment: [:], stdin: LineReader(text: ""))).message)
    let log = WALLog(directory: directory)
    #expect(try log.resume(after: checkpoint.lastPosition, lsn: checkpoint.lsn, firstSegmentSalt: checkpoint.firstSegmentSalt) == .resumed)
    var (broker, runs) = (checkpoint.broker, checkpoint.runs)
    try LogFold.fold(log, broker: &broker, runs: &runs)
    return (broker, runs)
  }

  /// Every difference between two states, messages compared field by field.
  static func differences(_ a: (BrokerState, RunsState), _ b: (BrokerState, RunsState)) -> [String] {
    var found = CompactionCheck.differences(before: a.0, beforeRuns: a.1, after: b.0, afterRuns: b.1, droppedRuns: [])
    for (name, topic) in a.0.topics {
      for (index, partition) in topic.partitions.enumerated() {
        guard let other = b.0.topics[name]?.partitions[safe: index] else { continue }
        if partition.startOffset != other.startOffset || Array(partition) != Array(other) { found.append("\(name)/\(index): messages differ") }
      }
    }
    if a.0.lastLSN != b.0.lastLSN || a.0.lastTime != b.0.lastTime { found.append("last record differs") }
    if a.0.deadLetters != b.0.deadLetters { found.append("dead letters differ") }
    return found
  }

  @Test func aCheckpointPlusItsTailIsTheWholeFold() throws {
    let seed = TestSeed.current
    var random = SeededRandom(seed: seed ^ 0xC4EC)
    let directory = TemporaryDirectory("checkpoint-fold")
    let path = directory.appending("d")
    var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": path, "DRIFTQ_SEGMENT_SIZE": "4KiB", "DRIFTQ_CHECKPOINT_EVERY": "2KiB"])
    #expect(cli.run(["topics", "create", "--name", "t", "--partitions", "3"]).status == 0)
    var leases: [String] = []
    var checked = 0
    for step in 0..<300 {
      cli.now = cli.now.adding(milliseconds: Int64.random(in: 1...3000, using: &random))
      switch Int.random(in: 0..<12, using: &random) {
      case 0..<4:
        var extra: [String] = []
        if Bool.random(using: &random) { extra += ["--idempotency-key", "id\(step / 5)"] }
        if Bool.random(using: &random) { extra += ["--retry-max-attempts", "2", "--retry-backoff-ms", "100"] }
        if Int.random(in: 0..<4, using: &random) == 0 { extra += ["--deadline", RFC3339.format(cli.now.adding(milliseconds: 20_000))] }
        _ = cli.run(["publish", "--topic", "t", "--key", "k\(step % 5)", "--value", "v\(step)"] + extra)
      case 4..<7:
        let group = Bool.random(using: &random) ? "g1" : "g2"
        let out = cli.run(["consume", "--topic", "t", "--group", group, "--owner", "w", "--max", "2", "--lease-ms", "4000", "-o", "ndjson"]).stdout
        leases += out.split(separator: "\n").map { group + " " + $0 }
      case 7..<10:
        guard !leases.isEmpty else { continue }
        let lease = leases.remove(at: Int.random(in: 0..<leases.count, using: &random))
        let group = String(lease.prefix(2))
        let verb = Int.random(in: 0..<3, using: &random) == 0 ? "nack" : "ack"
        _ = cli.run([verb, "--topic", "t", "--group", group, "--owner", "w", "--batch"], input: String(lease.dropFirst(3)) + "\n")
      case 10:
        _ = cli.run(["dlq", "redrive", "--topic", "t", "--max", "1"])
      default:
        if Bool.random(using: &random) { _ = cli.run(["wal", "checkpoint"]) }
      }
      if step % 10 == 9, let resumed = try Self.resumed(path) {
        let problems = Self.differences(try Self.folded(path), resumed)
        #expect(problems.isEmpty, "seed \(seed), step \(step): \(problems)")
        checked += 1
      }
    }
    #expect(checked > 20, "seed \(seed): checkpoints were written and compared")
    #expect(try CheckpointStore(directory: WALDirectory.open(path)).names().count <= CheckpointStore.keep)
    // What a command answers is the same with and without the checkpoints.
    let views = [["topics", "lag", "--group", "g1", "-o", "json"], ["groups", "describe", "--group", "g2", "--topic", "t"], ["dlq", "list", "--topic", "t"]]
    let with = views.map { cli.run($0).stdout }
    TemporaryDirectory.removeTree(directory.appending("d/checkpoints"))
    #expect(views.map { cli.run($0).stdout } == with)
  }

  /// `--at LSN|@TIME` starts from a checkpoint at or before that point (a time is located
  /// through the seek indexes), and answers as the fold does.
  @Test func timeTravelUsesAnEarlierCheckpoint() throws {
    let directory = TemporaryDirectory("checkpoint-at")
    let path = directory.appending("d")
    var cli = TestCLI(environment: ["DRIFTQ_WAL_DIR": path, "DRIFTQ_CHECKPOINT_EVERY": "0"])
    #expect(cli.run(["topics", "create", "--name", "t"]).status == 0)
    for n in 0..<20 {
      cli.now = cli.now.adding(milliseconds: 1000)
      _ = cli.run(["publish", "--topic", "t", "--value", "m\(n)"])
    }
    _ = cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "1"])
    let at = cli.run(["topics", "lag", "--group", "g", "--at", "15"]).stdout
    #expect(cli.run(["wal", "checkpoint"]).status == 0)
    let middle = "@" + RFC3339.format(cli.now.adding(milliseconds: 500))
    for n in 0..<5 {
      cli.now = cli.now.adding(milliseconds: 1000)
      _ = cli.run(["publish", "--topic", "t", "--value", "late \(n)"])
    }
    #expect(cli.run(["wal", "checkpoint"]).status == 0)
    #expect(cli.run(["topics", "lag", "--group", "g", "--at", "15"]).stdout == at)
    let later = cli.run(["topics", "lag", "--group", "g", "--at", "23"]).stdout
    #expect(later.contains("t\t0\t21\t0\t1\t21"), "\(later)")
    let byTime = cli.run(["groups", "describe", "--group", "g", "--topic", "t", "--at", middle]).stdout
    #expect(byTime.contains("t      0     20"), "\(byTime)")
    TemporaryDirectory.removeTree(path + "/checkpoints")
    #expect(cli.run(["topics", "lag", "--group", "g", "--at", "23"]).stdout == later)
    #expect(cli.run(["groups", "describe", "--group", "g", "--topic", "t", "--at", middle]).stdout == byTime)
  }
}
