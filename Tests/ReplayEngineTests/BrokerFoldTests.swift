@testable import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// Drives the decider and the fold together, the way a command does, without any files.
struct Harness {
  var state = BrokerState()
  var lsn: UInt64 = 0
  var now = WALTimestamp(nanoseconds: 1_700_000_000_000_000_000)
  var log: [WALRecord] = []

  mutating func commit(_ events: [BrokerEvent]) throws {
    for event in events {
      lsn += 1
      let (kind, payload) = EventCodec.encode(event)
      let record = WALRecord(lsn: lsn, kind: kind, timestamp: now, payload: payload)
      log.append(record)
      try state.apply(record, at: RecordPosition(segmentBaseLSN: 1, offset: Int(lsn) * 64))
    }
  }

  mutating func create(_ name: String, partitions: Int = 1) throws {
    if let event = try BrokerDecider.createTopic(state, name: name, partitions: partitions).get() {
      try commit([.topicCreated(event)])
    }
  }

  /// Reads message bodies back from the in-memory log (positions are lsn * 64).
  var loader: BrokerDecider.MessageLoader {
    { [log] stored in
      let record = log[Int(stored.position.offset / 64) - 1]
      switch try EventCodec.decode(record) {
      case .messagePublished(let m)?: return m
      case .messageDeadLettered(let d)?: return d.copy
      case .messageRedriven(let r)?: return r.message
      default: throw ReplayError(.inconsistent, "not a message")
      }
    }
  }

  @discardableResult
  mutating func publish(_ topic: String, key: String = "", value: String = "v", envelope: Envelope = Envelope()) throws -> MessagePublished {
    var pending = BrokerDecider.Pending()
    guard case .published(let e) = try BrokerDecider.publish(state, topic: topic, key: Array(key.utf8), value: Array(value.utf8), envelope: envelope, now: now, pending: &pending).get() else {
      throw ReplayError(.inconsistent, "duplicate")
    }
    try commit([.messagePublished(e)])
    return e
  }

  mutating func consume(_ topic: String, group: String = "g", owner: String, leaseMs: Int64 = 1000, limit: Int = 100, maxInflight: Int? = nil) throws -> [MessageDelivered] {
    let d = try BrokerDecider.deliveries(state, topic: topic, group: group, owner: owner, leaseMs: leaseMs, now: now, limit: limit, maxInflight: maxInflight, loader: loader)
    try commit(d.events)
    return d.leases
  }

  mutating func ack(_ topic: String, group: String = "g", owner: String, partition: Int = 0, offset: Int64) -> BrokerRejection? {
    var settled = Set<BrokerDecider.MessageRef>()
    switch BrokerDecider.ack(state, topic: topic, group: group, owner: owner, partition: partition, offset: offset, settled: &settled) {
    case .success(let e): try? commit([.messageAcked(e)]); return nil
    case .failure(let r): return r
    }
  }

  mutating func nack(_ topic: String, group: String = "g", owner: String, partition: Int = 0, offset: Int64, reason: String) -> BrokerRejection? {
    var settled = Set<BrokerDecider.MessageRef>()
    var pending = BrokerDecider.Pending()
    do {
      try commit(try BrokerDecider.nack(state, topic: topic, group: group, owner: owner, partition: partition, offset: offset, reason: reason, now: now, settled: &settled, pending: &pending, loader: loader))
      return nil
    } catch let rejection as BrokerRejection {
      return rejection
    } catch {
      return BrokerRejection(.invalidArgument, "\(error)")
    }
  }
}

@Suite struct BrokerFoldTests {
  @Test func partitionsFollowFNV1aOfTheKey() {
    #expect(Partitioner.fnv1a32(Array("".utf8)) == 0x811C_9DC5)
    #expect(Partitioner.fnv1a32(Array("a".utf8)) == 0xE40C_292C)
    #expect(Partitioner.fnv1a32(Array("foobar".utf8)) == 0xBF9C_F968)
    #expect(Partitioner.partition(forKey: [UInt8](), partitions: 8) == 0)
    #expect(Partitioner.partition(forKey: Array("foobar".utf8), partitions: 3) == Int(0xBF9C_F968 % 3))
  }

  @Test func topicCreationIsIdempotentForTheSamePartitionCount() throws {
    var h = Harness()
    try h.create("t", partitions: 3)
    #expect(try BrokerDecider.createTopic(h.state, name: "t", partitions: 3).get() == nil)
    guard case .failure(let r) = BrokerDecider.createTopic(h.state, name: "t", partitions: 2) else { Issue.record("accepted"); return }
    #expect(r.code == .topicExists)
  }

