import WALFormat

/// Where an attempt's log went: the content-addressed artifact its stdout and stderr were
/// sealed into when it ended, named in its `node_finished` or `node_failed` event (`"log"`)
/// so compaction keeps the artifact alive, and how much of the output it holds.
public struct StepLogRef: Sendable, Equatable {
  /// The artifact (SHA-256 of the stored log).
  public var artifactID: String
  /// The stored log's size in bytes.
  public var bytes: Int
  /// Records (lines, or pieces of long lines) the log holds.
  public var lines: Int
  /// Output the bound left out, in bytes and lines (0 when none was).
  public var droppedBytes: Int
  public var droppedLines: Int

  public init(artifactID: String, bytes: Int, lines: Int, droppedBytes: Int = 0, droppedLines: Int = 0) {
    self.artifactID = artifactID
    self.bytes = bytes
    self.lines = lines
    self.droppedBytes = droppedBytes
    self.droppedLines = droppedLines
  }

  /// Whether the bound left some output out (the log says where, with a `dropped` note).
  public var isTruncated: Bool { droppedBytes > 0 }

  public var json: JSONValue {
    .object([
      ("artifact_id", .string(artifactID)), ("bytes", .int(bytes)), ("lines", .int(lines)), ("truncated", .bool(isTruncated)),
      ("dropped_bytes", .int(droppedBytes)), ("dropped_lines", .int(droppedLines)),
    ])
  }

  public init?(json: JSONValue?) {
    guard let id = json?["artifact_id"]?.stringValue, id.utf8.count == 64 else { return nil }
    self.init(
      artifactID: id, bytes: Int(clamping: json?["bytes"]?.int64Value ?? 0), lines: Int(clamping: json?["lines"]?.int64Value ?? 0),
      droppedBytes: Int(clamping: json?["dropped_bytes"]?.int64Value ?? 0), droppedLines: Int(clamping: json?["dropped_lines"]?.int64Value ?? 0))
  }
}
