import ReplayEngine
import WALFormat

/// `GET /v1/consume`: leases messages to the stream's owner and writes one ConsumeItem per line.
///
/// Unlike DriftQ-Core, the status line and headers go out at once (clients need not wait for
/// the first message), and an idle stream gets a blank line every few seconds so proxies and
/// clients can tell it is alive (DriftQ's SDKs skip blank lines).
struct ConsumeStream {
  let service: BrokerService
  let maxInflight: Int?
  let keepAliveMs: Int64 = 5000
  let isStopping: () -> Bool

  static let keys: Set<String> = ["topic", "group", "owner", "lease_ms"]

  /// Validates the request; returns an error response, or nil when the stream may start.
  func check(_ request: HTTPRequest) -> (HTTPResponse?, (topic: String, group: String, owner: String, lease: Int64)) {
    let empty = ("", "", "", Int64(2000))
    let input: RequestInput
    do { input = try RequestInput(request, allowed: Self.keys) } catch { return (V1API.invalid(error.message), empty) }
    do {
      let topic = try input.string("topic"), group = try input.string("group"), owner = try input.string("owner")
      let lease = try input.integer("lease_ms", invalid: "invalid lease_ms") ?? 0
      guard !topic.isEmpty, !group.isEmpty, !owner.isEmpty else { return (V1API.invalid("topic, group, and owner are required"), empty) }
      guard lease >= 0, lease <= 86_400_000 else { return (V1API.invalid("invalid lease_ms"), empty) }
      let exists = (try? service.read { broker, _ in broker.topics[topic] != nil }) ?? false
      guard exists else { return (V1API.invalid("topic does not exist"), empty) }
      return (nil, (topic, group, owner, lease == 0 ? 2000 : lease))
    } catch {
      return (V1API.invalid(error.message), empty)
    }
  }

  /// Streams until the client goes away or the server stops.
  func run(fd: Int32, requestID: String, topic: String, group: String, owner: String, lease: Int64) {
    guard Socket.write(fd, HTTPResponse.streamHead(contentType: "application/x-ndjson; charset=utf-8", requestID: requestID)) else { return }
    var seen = service.currentGeneration
    var lastWrite = WALTimestamp.now()
    while !isStopping() && !Socket.peerClosed(fd) {
      func decide(_ broker: BrokerState, _ now: WALTimestamp) throws -> BrokerDecider.ConsumeDecision {
        try BrokerDecider.deliveries(broker, topic: topic, group: group, owner: owner, leaseMs: lease, now: now, limit: 256, maxInflight: maxInflight, loader: service.loader)
      }
      var leases: [MessageDelivered] = []
      do {
        // Decide on the current state first, without the writer lock: an idle stream then
        // never takes the lock nor splits other requests' group commits. Only a decision
        // that writes is made again, under the lock.
        if try service.read({ broker, _ in try !decide(broker, WALTimestamp.now()).events.isEmpty }) {
          leases = try service.commit(exclusive: true) { broker, _, now, _ in
            let decision = try decide(broker, now)
            return (decision.events.map { .broker($0) }, decision.leases)
          }
        }
      } catch {
        return  // the topic vanished or the log failed: end the stream
      }
      if !leases.isEmpty {
        guard let lines = try? items(leases, topic: topic, group: group) else { return }
        guard Socket.write(fd, HTTPResponse.chunk(Array(lines.utf8))) else { return }
        lastWrite = WALTimestamp.now()
        continue
      }
      if WALTimestamp.now().nanoseconds - lastWrite.nanoseconds > keepAliveMs * 1_000_000 {
        guard Socket.write(fd, HTTPResponse.chunk([10])) else { return }
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
