import WALFormat

/// One partition's messages, indexed by offset. Compaction drops a prefix that every group
/// has settled, so the log may start above offset 0; offsets never change.
///
/// Messages loaded from a checkpoint stay in its mapped table (decoded when read); messages
/// folded since are held in memory after them.
public struct PartitionLog: Sendable, RandomAccessCollection {
  /// The first offset still held: everything below was compacted away.
  public private(set) var startOffset: Int64 = 0
  /// Bytes of every message below `startOffset` (so buffered-bytes limits stay exact).
  public private(set) var startCumulativeBytes: Int64 = 0
  /// Messages from a checkpoint: offsets `table.firstOffset..<overlayStart`.
  private(set) var table: MessageTable?
  /// The offset of `messages[0]`.
  private var overlayStart: Int64 = 0
  private var messages: [StoredMessage] = []

  public init() {}

  /// A partition whose messages up to the table's end are the checkpoint's.
  init(startOffset: Int64, startCumulativeBytes: Int64, table: MessageTable?) {
    self.startOffset = startOffset
    self.startCumulativeBytes = startCumulativeBytes
    self.table = table
    overlayStart = table.map { $0.firstOffset + Int64($0.count) } ?? startOffset
  }

  public var startIndex: Int64 { startOffset }
  /// The next offset: last produced offset + 1.
  public var endIndex: Int64 { overlayStart + Int64(messages.count) }
  public subscript(offset: Int64) -> StoredMessage {
    if offset < overlayStart, let table { return table.message(at: offset) }
    return messages[Int(offset - overlayStart)]
  }

  /// The message at `offset`, or nil when it was never produced or was compacted away.
  public subscript(safe offset: Int64) -> StoredMessage? {
    offset >= startOffset && offset < endIndex ? self[offset] : nil
  }

  /// Bytes of every message up to and including `offset` (0 before the first; what lay
  /// below the start counts as a whole).
  public func cumulativeBytes(through offset: Int64) -> Int64 {
    if offset < startOffset { return startCumulativeBytes }
    return self[safe: offset]?.cumulativeBytes ?? last?.cumulativeBytes ?? startCumulativeBytes
  }

  /// The messages held in memory (folded since the checkpoint table, if any).
  var overlay: (start: Int64, messages: [StoredMessage]) { (overlayStart, messages) }

  mutating func append(_ message: StoredMessage) {
    var message = message
    message.cumulativeBytes = (last?.cumulativeBytes ?? startCumulativeBytes) + Int64(message.bytes)
    messages.append(message)
  }

  /// Forgets every message below `offset` (which must not lie past the head, and may lie
  /// past what is held when every held message was compacted away too).
  mutating func trim(to offset: Int64, cumulativeBytes: Int64) {
    guard offset > startOffset else { return }
    if offset >= overlayStart {
      messages.removeFirst(Int(Swift.min(offset, endIndex) - overlayStart))
      overlayStart = offset
      table = nil
    }
    startOffset = offset
    startCumulativeBytes = cumulativeBytes
  }
}
