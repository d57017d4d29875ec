/// Where in a WAL directory something was found: a segment file and a byte offset in it.
public struct RecordLocation: Hashable, Sendable, CustomStringConvertible {
  /// The segment's file name (not the full path), e.g. `00000000000000000001.seg`.
  public var segment: String
  public var offset: Int
  public var lsn: UInt64?

  public init(segment: String, offset: Int, lsn: UInt64? = nil) {
    self.segment = segment
    self.offset = offset
    self.lsn = lsn
  }

  public var description: String {
    "\(segment) at byte \(offset)" + (lsn.map { " (LSN \($0))" } ?? "")
  }
}

/// Everything that can go wrong reading or writing a WAL directory.
public struct WALError: Error, Sendable, CustomStringConvertible {
  /// The kind of failure. An open set of named values, compared by identity.
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let raw: String
    private init(_ raw: String) { self.raw = raw }
    public var description: String { raw }

    /// Bytes that cannot be a crash artifact: a bad frame followed by valid data, a bad
    /// frame in a sealed segment, a gap in LSNs.
    public static let corruption = Code("corruption")
    /// The directory holds something that is not ours (unknown files, foreign format).
    public static let foreignData = Code("foreign data")
    /// The FORMAT file names a major version this build does not read.
    public static let unsupportedVersion = Code("unsupported version")
    /// The directory does not exist (read-only commands never create it).
    public static let missing = Code("missing")
    /// Another process held the writer lock for longer than allowed.
    public static let lockTimeout = Code("lock timeout")
    /// A record is larger than the format allows.
    public static let recordTooLarge = Code("record too large")
    /// An fsync failed earlier; the writer refuses further appends (never retried).
    public static let writerStopped = Code("writer stopped")
    /// An operating-system call failed.
    public static let io = Code("i/o")
    /// A compaction replaced the segments being read: positions read so far are stale, and
    /// the reader starts over from the first segment.
    public static let superseded = Code("superseded")
  }

  public var code: Code
  /// Human text with the values that matter, e.g. "stored 0x1a2b, computed 0x9f00".
  public var message: String
  public var location: RecordLocation?
  public var underlying: Errno?

  public init(_ code: Code, _ message: String, location: RecordLocation? = nil, underlying: Errno? = nil) {
    self.code = code
    self.message = message
    self.location = location
    self.underlying = underlying
  }

  /// An I/O failure on `path`, naming the operation and the OS's reason.
  public static func io(_ operation: String, _ path: String, _ errno: Errno) -> WALError {
    WALError(.io, "\(operation) \(path): \(errno)", underlying: errno)
  }

  public var description: String {
    (location.map { "\($0): " } ?? "") + message
  }
}
