/// DriftQ's per-message retry policy: at most `maxAttempts` deliveries (0 = unlimited), and a
/// backoff of `min(maxBackoffMs, backoffMs * 2^(n-1))` before retry n.
public struct RetryPolicy: Sendable, Equatable {
  public var maxAttempts: Int
  public var backoffMs: Int64
  public var maxBackoffMs: Int64

  public init(maxAttempts: Int = 0, backoffMs: Int64 = 0, maxBackoffMs: Int64 = 0) {
    self.maxAttempts = maxAttempts
    self.backoffMs = backoffMs
    self.maxBackoffMs = maxBackoffMs
  }

  /// True when no field is set (DriftQ attaches a policy only if one value is non-zero).
  public var isEmpty: Bool { maxAttempts == 0 && backoffMs == 0 && maxBackoffMs == 0 }
}
