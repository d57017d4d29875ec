@testable import ReplayEngine
import Testing
import TestSupport
import WALFormat

@Suite struct RetryAndDLQTests {
  func policy(_ max: Int, _ backoff: Int64 = 0, _ cap: Int64 = 0) -> Envelope {
    var e = Envelope()
    e.retryPolicy = RetryPolicy(maxAttempts: max, backoffMs: backoff, maxBackoffMs: cap)
    return e
  }

  @Test func backoffDoublesUpToTheCap() {
    let p = RetryPolicy(maxAttempts: 0, backoffMs: 100, maxBackoffMs: 450)
    #expect([1, 2, 3, 4, 60].map { p.backoff(beforeRetry: $0) } == [100, 200, 400, 450, 450])
    #expect(RetryPolicy(maxAttempts: 3).backoff(beforeRetry: 2) == 0)
    #expect(RetryPolicy(backoffMs: 1000).backoff(beforeRetry: 200) == 86_400_000)
  }

  @Test func aNackedMessageWaitsForItsBackoff() throws {
    var h = Harness()
    try h.create("t")
    try h.publish("t", envelope: policy(0, 1000, 5000))
    _ = try h.consume("t", owner: "a")
    #expect(h.nack("t", owner: "a", offset: 0, reason: "x") == nil)
    h.now = h.now.adding(milliseconds: 999)
    #expect(try h.consume("t", owner: "a").isEmpty)
    #expect(BrokerDecider.nextWakeTime(h.state, topic: "t", group: "g", after: h.now) == h.now.adding(milliseconds: 1))
    h.now = h.now.adding(milliseconds: 1)
    #expect(try h.consume("t", owner: "a").first?.attempt == 2)
    #expect(h.nack("t", owner: "a", offset: 0, reason: "y") == nil)
    h.now = h.now.adding(milliseconds: 1999)
    #expect(try h.consume("t", owner: "a").isEmpty)
    h.now = h.now.adding(milliseconds: 1)
    #expect(try h.consume("t", owner: "a").first?.attempt == 3)
  }

