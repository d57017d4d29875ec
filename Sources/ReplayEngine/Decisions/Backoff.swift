/// Retry timing: `min(max_backoff_ms, backoff_ms * 2^(n-1))` before retry `n`.
extension RetryPolicy {
  /// The wait before retry `n` (n = deliveries so far), in milliseconds. A `maxBackoffMs` of 0
  /// means no cap (bounded at one day so the doubling never overflows).
  public func backoff(beforeRetry n: Int) -> Int64 {
    guard backoffMs > 0, n >= 1 else { return 0 }
    let cap = maxBackoffMs > 0 ? maxBackoffMs : 86_400_000
    let shift = min(n - 1, 40)
    let (value, overflow) = backoffMs.multipliedReportingOverflow(by: Int64(1) << Int64(shift))
    return overflow ? cap : min(cap, value)
  }
}
