import WALFormat

/// The leases one open consume stream has written to its client and not yet seen settled.
///
/// Why it exists: a stream writes messages ahead of its worker, and each lease starts when it
/// is written. A worker that takes one message at a time reaches the k-th queued message
/// only after the k-1 before it, so behind a deep queue (32 per partition was serve's cap;
/// DriftQ-Core's is 2) leases run out while their messages still wait in the stream. Handing
/// such a message out again into the *same* stream rescues nothing: the copy queues behind
/// the original, the worker sees the message twice, the first ack or nack settles the newer
/// lease (acks name owner and offset, not the delivery), the second gets 400 "message is not
/// in-flight", and a stale nack fails an attempt the worker never saw, so retries and dead
/// letters come early and twice. So a stream never receives a message it still holds, and
/// what it holds counts against its in-flight cap even after the lease expired. Another
/// stream or consumer of the group may still take an expired lease (that is what the lease
/// is for), and a new connection of the same owner gets it back: the old stream's queue went
/// away with the connection.
public struct StreamHoldings: Sendable {
  private struct Held: Sendable, Equatable {
    var attempt: Int
    var leaseDeadline: WALTimestamp
  }

  public let owner: String
  private var held: [BrokerDecider.MessageRef: Held] = [:]

  public init(owner: String) { self.owner = owner }

  /// How many leases the stream still remembers (settled ones go at the next `forgetSettled`).
  public var count: Int { held.count }

  /// Remembers leases the stream just wrote to its client.
  public mutating func record(_ leases: [MessageDelivered]) {
    for lease in leases where lease.owner == owner {
      held[BrokerDecider.MessageRef(partition: lease.partition, offset: lease.offset)] =
        Held(attempt: lease.attempt, leaseDeadline: lease.leaseDeadline)
    }
  }

  /// Whether `delivery`, the group's current lease on the message, is the one this stream
  /// wrote: not settled, not taken by another consumer since.
  func holds(partition: Int, offset: Int64, _ delivery: Delivery) -> Bool {
    guard let mine = held[BrokerDecider.MessageRef(partition: partition, offset: offset)] else { return false }
    return delivery.owner == owner && delivery.attempt == mine.attempt && delivery.leaseDeadline == mine.leaseDeadline
  }

  /// Forgets leases that were settled or taken by another consumer, so memory stays bounded
  /// by what the stream really holds. Costs one dictionary lookup per held lease: the group is
  /// looked up once (hashing its topic and group names for every held lease was most of an
  /// open stream's CPU, since a stream calls this after every write of the server).
  public mutating func forgetSettled(in state: BrokerState, topic: String, group: String) {
    guard !held.isEmpty else { return }
    let partitions = state.groups[GroupKey(topic: topic, group: group)]?.partitions ?? []
    var gone: [BrokerDecider.MessageRef] = []
    for (ref, mine) in held {
      let delivery = partitions[safe: ref.partition]?.inflight[ref.offset]
      guard let delivery, delivery.owner == owner, delivery.attempt == mine.attempt, delivery.leaseDeadline == mine.leaseDeadline else {
        gone.append(ref)
        continue
      }
    }
    for ref in gone { held.removeValue(forKey: ref) }
  }
}
