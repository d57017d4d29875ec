import WALFormat

/// One partition's messages, indexed by offset. Compaction drops a prefix that every group
/// has settled, so the log may start above offset 0; offsets never change.
///
/// Messages loaded from a checkpoint stay in its mapped table (decoded when read); messages
/// folded since are held in memory after them, as the same 48-byte rows the checkpoint
/// stores (`MessageRow`) with their rare fields beside them: a partition of a million
/// messages holds 48 MB, where whole `StoredMessage`s took 2.7 times that, and a checkpoint
/// copies the rows as they are.
public struct PartitionLog: Sendable, RandomAccessCollection {
  /// The first offset still held: everything below was compacted away.
  public private(set) var startOffset: Int64 = 0
  /// Bytes of every message below `startOffset` (so buffered-bytes limits stay exact).
  public private(set) var startCumulativeBytes: Int64 = 0
  /// Messages from a checkpoint: offsets `table.firstOffset..<overlayStart`.
  private(set) var table: MessageTable?
  /// The offset of the first row in `rows`.
  private var overlayStart: Int64 = 0
  /// The messages folded since the table, encoded as `MessageRow`s.
  private var rows = ByteWriter(capacity: 0)
  /// The rare fields of the messages in `rows` that have any, by offset.
  private var extras: [Int64: MessageExtras] = [:]

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
  public var endIndex: Int64 { overlayStart + Int64(rows.count / MessageRow.size) }
  public subscript(offset: Int64) -> StoredMessage {
    if offset < overlayStart, let table { return table.message(at: offset) }
    let start = Int(offset - overlayStart) * MessageRow.size
    precondition(start >= 0 && start < rows.count, "offset \(offset) outside the partition's messages")
    return rows.bytes.withUnsafeBytes { raw in
      MessageRow.decode(UnsafeRawBufferPointer(rebasing: raw[start..<start + MessageRow.size])) { extras[offset] }
    }
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

  /// Releases the mapped pages of the checkpoint rows below `offset` (see
  /// `MessageTable.releasePages`): for a long read in offset order.
  public func releasePages(below offset: Int64) { table?.releasePages(below: offset) }

  /// The messages held in memory (folded since the checkpoint table, if any): their first
  /// offset, their encoded rows and the extras of those that have some.
  var overlay: (start: Int64, rows: [UInt8], extras: [Int64: MessageExtras]) { (overlayStart, rows.bytes, extras) }

  mutating func append(_ message: StoredMessage) {
    var message = message
    message.cumulativeBytes = (last?.cumulativeBytes ?? startCumulativeBytes) + Int64(message.bytes)
    let extra = MessageExtras(message)
    if let extra { extras[endIndex] = extra }
    MessageRow.encode(message, hasExtras: extra != nil, into: &rows)
  }

  /// Forgets every message below `offset` (which must not lie past the head, and may lie
  /// past what is held when every held message was compacted away too).
  mutating func trim(to offset: Int64, cumulativeBytes: Int64) {
    guard offset > startOffset else { return }
    if offset >= overlayStart {
      let cut = Int(Swift.min(offset, endIndex) - overlayStart) * MessageRow.size
      var kept = ByteWriter(capacity: rows.count - cut)
      kept.writeBytes(Array(rows.bytes[cut...]))
      rows = kept
      if !extras.isEmpty { extras = extras.filter { $0.key >= offset } }
      overlayStart = offset
      table = nil
    }
    startOffset = offset
    startCumulativeBytes = cumulativeBytes
  }
}
