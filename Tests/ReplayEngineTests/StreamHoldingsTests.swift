@testable import ReplayEngine
import Testing
import TestSupport
import WALFormat

/// A consume stream never receives a message it still holds, even once the lease ran out
/// while the message waited in the stream behind others.
@Suite struct StreamHoldingsTests {
  /// Leases to `holdings`' owner as a stream does: what it holds is passed in, what it gets
  /// is remembered.
  func stream(_ h: inout Harness, _ holdings: inout StreamHoldings, leaseMs: Int64 = 100, maxInflight: Int? = 2) throws -> [MessageDelivered] {
    holdings.forgetSettled(in: h.state, topic: "t", group: "g")
    let d = try BrokerDecider.deliveries(
      h.state, topic: "t", group: "g", owner: holdings.owner, leaseMs: leaseMs, now: h.now, limit: 100, maxInflight: maxInflight,
      holdings: holdings, loader: h.loader)
    try h.commit(d.events)
    holdings.record(d.leases)
    return d.leases
  }

  @Test func anExpiredLeaseIsNotSentAgainIntoTheStreamThatHoldsIt() throws {
    var h = Harness()
    try h.create("t")
    for _ in 0..<4 { try h.publish("t") }
    var worker = StreamHoldings(owner: "w")
    #expect(try stream(&h, &worker).map(\.offset) == [0, 1])
    h.now = h.now.adding(milliseconds: 500)  // both leases ran out while the worker was busy
    // No second copy of 0 or 1, and no new message either: the expired leases it holds still
    // count against its cap of 2.
    #expect(try stream(&h, &worker).isEmpty)
    // The worker reaches them at last: its acks are accepted (the leases were never moved).
    #expect(h.ack("t", owner: "w", offset: 0) == nil)
    #expect(h.ack("t", owner: "w", offset: 1) == nil)
    #expect(try stream(&h, &worker).map { [$0.offset, Int64($0.attempt)] } == [[2, 1], [3, 1]])
  }

  @Test func anotherConsumerOrAReconnectedOwnerStillTakesAnExpiredLease() throws {
    var h = Harness()
    try h.create("t")
    try h.publish("t")
    var first = StreamHoldings(owner: "w")
    #expect(try stream(&h, &first).count == 1)
    h.now = h.now.adding(milliseconds: 500)
    // Another worker of the group: the lease is what lets it take over.
    var other = StreamHoldings(owner: "x")
    #expect(try stream(&h, &other).map(\.attempt) == [2])
    #expect(h.ack("t", owner: "w", offset: 0)?.code == .notOwner)
    // The first stream no longer holds it (another consumer took it) and forgets it.
    first.forgetSettled(in: h.state, topic: "t", group: "g")
    #expect(first.count == 0)
    h.now = h.now.adding(milliseconds: 500)
    // A new connection of the same owner is a new stream: the old one's queue is gone with it.
    var reconnected = StreamHoldings(owner: "x")
    #expect(try stream(&h, &reconnected).map(\.attempt) == [3])
  }

  @Test func aNackedMessageComesBackToTheSameStream() throws {
    var h = Harness()
    try h.create("t")
    try h.publish("t")
    var worker = StreamHoldings(owner: "w")
    #expect(try stream(&h, &worker).count == 1)
    #expect(h.nack("t", owner: "w", offset: 0, reason: "boom") == nil)
    #expect(try stream(&h, &worker).map(\.attempt) == [2])
    #expect(worker.count == 1)
    #expect(h.ack("t", owner: "w", offset: 0) == nil)
    worker.forgetSettled(in: h.state, topic: "t", group: "g")
    #expect(worker.count == 0)
  }
}
