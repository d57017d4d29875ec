import ReplayEngine

/// The broker settings `serve` applies where a client does not choose them. They start as
/// DriftQ-Core's, since an application can observe each (how many messages a stream pushes
/// ahead, when an unacked message comes back, when a producer gets 429), and each is a
/// `serve` flag.
struct ServeDefaults: Sendable {
  /// DriftQ-Core's values: v1 hard-codes 2 in flight and 100 messages / 64 KiB per
  /// partition; its broker's ack timeout, the lease of a stream without `lease_ms`, is 2 s.
  static let driftQCore = ServeDefaults(
    maxInflight: 2, leaseMs: 2000, producerLimits: ProducerLimits(maxBufferedMessages: 100, maxBufferedBytes: 64 * 1024))

  /// Unacked leases per (topic, group, partition) a consume stream may hold; nil: no cap.
  var maxInflight: Int?
  /// The lease of a consume stream that sends no `lease_ms` (or 0).
  var leaseMs: Int64
  /// Backpressure for topics created without limits of their own (0: that limit is off).
  var producerLimits: ProducerLimits
}
