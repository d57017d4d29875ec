import WALFormat

/// Where a message lives in the log, and the few fields decisions need. Bodies stay on disk
/// (fetched by position when delivered), so state is small whatever the log's size.
public struct StoredMessage: Sendable, Equatable {
  public var position: RecordPosition
  public var lsn: UInt64
  public var publishedAt: WALTimestamp
  public var retryPolicy: RetryPolicy?
  public var deadline: WALTimestamp?
  /// Key plus value bytes.
  public var bytes: Int
  /// Bytes of this message and every earlier one in its partition (for buffered-bytes limits).
  public var cumulativeBytes: Int64 = 0
  /// The envelope's idempotency key and tenant, when the message has a key.
  public var idempotency: IdempotencyTag?

  /// A message that damage destroyed and `wal repair --salvage` could not keep: its offset
  /// stays taken (later offsets keep their meaning), it has no body, consumers skip it.
  public var isLost: Bool { lsn == 0 }

  /// The lost message whose record was replaced by the `lostRecord` at `position`.
  public static func lost(at position: RecordPosition, time: WALTimestamp) -> StoredMessage {
    StoredMessage(position: position, lsn: 0, publishedAt: time, retryPolicy: nil, deadline: nil, bytes: 0, idempotency: nil)
  }
}

/// A message's idempotency identity within its topic: DriftQ's `(tenant_id, key)`.
public struct IdempotencyTag: Sendable, Hashable {
  public var tenant: String
  public var key: String
}

/// A topic: its partitions, each a log of messages indexed by offset.
public struct TopicState: Sendable {
  public var name: String
  public var partitions: [PartitionLog]
  public var createdAt: WALTimestamp
  public var limits: ProducerLimits

  public var partitionCount: Int { partitions.count }
  public var messageCount: Int { partitions.reduce(0) { $0 + $1.count } }

  /// The next offset of a partition (its number of messages).
  public func headOffset(_ partition: Int) -> Int64 { partitions[partition].endIndex }
}
