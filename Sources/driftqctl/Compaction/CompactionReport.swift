import ReplayEngine
import WALFormat

/// What a compaction did (or, for a dry run, would do).
struct CompactionReport {
  var dryRun: Bool
  /// The LSNs of the sealed prefix rewritten.
  var firstLSN: UInt64 = 0
  var lastLSN: UInt64 = 0
  var segmentsRewritten = 0
  var recordsDropped = 0
  var messagesDropped = 0
  var runsDropped: [String] = []
  /// Where each trimmed partition starts now, as `topic/partition@offset`.
  var partitionStarts: [String] = []
  /// WAL bytes of the whole directory before and after.
  var bytesBefore = 0
  var bytesAfter = 0
  var artifactsRemoved: [String] = []
  var artifactBytesRemoved = 0

  var nothingToDo: Bool { recordsDropped == 0 && artifactsRemoved.isEmpty }

  var json: JSONValue {
    .object([
      ("dry_run", .bool(dryRun)), ("nothing_to_do", .bool(nothingToDo)),
      ("first_lsn", .int(Int64(firstLSN))), ("last_lsn", .int(Int64(lastLSN))),
      ("segments_rewritten", .int(segmentsRewritten)), ("records_dropped", .int(recordsDropped)),
      ("messages_dropped", .int(messagesDropped)), ("runs_dropped", .array(runsDropped.map { .string($0) })),
      ("partition_starts", .array(partitionStarts.map { .string($0) })),
      ("bytes_before", .int(bytesBefore)), ("bytes_after", .int(bytesAfter)),
      ("artifacts_removed", .array(artifactsRemoved.map { .string($0) })), ("artifact_bytes_removed", .int(artifactBytesRemoved)),
    ])
  }

  var lines: [String] {
    if nothingToDo { return ["nothing to compact: every record in the sealed segments is still needed"] }
    let verb = dryRun ? "would drop" : "dropped"
    var lines = ["\(dryRun ? "would compact" : "compacted") LSNs \(firstLSN)..\(lastLSN) (\(segmentsRewritten) segments into 1): \(verb) \(recordsDropped) records, \(messagesDropped) messages, \(runsDropped.count) runs"]
    lines += partitionStarts.map { "  partition \($0)" }
    lines += runsDropped.map { "  run \($0)" }
    lines.append("wal bytes: \(bytesBefore) before, \(bytesAfter) after (\(bytesBefore - bytesAfter) \(dryRun ? "to save" : "saved"))")
    if !artifactsRemoved.isEmpty {
      lines.append("artifacts: \(dryRun ? "would remove" : "removed") \(artifactsRemoved.count) (\(artifactBytesRemoved) bytes)")
    }
    return lines
  }
}
