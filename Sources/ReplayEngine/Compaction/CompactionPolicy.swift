import WALFormat

/// How long compaction keeps what is finished, measured back from `now`.
public struct CompactionPolicy: Sendable, Equatable {
  /// Settled messages published longer ago than this go (with their idempotency keys).
  public var retainAckedMs: Int64
  /// Finished runs whose last event is older than this go (with artifacts nothing else uses).
  public var retainRunsMs: Int64
  public var now: WALTimestamp

  public static let defaultRetainAckedMs: Int64 = 7 * 86_400_000
  public static let defaultRetainRunsMs: Int64 = 30 * 86_400_000

  public init(retainAckedMs: Int64 = defaultRetainAckedMs, retainRunsMs: Int64 = defaultRetainRunsMs, now: WALTimestamp) {
    self.retainAckedMs = retainAckedMs
    self.retainRunsMs = retainRunsMs
    self.now = now
  }

  public var ackedCutoff: WALTimestamp { now.adding(milliseconds: -retainAckedMs) }
  public var runsCutoff: WALTimestamp { now.adding(milliseconds: -retainRunsMs) }
}
