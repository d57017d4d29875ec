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
  /// The segment being written was sealed first (a directory with no sealed segment).
  var sealedActiveSegment = false
  /// The retention the plan kept by, for saying why nothing went.
  var retention: (acked: String, runs: String) = ("7d", "30d")

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
      ("sealed_active_segment", .bool(sealedActiveSegment)),
    ])
  }

  var lines: [String] {
    if nothingToDo {
      guard lastLSN >= firstLSN, lastLSN > 0 else { return ["nothing to compact: the log holds no records"] }
      return [
        "nothing to compact: every record of LSNs \(firstLSN)..\(lastLSN) is still needed (a message stays until every group "
          + "settled it and it is older than --retain-acked \(retention.acked); a run until its last event is older than "
          + "--retain-runs \(retention.runs))" + (sealedActiveSegment ? "; the segment being written was sealed to be considered" : "")
      ]
    }
    let verb = dryRun ? "would drop" : "dropped"
    var lines = sealedActiveSegment ? ["sealed the segment being written, to compact what it holds"] : []
    lines += ["\(dryRun ? "would compact" : "compacted") LSNs \(firstLSN)..\(lastLSN) (\(segmentsRewritten) segments into 1): \(verb) \(recordsDropped) records, \(messagesDropped) messages, \(runsDropped.count) runs"]
    lines += partitionStarts.map { "  partition \($0)" }
    lines += runsDropped.map { "  run \($0)" }
    lines.append("wal bytes: \(bytesBefore) before, \(bytesAfter) after (\(bytesBefore - bytesAfter) \(dryRun ? "to save" : "saved"))")
    if !artifactsRemoved.isEmpty {
      lines.append("artifacts: \(dryRun ? "would remove" : "removed") \(artifactsRemoved.count) (\(artifactBytesRemoved) bytes)")
    }
    return lines
  }
}
