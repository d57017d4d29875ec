import WALFormat

/// The message rows a checkpoint stores for one partition, computed from the state alone:
/// the rows still in memory (`fresh`), which the store appends to the rows file of the table
/// the partition was loaded with, or, when that file cannot take them, every row for a new file.
public struct PartitionRows: Sendable {
  public let key: PartitionKey
  /// The table the partition was loaded with; its file may be appended to.
  public let table: MessageTable?
  /// The encoded rows of the messages held in memory.
  public let fresh: [UInt8]
  private let freshExtras: [Int64: MessageExtras]
  private let partition: PartitionLog

  init(key: PartitionKey, partition: PartitionLog) {
    self.key = key
    self.partition = partition
    table = partition.table
    let overlay = partition.overlay
    fresh = overlay.rows
    freshExtras = overlay.extras
  }

  /// How many rows `fresh` holds.
  public var freshCount: Int { fresh.count / MessageRow.size }

  /// The reference once `fresh` follows the table's rows in its file.
  public func appendedReference() -> TableReference? {
    guard let table else { return nil }
    return TableReference(
      fileName: table.fileName, firstOffset: table.firstOffset, count: table.count + freshCount,
      checksums: MessageTable.checksums(extending: table.blockChecksums, rows: table.count, with: fresh),
      extras: table.extras.merging(freshExtras) { $1 }, key: key)
  }

  /// Every held row (the table's, as decoded, before those in memory) for a new rows file
  /// called `fileName`, and its reference.
  public func newFile(named fileName: String) -> (bytes: [UInt8], reference: TableReference) {
    let count = Int(partition.endIndex - partition.startOffset)
    var all = ByteWriter(capacity: count * MessageRow.size)
    var extras = freshExtras
    for offset in partition.startOffset..<partition.overlay.start {
      let message = partition[offset]
      let extra = MessageExtras(message)
      MessageRow.encode(message, hasExtras: extra != nil, into: &all)
      if let extra { extras[offset] = extra }
    }
    all.writeBytes(fresh)
    let reference = TableReference(
      fileName: fileName, firstOffset: partition.startOffset, count: count,
      checksums: MessageTable.checksums(of: all.bytes), extras: extras, key: key)
    return (all.bytes, reference)
  }
}

extension BrokerState {
  /// The bytes of message rows held in memory, not in a mapped table.
  public var rowBytesInMemory: Int {
    topics.values.reduce(0) { sum, topic in sum + topic.partitions.reduce(0) { $0 + $1.overlay.rows.count } }
  }

  /// The rows to store for every partition that holds messages.
  public var partitionRows: [PartitionRows] {
    topics.flatMap { name, topic in
      topic.partitions.enumerated().compactMap { index, partition in
        partition.endIndex > partition.startOffset ? PartitionRows(key: PartitionKey(topic: name, partition: index), partition: partition) : nil
      }
    }
  }

  /// Moves the messages that a written checkpoint stored at `tables` into their mapped rows:
  /// a writer that keeps running holds them on disk rather than in memory, and its next
  /// checkpoint appends to those files instead of writing every row again.
  public mutating func adopt(_ tables: [PartitionKey: TableReference], open: (TableReference) throws -> MessageTable) throws {
    for (key, reference) in tables {
      guard let partition = topics[key.topic]?.partitions[safe: key.partition],
        partition.endIndex == reference.firstOffset + Int64(reference.count),
        partition.table?.fileName != reference.fileName || partition.table?.count != reference.count
      else { continue }
      let table = try open(reference)
      topics[key.topic]?.partitions[key.partition] = PartitionLog(
        startOffset: partition.startOffset, startCumulativeBytes: partition.startCumulativeBytes, table: table)
    }
  }
}

extension MessageTable {
  /// The bytes the rows of `reference` take in its file, once the reference is known sane.
  /// - Throws: `CheckpointError` for a reference no checkpoint could have written.
  public static func byteCount(of reference: TableReference) throws(CheckpointError) -> Int {
    guard reference.count >= 0, reference.firstOffset >= 0, reference.count <= Int.max / MessageRow.size,
      reference.checksums.count == blockCount(rows: reference.count), isPlainName(reference.fileName)
    else { throw CheckpointError("a table reference is invalid") }
    return reference.count * MessageRow.size
  }

  /// The table of `reference` over its mapped rows; `recovery` answers for a damaged block.
  public convenience init(_ reference: TableReference, mapping: MappedFile, recovery: @escaping @Sendable (PartitionKey, Int64) -> StoredMessage) {
    let key = reference.key
    self.init(
      fileName: reference.fileName, mapping: mapping, firstOffset: reference.firstOffset, count: reference.count,
      blockChecksums: reference.checksums, extras: reference.extras, recovery: { recovery(key, $0) })
  }

  private static func isPlainName(_ name: String) -> Bool {
    !name.isEmpty && !name.contains("/") && !name.hasPrefix(".")
  }
}
