import ReplayEngine
import WALFormat

/// `GET /v1/consume`: leases messages to the stream's owner and writes one ConsumeItem per line.
///
/// Unlike DriftQ-Core, the status line and headers go out at once (clients need not wait for
/// the first message), and an idle stream gets a blank line every few seconds so proxies and
/// clients can tell it is alive (DriftQ's SDKs skip blank lines).
///
/// A stream never writes a message it still holds a second time (`StreamHoldings`): a lease
/// that ran out while its message waited in this stream behind the worker's other messages
/// stays with this stream, where the worker will reach it, instead of queueing a duplicate
/// behind the original whose second ack would get 400.
struct ConsumeStream {
  let service: BrokerService
  /// The server's in-flight cap and default lease.
  let defaults: ServeDefaults
  let keepAliveMs: Int64 = 5000
  let isStopping: () -> Bool

  static let keys: Set<String> = ["topic", "group", "owner", "lease_ms", "max", "max_inflight", "until_idle"]

  /// A stream's parameters: DriftQ's, and driftqctl's extensions (`max`: lease at most N, then
  /// end; `max_inflight`: a lower cap for this stream; `until_idle`: end once nothing is
  /// deliverable now, with a last `{"stream_end":REASON}` line).
  struct Request: Sendable {
    var topic: String
    var group: String
    var owner: String
    var lease: Int64
    var max: Int?
    var maxInflight: Int?
    var untilIdle = false
  }

  struct Refusal: Error {
    var response: HTTPResponse
  }

  /// Validates the request: the stream to start, or the answer that refuses it.
  func check(_ request: HTTPRequest) -> Result<Request, Refusal> {
    func refuse(_ message: String) -> Result<Request, Refusal> { .failure(Refusal(response: V1API.invalid(message))) }
    let input: RequestInput
    do { input = try RequestInput(request, allowed: Self.keys) } catch { return refuse(error.message) }
    do {
      let topic = try input.string("topic"), group = try input.string("group"), owner = try input.string("owner")
      let lease = try input.integer("lease_ms", invalid: "invalid lease_ms") ?? 0
      guard !topic.isEmpty, !group.isEmpty, !owner.isEmpty else { return refuse("topic, group, and owner are required") }
      guard lease >= 0, lease <= 86_400_000 else { return refuse("invalid lease_ms") }
      let max = try input.integer("max", invalid: "invalid max")
      guard (max ?? 1) >= 1, (max ?? 1) <= Int64(Int32.max) else { return refuse("invalid max") }
      let cap = try input.integer("max_inflight", invalid: "invalid max_inflight")
      guard (cap ?? 1) >= 1, (cap ?? 1) <= 1_000_000 else { return refuse("invalid max_inflight") }
      let idle = try input.string("until_idle")
      let exists = (try? service.read { broker, _ in broker.topics[topic] != nil }) ?? false
      guard exists else { return refuse("topic does not exist") }
      // A stream may ask for a lower cap than the server's, never a higher one.
      let effectiveCap = [defaults.maxInflight, cap.map { Int($0) }].compactMap { $0 }.min()
      return .success(Request(
        topic: topic, group: group, owner: owner, lease: lease == 0 ? defaults.leaseMs : lease, max: max.map { Int($0) },
        maxInflight: effectiveCap, untilIdle: idle == "1" || idle == "true"))
    } catch {
      return refuse(error.message)
    }
  }

  /// Streams until the client goes away, the server stops, or the request's own end.
  func run(on channel: Channel, requestID: String, _ request: Request) {
    guard channel.write(HTTPResponse.streamHead(contentType: "application/x-ndjson; charset=utf-8", requestID: requestID)) else { return }
    var seen = service.currentGeneration
    var lastWrite = WALTimestamp.now()
    let started = WALTimestamp.now()
    var delivered = 0
    var deadLettered = 0
    var holdings = StreamHoldings(owner: request.owner)
    // Settled leases are swept from the holdings once they have doubled since the last sweep:
    // a sweep looks at every lease held, and a stream wakes after every write of the server,
    // so sweeping each time made a stream far ahead of its worker quadratic. Leases not swept
    // yet change nothing (a lease counts only while it is the group's current one).
    var sweepAt = 0
    func end(_ reason: String) {
      let line = JSONWriter.encode(.object([("stream_end", .string(reason)), ("dead_lettered", .int(deadLettered))])) + "\n"
      _ = channel.write(HTTPResponse.chunk(Array(line.utf8)) + HTTPResponse.chunk([]))
    }
    while !isStopping() && !channel.peerClosed() {
      let room = min(256, request.max.map { $0 - delivered } ?? Int.max)
      func decide(_ broker: BrokerState, _ now: WALTimestamp) throws -> BrokerDecider.ConsumeDecision {
        try BrokerDecider.deliveries(
          broker, topic: request.topic, group: request.group, owner: request.owner, leaseMs: request.lease, now: now, limit: room,
          maxInflight: request.maxInflight, ownLeasesSince: request.untilIdle ? started : nil, holdings: holdings,
          loader: service.loader)
      }
      var decision = BrokerDecider.ConsumeDecision()
      do {
        // Decide on the current state first, without the writer lock: an idle stream then
        // never takes the lock nor splits other requests' group commits. Only a decision
        // that writes is made again, under the lock.
        let first = try service.read { broker, _ in
          if holdings.count >= sweepAt {
            holdings.forgetSettled(in: broker, topic: request.topic, group: request.group)
            sweepAt = max(64, 2 * holdings.count)
          }
          return try decide(broker, WALTimestamp.now())
        }
        decision = first
        if !first.events.isEmpty {
          decision = try service.commit(exclusive: true) { broker, _, now, _ in
            let decision = try decide(broker, now)
            return (decision.events.map { .broker($0) }, decision)
          }
        }
      } catch {
        return  // the topic vanished or the log failed: end the stream
      }
      deadLettered += decision.deadLettered
      let leases = decision.leases
      holdings.record(leases)
      if !leases.isEmpty {
        guard let lines = try? items(leases, topic: request.topic, group: request.group) else { return }
        guard channel.write(HTTPResponse.chunk(Array(lines.utf8))) else { return }
        lastWrite = WALTimestamp.now()
        delivered += leases.count
        if let max = request.max, delivered >= max {
          if request.untilIdle { end("max") } else { _ = channel.write(HTTPResponse.chunk([])) }
          return
        }
        continue
      }
      if decision.events.isEmpty && request.untilIdle {
        end(decision.heldByInflightCap ? "inflight_cap" : "idle")
        return
      }
      if WALTimestamp.now().nanoseconds - lastWrite.nanoseconds > keepAliveMs * 1_000_000 {
        guard channel.write(HTTPResponse.chunk([10])) else { return }
        lastWrite = WALTimestamp.now()
      }
      // Wake on this server's writes at once; look again soon for other processes' writes and
      // for leases that expire.
      seen = service.waitForChange(after: seen, milliseconds: 100)
    }
  }

  private func items(_ leases: [MessageDelivered], topic: String, group: String) throws -> String {
    let found = try service.read { broker, _ in
      leases.map { lease in
        (broker.topics[topic]?.partitions[safe: lease.partition]?[safe: lease.offset]?.position,
         broker.cursor(topic: topic, group: group, partition: lease.partition).inflight[lease.offset]?.lastError ?? "")
      }
    }
    var text = ""
    for (lease, (position, lastError)) in zip(leases, found) {
      guard let position else { continue }
      let message = try service.message(at: position)
      text += PayloadRendering.consumeItem(message, attempts: lease.attempt, lastError: lastError) + "\n"
    }
    return text
  }
}
