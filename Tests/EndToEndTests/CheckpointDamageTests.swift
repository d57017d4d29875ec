import Foundation
import Testing
import TestSupport

/// A checkpoint is never trusted over the log: damaged, truncated or stale ones are ignored
/// with a warning, answers stay those of the log, and the next write replaces them.
@Suite struct CheckpointDamageTests {
  /// What the directory answers: messages (a new group reads them all), lag, runs.
  func views(_ cli: CLIProcess, group: String) throws -> [String] {
    [
      try cli.run(["consume", "--topic", "t", "--group", group, "--owner", "w", "--max", "100000", "--max-inflight", "0", "-o", "ndjson"]).stdout,
      try cli.run(["topics", "lag", "--group", "g", "-o", "json"]).stdout,
      try cli.run(["runs", "list"]).stdout,
      try cli.run(["runs", "timeline", "--run-id", runID(cli)]).stdout,
      try cli.run(["runs", "events", "--run-id", runID(cli)]).stdout,
    ]
  }

  /// The demo run's id (`runs list -o json` gives {"runs":["ID"]}).
  func runID(_ cli: CLIProcess) throws -> String {
    let list = try cli.run(["runs", "list", "-o", "json"]).stdout
    return String(list.split(separator: "\"runs\":[\"").dropFirst().first?.prefix { $0 != "\"" } ?? "")
  }

  func checkpointFiles(_ cli: CLIProcess) -> (states: [String], rows: [String]) {
    let states = FileBytes.list(cli.walDirectory + "/checkpoints").filter { $0.hasSuffix(".ckpt") }.sorted()
    let rows = FileBytes.list(cli.walDirectory + "/checkpoints/rows").sorted()
    return (states.map { cli.walDirectory + "/checkpoints/" + $0 }, rows.map { cli.walDirectory + "/checkpoints/rows/" + $0 })
  }

  /// A checkpoint is named by the LSN of the last record it covers, whatever its kind: one
  /// taken when the log ends in run events neither reuses an older checkpoint's name nor is
  /// ignored on the next open.
  @Test func aCheckpointAfterRunEventsIsLabelledByItsLastRecord() throws {
    let cli = CLIProcess(TemporaryDirectory("ckpt-runs"))
    try cli.run(["topics", "create", "--name", "t"])
    try cli.run(["publish", "--topic", "t", "--value", "x"])
    #expect(try cli.run(["wal", "checkpoint"]).stdout.hasPrefix("checkpoint 00000000000000000002.ckpt at LSN 2"))
    try cli.run(["runs", "demo"])
    let last = try cli.run(["wal", "dump", "-o", "ndjson"]).lines.count
    let second = try cli.run(["wal", "checkpoint"])
    let name = String(repeating: "0", count: 20 - String(last).count) + String(last) + ".ckpt"
    #expect(second.stdout.hasPrefix("checkpoint \(name) at LSN \(last)"), "\(second.stdout)")
    let names = try FileManager.default.contentsOfDirectory(atPath: cli.walDirectory + "/checkpoints").filter { $0.hasSuffix(".ckpt") }.sorted()
    #expect(names == ["00000000000000000002.ckpt", name])
    let reopened = try cli.run(["runs", "list"])
    #expect(reopened.status == 0 && !reopened.stderr.contains("ignored"), "\(reopened.stderr)")
  }

  /// A writer that had to fold a long tail at open checkpoints with its first write, so the
  /// next process opens from it; one that folded a short tail leaves the checkpoint as it is.
  @Test func aWriterThatFoldedALongTailCheckpointsForTheNextOne() throws {
    let cli = CLIProcess(TemporaryDirectory("ckpt-tail"))
    try cli.run(["topics", "create", "--name", "t"])
    let batch = (0..<3000).map { "{\"value\":\"message \($0), long enough to make a tail\"}" }.joined(separator: "\n")
    #expect(try cli.run(["publish", "--topic", "t", "--batch", "--checkpoint-every", "0"], input: batch).status == 0)
    #expect(checkpointFiles(cli).states.isEmpty)
    try cli.run(["publish", "--topic", "t", "--value", "x", "--checkpoint-every", "1MiB"])
    let made = checkpointFiles(cli).states
    #expect(made.count == 1, "a writer that folded about 250 KB (past 1MiB/16) checkpoints")
    try cli.run(["publish", "--topic", "t", "--value", "y", "--checkpoint-every", "1MiB"])
    #expect(checkpointFiles(cli).states == made, "a writer that folded one record does not")
  }

