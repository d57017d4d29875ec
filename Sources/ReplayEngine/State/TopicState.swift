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
}

/// A topic: its partitions, each a list of messages whose index is the offset.
public struct TopicState: Sendable {
  public var name: String
  public var partitions: [[StoredMessage]]
  public var createdAt: WALTimestamp

  public var partitionCount: Int { partitions.count }
  public var messageCount: Int { partitions.reduce(0) { $0 + $1.count } }

  /// The next offset of a partition (its number of messages).
  public func headOffset(_ partition: Int) -> Int64 { Int64(partitions[partition].count) }
}
