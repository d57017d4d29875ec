import Foundation
import Testing
import TestSupport

/// `serve` with its defaults under the load that broke it: DriftQ's starter worker (one
/// message at a time, lease 30 s, about 1.75 s a message) and a burst of runs. The times are
/// scaled down: the worker spends 40 ms on a message and leases for 600 ms, shorter than the
/// 32 messages that `serve` used to push ahead into the stream would take it. (The 40 ms are
/// the worker's work, never a wait for the server: it reads the stream and answers each
/// message in turn.) Which runs fail is drawn from the printed seed.
@Suite struct StarterWorkerTests {
  static let runs = 40
  static let leaseMs = 600
  static let workMs = 40

  @Test func aBurstReachesAStarterShapedWorkerOnceEachWithinItsLease() throws {
    #expect(Self.leaseMs < 32 * Self.workMs, "the lease must be shorter than 32 messages of work")
    var rng = TestSeed.generator(for: "starter-burst")
    let names = (0..<Self.runs).map { "r\($0)" }
    let failing = Set(names.shuffled(using: &rng).prefix(Int.random(in: 8...16, using: &rng)))
    let seed = "seed \(TestSeed.current), failing \(failing.sorted())"

    let cli = CLIProcess(TemporaryDirectory("e2e-starter"))
    let server = try ServeProcess(cli)
    let c = server.client
    for topic in ["runs.commands", "runs.dlq"] {
      #expect(c.request("POST", "/v1/topics", body: #"{"name":"\#(topic)","partitions":1}"#)?.status == 201)
    }
    // The burst: every run created before the worker takes the first, as the starter's API does.
    for name in names {
      let command = #"{"topic":"runs.commands","value":"{\"run_id\":\"\#(name)\"}","envelope":{"idempotency_key":"cmd:\#(name):0"}}"#
      #expect(c.request("POST", "/v1/produce", body: command)?.status == 200)
    }
    let worker = StarterShapedWorker(client: c, topic: "runs.commands", deadLetterTopic: "runs.dlq", group: "demo-worker", workMs: Self.workMs)
    let expected = Self.runs + 2 * failing.count  // a failing run is delivered 3 times
    worker.run(leaseMs: Self.leaseMs, runs: Set(names), failing: failing, deliveryLimit: 3 * expected)
    #expect(server.stop() == 0)

    // Every run ended: succeeded, or dead-lettered by the worker.
    #expect(worker.succeeded == Set(names).subtracting(failing), "\(seed)")
    // Exactly one dead letter per failing run, and none for the others.
    #expect(worker.deadLettered.sorted() == failing.sorted(), "\(seed)")
    let appDLQ = try cli.run(["wal", "dump", "--kind", "message_published", "--topic", "runs.dlq"]).lines
    #expect(appDLQ.count == failing.count, "\(seed)")
    // No duplicate delivery: each run came once per attempt, with the broker's attempts.
    #expect(worker.received.count == expected, "\(seed)")
    for item in worker.received {
      #expect(item.attempts == item.workerAttempt, "\(item.run) came with attempts \(item.attempts) on the worker's attempt \(item.workerAttempt); \(seed)")
    }
    // No 400 (or any refusal) on an ack or nack.
    let refused = worker.settled.filter { $0.status != 204 }
    #expect(refused.isEmpty, "\(refused.count) acks/nacks refused, first \(refused.prefix(3)); \(seed)")
    // No lease expiry: no item says ack_timeout, and the log has every ack and nack within its
    // lease and no delivery beyond the expected ones.
    #expect(worker.received.allSatisfy { !$0.lastError.contains("ack_timeout") }, "\(seed)")
    let audit = LeaseAudit(dump: try cli.run(["wal", "dump"]).lines, topic: "runs.commands", group: "demo-worker")
    #expect(audit.late.isEmpty, "\(audit.late.count) leases expired, first \(audit.late.prefix(3)); \(seed)")
    #expect(audit.redeliveredAfterExpiry.isEmpty, "\(audit.redeliveredAfterExpiry.count) redelivered after their lease expired; \(seed)")
    #expect(audit.deliveries.count == expected, "\(seed)")
  }
}