  @Test func damagedAndStaleCheckpointsAreIgnoredAndReplaced() throws {
    let cli = CLIProcess(TemporaryDirectory("checkpoint-damage"))
    let small = ["--segment-size", "64KiB"]
    // The run comes first, in a segment a compaction rewrites (it drops it: --retain-runs 0).
    #expect(try cli.run(["runs", "demo", "--workflow", "demo"] + small).status == 0)
    try cli.run(["topics", "create", "--name", "t", "--partitions", "2"] + small)
    let batch = (0..<6000).map { "{\"key\":\"k\($0 % 13)\",\"value\":\"message \($0)\"}" }.joined(separator: "\n")
    // The writers so far make no checkpoint of their own: `wal checkpoint` makes the one tried.
    let setup = small + ["--checkpoint-every", "0"]
    #expect(try cli.run(["publish", "--topic", "t", "--batch"] + setup, input: batch).status == 0)
    let lease = try cli.run(["consume", "--topic", "t", "--group", "g", "--owner", "w", "--max", "7", "-o", "ndjson"] + setup).stdout
    #expect(try cli.run(["ack", "--topic", "t", "--group", "g", "--owner", "w", "--batch"] + setup, input: lease).status == 0)
    let made = try cli.run(["wal", "checkpoint"])
    #expect(made.status == 0 && made.stdout.contains("6000 messages"), "\(made.stdout)\(made.stderr)")
    var files = checkpointFiles(cli)
    #expect(files.states.count == 1 && files.rows.count == 2)
    let expected = try views(cli, group: "a")
    #expect(expected[0].split(separator: "\n").count == 6000)

    // A flipped bit in the state file: ignored with a warning; the answers are the log's.
    var state = FileBytes.read(files.states[0])
    state[state.count / 2] ^= 0x04
    FileBytes.write(files.states[0], state)
    let warned = try cli.run(["topics", "lag", "--group", "g", "-o", "json"])
    #expect(warned.stderr.contains("ignored: it is damaged (checksum mismatch"), "\(warned.stderr)")
    #expect(warned.stdout == expected[1])
    // The next write replaces it, and the warning stops.
    #expect(try cli.run(["publish", "--topic", "t", "--value", "after"] + small).status == 0)
    files = checkpointFiles(cli)
    #expect(files.states.count == 1, "the damaged checkpoint was replaced: \(files.states)")
    let quiet = try cli.run(["topics", "lag", "--group", "g"])
    #expect(quiet.stderr.isEmpty, "\(quiet.stderr)")
    let expectedAfter = try views(cli, group: "b")

    // A flipped bit in a rows file: the block fails its checksum when read, and the rows come
    // from the log instead.
    for rows in files.rows {
      var bytes = FileBytes.read(rows)
      bytes[bytes.count / 3] ^= 0x20
      FileBytes.write(rows, bytes)
    }
    let recovered = try cli.run(["consume", "--topic", "t", "--group", "c", "--owner", "w", "--max", "100000", "--max-inflight", "0", "-o", "ndjson"])
    #expect(recovered.stdout == expectedAfter[0])
    #expect(recovered.stderr.contains("failed its checksum"), "\(recovered.stderr)")

    // A rows file cut short: that checkpoint is ignored.
    for rows in files.rows { FileBytes.write(rows, Array(FileBytes.read(rows).prefix(100))) }
    let short = try cli.run(["runs", "list"])
    #expect(short.stderr.contains("is missing or short"), "\(short.stderr)")
    #expect(short.stdout == expectedAfter[2])
    #expect(try cli.run(["runs", "timeline", "--run-id", runID(cli)]).stdout == expectedAfter[3])
    #expect(try cli.run(["runs", "events", "--run-id", runID(cli)]).stdout == expectedAfter[4])
    #expect(!expectedAfter[4].isEmpty)

    // A checkpoint from before a compaction: compaction removes them; one put back is stale.
    #expect(try cli.run(["wal", "checkpoint"]).status == 0)
    let saved = checkpointFiles(cli)
    let savedBytes = (saved.states + saved.rows).map { ($0, FileBytes.read($0)) }
    let compacted = try cli.run(["wal", "compact", "--retain-acked", "0", "--retain-runs", "0"])
    #expect(compacted.status == 0, "\(compacted.stderr)")
    #expect(checkpointFiles(cli).states.isEmpty, "compaction removed the checkpoints")
    let lagAfterCompaction = try cli.run(["topics", "lag", "--group", "g", "-o", "json"]).stdout
    for (path, bytes) in savedBytes { FileBytes.write(path, bytes) }
    let stale = try cli.run(["topics", "lag", "--group", "g", "-o", "json"])
    #expect(stale.stderr.contains("does not match the log"), "\(stale.stderr)")
    #expect(stale.stdout == lagAfterCompaction)
    #expect(try cli.run(["wal", "verify"]).status == 0)
  }
}
