/// When an append is made durable.
public enum SyncPolicy: String, Sendable, CaseIterable {
  /// fdatasync before an append returns: nothing acknowledged is ever lost (the default).
  case always
  /// No fdatasync: a crash may lose acknowledged records. For benchmarks and throwaway data.
  case none
}

/// Settings of a `WALLog`.
public struct WALOptions: Sendable {
  /// A segment is sealed and a new one started once the next frame would pass this size.
  public var segmentSize = 64 << 20
  public var sync = SyncPolicy.always
  /// How long to wait for another process's writer lock before giving up.
  public var lockTimeoutMilliseconds: Int64 = 10_000
  /// Read buffer per segment scanner.
  public var readChunkSize = 1 << 20
  /// Bytes of zeros a writer keeps written ahead of its appends (0: none). fdatasync of an
  /// append that grows the file also writes the inode (its size); into space already
  /// written, it writes only the data: about 1.5 times as many syncs a second here. For a
  /// long-lived writer (`serve`); readers take zeros to the end of the newest segment as
  /// its end, and the writer cuts them off before sealing the segment or letting go.
  public var preallocate = 0

  public static let minimumSegmentSize = 256

  public init() {}
}

/// Where a record's frame starts: its segment (by base LSN) and byte offset.
public struct RecordPosition: Hashable, Sendable {
  public var segmentBaseLSN: UInt64
  public var offset: Int

  public init(segmentBaseLSN: UInt64, offset: Int) {
    self.segmentBaseLSN = segmentBaseLSN
    self.offset = offset
  }
}

/// A record as read from (or appended to) the log, with where its frame is.
public struct LoggedRecord: Sendable {
  public var record: WALRecord
  public var position: RecordPosition
}

/// A torn final frame that a writer cut off when it took the lock.
public struct TornTailRepair: Sendable {
  public var location: RecordLocation
  public var bytesRemoved: Int
  public var reason: String
  /// Where the cut bytes were kept, beside the segment: `<segment>.torn-at-<offset>.broken`,
  /// or the whole file as `<segment>.torn-creation.broken` when its header was never completed.
  public var copy: String?
}