  @Test func offsetsArePerPartitionFromZero() throws {
    var h = Harness()
    try h.create("t", partitions: 4)
    var seen: [Int: Int64] = [:]
    for i in 0..<40 {
      let e = try h.publish("t", key: "k\(i)")
      #expect(e.offset == seen[e.partition, default: 0])
      seen[e.partition, default: 0] += 1
    }
  }

  @Test func committedOffsetIsTheHighestContiguousAck() throws {
    var h = Harness()
    try h.create("t")
    for _ in 0..<4 { _ = try h.publish("t") }
    _ = try h.consume("t", owner: "a")
    #expect(h.ack("t", owner: "a", offset: 2) == nil)
    #expect(h.state.cursor(topic: "t", group: "g", partition: 0).committed == -1)
    #expect(h.ack("t", owner: "a", offset: 0) == nil)
    #expect(h.state.cursor(topic: "t", group: "g", partition: 0).committed == 0)
    #expect(h.ack("t", owner: "a", offset: 1) == nil)
    #expect(h.state.cursor(topic: "t", group: "g", partition: 0).committed == 2)
  }

  @Test func onlyTheOwnerMayAckAndOnlyOnce() throws {
    var h = Harness()
    try h.create("t")
    _ = try h.publish("t")
    _ = try h.consume("t", owner: "a")
    #expect(h.ack("t", owner: "b", offset: 0)?.code == .notOwner)
    #expect(h.ack("t", owner: "a", offset: 0) == nil)
    #expect(h.ack("t", owner: "a", offset: 0)?.code == .notInFlight)
    #expect(h.ack("missing", owner: "a", offset: 0)?.code == .topicNotFound)
  }