  @Test func theLastNackMovesTheMessageToTheDLQInTheSameWrite() throws {
    var h = Harness()
    try h.create("jobs", partitions: 2)
    let source = try h.publish("jobs", key: "k", value: "payload", envelope: policy(2))
    for (owner, reason) in [("a", "boom1"), ("b", "boom2")] {
      _ = try h.consume("jobs", owner: owner)
      let before = h.log.count
      #expect(h.nack("jobs", owner: owner, partition: source.partition, offset: 0, reason: reason) == nil)
      if reason == "boom2" { #expect(h.log.count == before + 2) }
    }
    let entries = try #require(h.state.deadLetters["jobs"])
    #expect(entries.count == 1)
    #expect(entries[0].info.attempts == 2)
    #expect(entries[0].info.lastError == "boom1 | boom2")
    #expect(entries[0].info.reason == "max_attempts_reached")
    #expect(h.state.topics["dlq.jobs"]?.partitionCount == 2)
    #expect(h.state.cursor(topic: "jobs", group: "g", partition: source.partition).committed == 0)
    #expect(try h.consume("jobs", owner: "a").isEmpty)
    let copy = try #require(try h.consume("dlq.jobs", group: "audit", owner: "x").first)
    #expect(copy.attempt == 1)
  }

  @Test func anExpiredLastLeaseIsDeadLetteredAtTheNextConsume() throws {
    var h = Harness()
    try h.create("t")
    try h.publish("t", envelope: policy(1))
    _ = try h.consume("t", owner: "a", leaseMs: 100)
    h.now = h.now.adding(milliseconds: 100)
    #expect(try h.consume("t", owner: "b").isEmpty)
    #expect(h.state.deadLetters["t"]?.first?.info.lastError == "ack_timeout")
  }

  @Test func aPassedDeadlineIsDeadLetteredAtDelivery() throws {
    var h = Harness()
    try h.create("t")
    var e = Envelope()
    e.deadline = h.now.adding(milliseconds: 50)
    try h.publish("t", envelope: e)
    h.now = h.now.adding(milliseconds: 50)
    #expect(try h.consume("t", owner: "a").isEmpty)
    #expect(h.state.deadLetters["t"]?.first?.info.reason == "deadline_exceeded")
    // A dead letter's own deadline is not enforced again (no dlq.dlq.t).
    #expect(try h.consume("dlq.t", owner: "a").count == 1)
  }

  @Test func redriveSendsEachDeadLetterOnceWithItsPolicyBack() throws {
    var h = Harness()
    try h.create("t")
    try h.publish("t", key: "k", envelope: policy(1, 10))
    _ = try h.consume("t", owner: "a")
    _ = h.nack("t", owner: "a", offset: 0, reason: "bad")
    let (due, _) = BrokerDecider.redriveCandidates(h.state, topic: "t", selection: .init(), now: h.now)
    let first = try BrokerDecider.redrive(h.state, entries: due, to: nil, now: h.now, loader: h.loader)
    try h.commit(first.map { .messageRedriven($0) })
    #expect(first.count == 1)
    #expect(first[0].message.envelope.retryPolicy == RetryPolicy(maxAttempts: 1, backoffMs: 10))
    #expect(first[0].message.envelope.redrivenFrom == MessageOrigin(topic: "dlq.t", partition: 0, offset: 0))
    // Deciding again with the same (stale) candidate list sends nothing.
    #expect(try BrokerDecider.redrive(h.state, entries: due, to: nil, now: h.now, loader: h.loader).isEmpty)
    let (again, skipped) = BrokerDecider.redriveCandidates(h.state, topic: "t", selection: .init(), now: h.now)
    #expect(again.isEmpty && skipped == 1)
    let delivered = try h.consume("t", owner: "b")
    #expect(delivered.count == 1 && delivered[0].offset == 1 && delivered[0].attempt == 1)
  }

  @Test func aDuplicateIdempotencyKeyPublishesNothing() throws {
    var h = Harness()
    try h.create("t", partitions: 3)
    var e = Envelope()
    e.idempotencyKey = "order-1"
    let original = try h.publish("t", key: "x", envelope: e)
    var pending = BrokerDecider.Pending()
    let again = try BrokerDecider.publish(h.state, topic: "t", key: Array("x".utf8), value: [1], envelope: e, now: h.now, pending: &pending).get()
    #expect(again == .duplicate(of: MessageOrigin(topic: "t", partition: original.partition, offset: 0)))
    e.tenantID = "other"
    guard case .published = try BrokerDecider.publish(h.state, topic: "t", key: [], value: [1], envelope: e, now: h.now, pending: &pending).get() else {
      Issue.record("another tenant's key is a different identity")
      return
    }
    // Within one batch, the second of two identical keys is a duplicate of the first.
    e.idempotencyKey = "batch-key"
    let one = try BrokerDecider.publish(h.state, topic: "t", key: [], value: [1], envelope: e, now: h.now, pending: &pending).get()
    let two = try BrokerDecider.publish(h.state, topic: "t", key: [], value: [1], envelope: e, now: h.now, pending: &pending).get()
    guard case .published(let m) = one else { Issue.record("first not published"); return }
    #expect(two == .duplicate(of: MessageOrigin(topic: "t", partition: m.partition, offset: m.offset)))
  }

  @Test func aKeyCommittedInTheGroupIsSkippedNotDelivered() throws {
    var h = Harness()
    try h.create("t")
    var e = Envelope()
    e.idempotencyKey = "k1"
    try h.publish("t", envelope: e)
    _ = try h.consume("t", owner: "a")
    #expect(h.ack("t", owner: "a", offset: 0) == nil)
    #expect(h.state.consumeKeys.values.first?.status == .committed)
    // A redelivered copy with the same key (e.g. a redrive) is skipped by this group...
    try h.commit([.messagePublished(MessagePublished(topic: "t", partition: 0, offset: 1, key: [], value: [2], envelope: e))])
    #expect(try h.consume("t", owner: "a").isEmpty)
    #expect(h.state.cursor(topic: "t", group: "g", partition: 0).committed == 1)
    // ...but delivered to another group.
    #expect(try h.consume("t", group: "other", owner: "a").count == 1)
  }

  @Test func maxInflightCapsLiveLeasesPerPartition() throws {
    var h = Harness()
    try h.create("t")
    for _ in 0..<10 { try h.publish("t") }
    #expect(try h.consume("t", owner: "a", maxInflight: 3).count == 3)
    #expect(try h.consume("t", owner: "a", maxInflight: 3).isEmpty)
    #expect(h.ack("t", owner: "a", offset: 0) == nil)
    #expect(try h.consume("t", owner: "a", maxInflight: 3).map(\.offset) == [3])
  }

  @Test func producerLimitsCountOnlyActiveGroups() throws {
    var h = Harness()
    if let event = try BrokerDecider.createTopic(h.state, name: "t", partitions: 1, limits: ProducerLimits(maxBufferedMessages: 3)).get() {
      try h.commit([.topicCreated(event)])
    }
    for _ in 0..<5 { try h.publish("t") }  // no group yet: nothing counts
    _ = try h.consume("t", owner: "a", limit: 1)
    #expect(h.ack("t", owner: "a", offset: 0) == nil)
    var pending = BrokerDecider.Pending()
    guard case .failure(let r) = BrokerDecider.publish(h.state, topic: "t", key: [], value: [1], envelope: Envelope(), now: h.now, pending: &pending) else {
      Issue.record("not refused")
      return
    }
    #expect(r.code == .resourceExhausted && r.message.contains("partition_buffer_full"))
    h.now = h.now.adding(milliseconds: BrokerDecider.activeGroupWindowMs + 1)
    #expect((try? BrokerDecider.publish(h.state, topic: "t", key: [], value: [1], envelope: Envelope(), now: h.now, pending: &pending).get()) != nil)
  }

  /// Server-wide limits (serve's) apply to topics without limits of their own, and the
  /// refusal names the option that set them; a topic's own limits win.
  @Test func defaultProducerLimitsApplyToTopicsWithoutTheirOwn() throws {
    var h = Harness()
    try h.create("plain")
    if let event = try BrokerDecider.createTopic(h.state, name: "own", partitions: 1, limits: ProducerLimits(maxBufferedMessages: 5)).get() {
      try h.commit([.topicCreated(event)])
    }
    for topic in ["plain", "own"] {
      for _ in 0..<3 { try h.publish(topic) }
      _ = try h.consume(topic, owner: "a", limit: 1)
    }
    let serve = ProducerLimits(maxBufferedMessages: 3)
    var pending = BrokerDecider.Pending()
    func publish(_ topic: String) -> Result<BrokerDecider.Publication, BrokerRejection> {
      BrokerDecider.publish(h.state, topic: topic, key: [], value: [1], envelope: Envelope(), now: h.now, defaultLimits: serve, pending: &pending)
    }
    guard case .failure(let refused) = publish("plain") else {
      Issue.record("a topic without limits of its own ignored the default ones")
      return
    }
    #expect(refused.code == .resourceExhausted && refused.reason == "partition_buffer_full")
    #expect(refused.message.contains("serve --max-partition-msgs is 3"), "\(refused.message)")
    #expect((try? publish("own").get()) != nil)
  }

  @Test func seekMovesTheGroupAndDiscardsItsLeases() throws {
    var h = Harness()
    try h.create("t")
    for _ in 0..<5 { try h.publish("t") }
    _ = try h.consume("t", owner: "a")
    for offset in 0..<3 as Range<Int64> { #expect(h.ack("t", owner: "a", offset: offset) == nil) }
    let (plan, events) = try BrokerDecider.seek(h.state, topic: "t", group: "g", to: .offset(1), partition: nil)
    #expect(plan == [.init(partition: 0, from: 3, to: 1, discarded: 2)])
    try h.commit(events)
    #expect(try h.consume("t", owner: "b").map(\.offset) == [1, 2, 3, 4])
    let rows = BrokerDecider.lagRows(h.state, group: "g", topic: "t", now: h.now)
    #expect(rows.first?.committedOffset == 1 && rows.first?.lag == 4 && rows.first?.inflight == 4)
  }

  /// Random consume, ack, nack, lease expiry and restart by three owners: at the end every
  /// message is settled exactly once per group (acked or dead-lettered), never lost, never
  /// acked twice.
  @Test func randomInterleavingsSettleEveryMessageExactlyOnce() throws {
    var rng = TestSeed.generator(for: "interleavings")
    for round in 0..<20 {
      var h = Harness()
      try h.create("t", partitions: 2)
      let count = Int.random(in: 5...30, using: &rng)
      for i in 0..<count {
        try h.publish("t", key: "k\(i)", envelope: Bool.random(using: &rng) ? policy(Int.random(in: 1...3, using: &rng), Int64.random(in: 0...50, using: &rng)) : Envelope())
      }
      let owners = ["a", "b", "c"]
      for _ in 0..<400 {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...2:
          _ = try h.consume("t", owner: owners.randomElement(using: &rng)!, leaseMs: Int64.random(in: 10...200, using: &rng), limit: Int.random(in: 1...4, using: &rng))
        case 3...4, 5:
          let held = (0..<2).flatMap { p in h.state.cursor(topic: "t", group: "g", partition: p).inflight.map { (p, $0.key, $0.value.owner) } }
          guard let (partition, offset, owner) = held.randomElement(using: &rng) else { continue }
          var settled = Set<BrokerDecider.MessageRef>()
          if Bool.random(using: &rng), let e = try? BrokerDecider.ack(h.state, topic: "t", group: "g", owner: owner, partition: partition, offset: offset, settled: &settled).get() {
            try h.commit([.messageAcked(e)])
          } else {
            _ = h.nack("t", owner: owner, partition: partition, offset: offset, reason: "r")
          }
        case 6...7:
          h.now = h.now.adding(milliseconds: Int64.random(in: 1...150, using: &rng))
        default:
          // Restart: a new process folds the log from scratch.
          var fresh = BrokerState()
          for record in h.log { try fresh.apply(record, at: RecordPosition(segmentBaseLSN: 1, offset: Int(record.lsn) * 64)) }
          h.state = fresh
        }
      }
      // Drain: a diligent worker acks whatever it gets until nothing is left.
      for _ in 0..<200 {
        h.now = h.now.adding(milliseconds: 1000)
        let got = try h.consume("t", owner: "drain", leaseMs: 100_000, limit: 1000)
        for d in got { #expect(h.ack("t", owner: "drain", partition: d.partition, offset: d.offset) == nil) }
        if got.isEmpty && (0..<2).allSatisfy({ h.state.cursor(topic: "t", group: "g", partition: $0).inflight.isEmpty && h.state.cursor(topic: "t", group: "g", partition: $0).retries.isEmpty }) { break }
      }
      var settles: [MessageOrigin: Int] = [:]
      for record in h.log {
        switch try EventCodec.decode(record) {
        case .messageAcked(let e)?: settles[MessageOrigin(topic: e.topic, partition: e.partition, offset: e.offset), default: 0] += 1
        case .messageDeadLettered(let e)?: settles[e.source, default: 0] += 1
        default: break
        }
      }
      let messages = (0..<2).flatMap { p in (0..<(h.state.topics["t"]?.headOffset(p) ?? 0)).map { MessageOrigin(topic: "t", partition: p, offset: $0) } }
      #expect(messages.count == count)
      for message in messages {
        #expect(settles[message] == 1, "seed \(TestSeed.current) round \(round): \(message) settled \(settles[message] ?? 0) times")
      }
      #expect((0..<2).allSatisfy { h.state.cursor(topic: "t", group: "g", partition: $0).committed == (h.state.topics["t"]?.headOffset($0) ?? 0) - 1 })
    }
  }
}
