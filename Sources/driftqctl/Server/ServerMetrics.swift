/// Counters for `/metrics`: requests by route and status, and write (fsync) latency.
final class ServerMetrics: @unchecked Sendable {
  // Invariant: every field is read and written with `lock` held.
  private let lock = Monitor()
  private var requests: [String: Int] = [:]
  private var commitBuckets = [Int](repeating: 0, count: ServerMetrics.boundsMicros.count + 1)
  private var commitCount = 0
  private var commitSumMicros: Int64 = 0
  private var batchedRequests = 0
  private var rejected: [String: Int] = [:]

  /// Histogram bounds of write latency (append + fdatasync), in microseconds.
  static let boundsMicros: [Int64] = [50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 100_000, 1_000_000]

  func recordRequest(route: String, status: Int) {
    lock.withLock { requests["\(route)\u{0}\(status)", default: 0] += 1 }
  }

  func recordRejected(reason: String) {
    lock.withLock { rejected[reason, default: 0] += 1 }
  }

  func recordCommit(microseconds: Int64, requests count: Int) {
    lock.withLock {
      let index = Self.boundsMicros.firstIndex { microseconds <= $0 } ?? Self.boundsMicros.count
      commitBuckets[index] += 1
      commitCount += 1
      commitSumMicros += microseconds
      batchedRequests += count
    }
  }

  /// Prometheus text exposition of the counters (the broker gauges are added by the caller).
  func exposition() -> String {
    lock.withLock {
      var text = "# HELP driftq_http_requests_total HTTP requests by route and status.\n# TYPE driftq_http_requests_total counter\n"
      for (key, count) in requests.sorted(by: { $0.key < $1.key }) {
        let parts = key.split(separator: "\u{0}")
        text += "driftq_http_requests_total{route=\"\(parts[0])\",status=\"\(parts.count > 1 ? parts[1] : "")\"} \(count)\n"
      }
      text += "# HELP produce_rejected_total Produce requests refused by producer limits.\n# TYPE produce_rejected_total counter\n"
      for (reason, count) in rejected.sorted(by: { $0.key < $1.key }) { text += "produce_rejected_total{reason=\"\(reason)\"} \(count)\n" }
      text += "# HELP driftq_wal_commit_duration_seconds Append plus fdatasync of one group commit.\n# TYPE driftq_wal_commit_duration_seconds histogram\n"
      var cumulative = 0
      for (index, bound) in Self.boundsMicros.enumerated() {
        cumulative += commitBuckets[index]
        text += "driftq_wal_commit_duration_seconds_bucket{le=\"\(Double(bound) / 1_000_000)\"} \(cumulative)\n"
      }
      cumulative += commitBuckets[Self.boundsMicros.count]
      text += "driftq_wal_commit_duration_seconds_bucket{le=\"+Inf\"} \(cumulative)\n"
      text += "driftq_wal_commit_duration_seconds_sum \(Double(commitSumMicros) / 1_000_000)\n"
      text += "driftq_wal_commit_duration_seconds_count \(commitCount)\n"
      text += "# HELP driftq_wal_commit_requests_total Requests answered by group commits.\n# TYPE driftq_wal_commit_requests_total counter\n"
      text += "driftq_wal_commit_requests_total \(batchedRequests)\n"
      return text
    }
  }
}
