/// What `WALVerifier` found: per-segment figures, totals, and every problem with its place.
public struct VerificationReport: Sendable {
  /// Figures for one segment file.
  public struct Segment: Sendable {
    public var name: String
    public var baseLSN: UInt64
    public var bytes: Int
    public var records = 0
    public var firstLSN: UInt64?
    public var lastLSN: UInt64?
    public var firstTime: WALTimestamp?
    public var lastTime: WALTimestamp?
  }

  /// One finding: a torn tail (expected after a crash; a writer cuts it off) or corruption
  /// (cannot be a crash: data follows it, or it is in a sealed segment).
  public struct Problem: Sendable {
    public enum Kind: String, Sendable { case tornTail = "torn_tail", corruption }
    public var kind: Kind
    public var location: RecordLocation
    public var message: String
    public var storedChecksum: UInt32?
    public var computedChecksum: UInt32?
    /// Bytes from the problem to the next valid frame (or to the end of the segment).
    public var bytesAffected: Int
  }

  public var segments: [Segment] = []
  public var problems: [Problem] = []
  public var recordsByKind: [RecordKind: Int] = [:]
  public var records = 0
  public var bytes = 0
  public var firstLSN: UInt64?
  public var lastLSN: UInt64?
  public var firstTime: WALTimestamp?
  public var lastTime: WALTimestamp?

  public var isCorrupt: Bool { problems.contains { $0.kind == .corruption } }
  public var tornTail: Problem? { problems.first { $0.kind == .tornTail } }

  public init() {}
}
