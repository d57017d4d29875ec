/// One record of the log: its sequence number, kind, time and payload bytes.
public struct WALRecord: Hashable, Sendable {
  /// Log sequence number: 1 for the first record of a directory, then +1 per record.
  public var lsn: UInt64
  public var kind: RecordKind
  /// Flag bits of the frame; none are defined yet, and they round-trip unchanged.
  public var flags: UInt8
  public var timestamp: WALTimestamp
  public var payload: [UInt8]

  public init(lsn: UInt64, kind: RecordKind, flags: UInt8 = 0, timestamp: WALTimestamp, payload: [UInt8]) {
    self.lsn = lsn
    self.kind = kind
    self.flags = flags
    self.timestamp = timestamp
    self.payload = payload
  }

  /// The record a frame holds.
  public init(header: RecordFrame.Header, payload: [UInt8]) {
    self.init(lsn: header.lsn, kind: header.kind, flags: header.flags, timestamp: header.timestamp, payload: payload)
  }
}

/// A record not yet written: the writer assigns its LSN.
public struct PendingRecord: Sendable {
  public var kind: RecordKind
  public var timestamp: WALTimestamp
  public var payload: [UInt8]

  public init(kind: RecordKind, timestamp: WALTimestamp, payload: [UInt8]) {
    self.kind = kind
    self.timestamp = timestamp
    self.payload = payload
  }
}
