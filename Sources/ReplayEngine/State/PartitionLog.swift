import WALFormat

/// One partition's messages, indexed by offset. Compaction drops a prefix that every group
/// has settled, so the log may start above offset 0; offsets never change.
public struct PartitionLog: Sendable, RandomAccessCollection {
  /// The first offset still held: everything below was compacted away.
  public private(set) var startOffset: Int64 = 0
  /// Bytes of every message below `startOffset` (so buffered-bytes limits stay exact).
  public private(set) var startCumulativeBytes: Int64 = 0
  private var messages: [StoredMessage] = []

  public init() {}

  public var startIndex: Int64 { startOffset }
  /// The next offset: last produced offset + 1.
  public var endIndex: Int64 { startOffset + Int64(messages.count) }
  public subscript(offset: Int64) -> StoredMessage { messages[Int(offset - startOffset)] }

  /// The message at `offset`, or nil when it was never produced or was compacted away.
  public subscript(safe offset: Int64) -> StoredMessage? {
    offset >= startOffset && offset < endIndex ? messages[Int(offset - startOffset)] : nil
  }

  /// Bytes of every message up to and including `offset` (0 before the first; what lay
  /// below the start counts as a whole).
  public func cumulativeBytes(through offset: Int64) -> Int64 {
    if offset < startOffset { return startCumulativeBytes }
    return self[safe: offset]?.cumulativeBytes ?? last?.cumulativeBytes ?? startCumulativeBytes
  }

  mutating func append(_ message: StoredMessage) {
    var message = message
    message.cumulativeBytes = (messages.last?.cumulativeBytes ?? startCumulativeBytes) + Int64(message.bytes)
    messages.append(message)
  }

  /// Forgets every message below `offset` (which must not lie past the head, and may lie
  /// past what is held when every held message was compacted away too).
  mutating func trim(to offset: Int64, cumulativeBytes: Int64) {
    guard offset > startOffset else { return }
    let drop = Int(Swift.min(offset, endIndex) - startOffset)
    messages.removeFirst(drop)
    startOffset = offset
    startCumulativeBytes = cumulativeBytes
  }
}