  /// Decisions in one write share what they settled: an offset acked earlier in the batch
  /// is not acked again, and an ack-cumulative that fails part-way settles nothing, so a
  /// later ack in the same batch still takes the offsets it had reached.
  @Test func aBatchRemembersWhatItSettledAndAFailedRangeSettlesNothing() throws {
    var h = Harness()
    try h.create("t")
    for _ in 0..<3 { _ = try h.publish("t") }
    _ = try h.consume("t", owner: "a", limit: 2)  // offsets 0 and 1 leased; 2 is not
    var batch = BrokerCommands.Batch()
    #expect(throws: BrokerRejection.self) {
      try BrokerCommands.ackThrough(h.state, topic: "t", group: "g", owner: "a", partition: 0, offset: 2, batch: &batch)
    }
    let requests = [0, 0, 1].map { SettleRequest(topic: "t", group: "g", owner: "a", partition: 0, offset: Int64($0), action: .ack) }
    let (events, outcomes) = BrokerCommands.settle(h.state, requests, now: h.now, batch: &batch, loader: h.loader)
    #expect(events.count == 2)
    #expect(outcomes.map { (try? $0.get()) != nil } == [true, false, true])
  }

  @Test func nackRedeliversWithAttemptsAndAccumulatedErrors() throws {
    var h = Harness()
    try h.create("t")
    _ = try h.publish("t")
    #expect(try h.consume("t", owner: "a").first?.attempt == 1)
    #expect(h.nack("t", owner: "a", offset: 0, reason: "boom") == nil)
    let second = try h.consume("t", owner: "b")
    #expect(second.first?.attempt == 2)
    #expect(h.state.cursor(topic: "t", group: "g", partition: 0).inflight[0]?.lastError == "boom")
    #expect(h.nack("t", owner: "b", offset: 0, reason: "") == nil)
    _ = try h.consume("t", owner: "a")
    #expect(h.state.cursor(topic: "t", group: "g", partition: 0).inflight[0]?.lastError == "boom | nack")
  }

  @Test func anExpiredLeaseGoesToAnyOwnerAsAckTimeout() throws {
    var h = Harness()
    try h.create("t")
    _ = try h.publish("t")
    _ = try h.consume("t", owner: "a", leaseMs: 500)
    #expect(try h.consume("t", owner: "b").isEmpty)  // lease live: nothing for b
    h.now = h.now.adding(milliseconds: 501)
    let again = try h.consume("t", owner: "b")
    #expect(again.first?.attempt == 2)
    let delivery = h.state.cursor(topic: "t", group: "g", partition: 0).inflight[0]
    #expect(delivery?.owner == "b")
    #expect(delivery?.lastError == "ack_timeout")
    #expect(h.ack("t", owner: "a", offset: 0)?.code == .notOwner)
  }

  @Test func groupsAreIndependent() throws {
    var h = Harness()
    try h.create("t")
    _ = try h.publish("t")
    #expect(try h.consume("t", group: "g1", owner: "a").count == 1)
    #expect(try h.consume("t", group: "g2", owner: "a").count == 1)
  }

  @Test func publishRejectsMissingTopicsAndBadOverrides() throws {
    var h = Harness()
    try h.create("t", partitions: 2)
    var pending = BrokerDecider.Pending()
    var envelope = Envelope()
    envelope.partitionOverride = 2
    let bad = BrokerDecider.publish(h.state, topic: "t", key: [], value: [1], envelope: envelope, now: h.now, pending: &pending)
    #expect((try? bad.get()) == nil)
    let missing = BrokerDecider.publish(h.state, topic: "nope", key: [], value: [1], envelope: Envelope(), now: h.now, pending: &pending)
    guard case .failure(let r) = missing else { Issue.record("accepted"); return }
    #expect(r.code == .topicNotFound)
  }

  @Test func eventsRoundTripThroughTheCodec() throws {
    var envelope = Envelope()
    envelope.runID = "r"
    envelope.tenantID = "t"
    envelope.deadline = WALTimestamp(nanoseconds: 5)
    envelope.retryPolicy = RetryPolicy(maxAttempts: 3, backoffMs: 10, maxBackoffMs: 100)
    envelope.partitionOverride = 0
    envelope.labels = ["a": "b", "c": "d"]
    let events: [BrokerEvent] = [
      .topicCreated(TopicCreated(name: "t", partitions: 3)),
      .messagePublished(MessagePublished(topic: "t", partition: 1, offset: 9, key: [1, 2], value: [0xff], envelope: envelope)),
      .messageDelivered(MessageDelivered(topic: "t", group: "g", partition: 1, offset: 9, owner: "o", attempt: 2, leaseDeadline: WALTimestamp(nanoseconds: -3))),
      .messageAcked(MessageAcked(topic: "t", group: "g", partition: 1, offset: 9, owner: "o")),
      .messageNacked(MessageNacked(topic: "t", group: "g", partition: 1, offset: 9, owner: "o", reason: "why")),
      .messageSkipped(MessageSkipped(topic: "t", group: "g", partition: 2, offset: 4, reason: "idempotency_key_committed")),
      .groupSeeked(GroupSeeked(topic: "t", group: "g", partition: 2, offset: 7)),
    ]
    for event in events {
      let (kind, payload) = EventCodec.encode(event)
      #expect(try EventCodec.decode(kind: kind, payload: payload) == event)
    }
    #expect(try EventCodec.decode(kind: RecordKind(rawValue: 200), payload: [1, 2, 3]) == nil)
  }

  /// Time travel is a fold of a prefix: folding the first n records of a random workload gives
  /// the same state as stopping the full fold at LSN n.
  @Test func foldingAPrefixEqualsStoppingAtItsLSN() throws {
    var rng = TestSeed.generator(for: "prefix-fold")
    var h = Harness()
    try h.create("t", partitions: 3)
    var snapshots: [UInt64: [Int64]] = [:]
    for step in 0..<300 {
      switch Int.random(in: 0..<4, using: &rng) {
      case 0: _ = try h.publish("t", key: "k\(Int.random(in: 0..<9, using: &rng))")
      case 1: _ = try h.consume("t", owner: ["a", "b"].randomElement(using: &rng)!, limit: 3)
      case 2:
        let held = (0..<3).flatMap { p in h.state.cursor(topic: "t", group: "g", partition: p).inflight.map { (p, $0.key, $0.value.owner) } }
        if let pick = held.randomElement(using: &rng) {
          var settled = Set<BrokerDecider.MessageRef>()
          if let e = try? BrokerDecider.ack(h.state, topic: "t", group: "g", owner: pick.2, partition: pick.0, offset: pick.1, settled: &settled).get() {
            try h.commit([.messageAcked(e)])
          }
        }
      default: h.now = h.now.adding(milliseconds: Int64.random(in: 0...1500, using: &rng))
      }
      if step % 10 == 0 {
        snapshots[h.lsn] = (0..<3).map { h.state.cursor(topic: "t", group: "g", partition: $0).committed }
      }
    }
    for (lsn, expected) in snapshots {
      var state = BrokerState()
      for record in h.log.prefix(Int(lsn)) {
        try state.apply(record, at: RecordPosition(segmentBaseLSN: 1, offset: Int(record.lsn) * 64))
      }
      #expect((0..<3).map { state.cursor(topic: "t", group: "g", partition: $0).committed } == expected, "seed \(TestSeed.current)")
      #expect(state.lastLSN == lsn)
    }
  }
}
