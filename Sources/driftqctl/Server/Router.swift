import ReplayEngine
import WALFormat

/// Routes requests to `/v1/*`, `/metrics` and `/debug/*` (topics and runs), with DriftQ's 404
/// and 405 answers. The connection checked the token already, before reading any body.
struct Router {
  let v1: V1API
  let consume: ConsumeStream
  /// The token `HTTPConnection` requires of every request (nil: none).
  let token: String?
  let service: BrokerService
  let runs: DebugRunsAPI
  var brokerAPI: DebugBrokerAPI { DebugBrokerAPI(service: service) }

  /// What to do with a request: answer it, or stream (consume).
  enum Outcome {
    case respond(HTTPResponse)
    case stream(ConsumeStream.Request)
  }

  /// Routes a request; a produce, ack or nack is only queued for the next write (see
  /// `Prepared`), so a client's pipelined requests can all be queued before any is waited for.
  func prepare(_ request: HTTPRequest) -> (route: String, prepared: Prepared) {
    // `/debug/*` errors are plain text, as DriftQ's; `/v1/*` errors are JSON.
    let plainErrors = request.path.hasPrefix("/debug/")
    func refuse(_ methods: [String]) -> Prepared {
      var response = plainErrors ? HTTPResponse.text(405, "method not allowed") : .error(405, "METHOD_NOT_ALLOWED", "method not allowed")
      response.headers.append(("Allow", methods.joined(separator: ", ")))
      return .answer(response)
    }
    func allow(_ methods: [String], _ body: () throws -> HTTPResponse) -> Prepared {
      guard methods.contains(request.method) else { return refuse(methods) }
      do { return .answer(try body()) } catch {
        return .answer(plainErrors ? .text(500, "\(error)") : .error(500, "INTERNAL", "\(error)"))
      }
    }
    func write(_ queue: () -> Prepared) -> Prepared { request.method == "POST" ? queue() : refuse(["POST"]) }
    let path = request.path
    switch path {
    case "/v1/healthz": return (path, allow(["GET"]) { v1.healthz() })
    case "/v1/version": return (path, allow(["GET"]) { v1.version() })
    case "/v1/config": return (path, allow(["GET"]) { v1.config() })
    case "/v1/topics": return (path, allow(["GET", "POST"]) { request.method == "GET" ? try v1.listTopics() : try v1.createTopic(request) })
    case "/v1/produce": return (path, write { v1.produce(request) })
    case "/v1/ack": return (path, write { v1.settle(request, .ack) })
    case "/v1/nack": return (path, write { v1.settle(request, .nack) })
    case "/v1/ack-cumulative": return (path, write { v1.settle(request, .ackCumulative) })
    case "/v1/consume":
      guard request.method == "GET" else { return (path, refuse(["GET"])) }
      switch consume.check(request) {
      case .failure(let refusal): return (path, .answer(refusal.response))
      case .success(let stream): return (path, .done(.stream(stream)))
      }
    case "/metrics": return (path, allow(["GET"]) { metrics() })
    case "/debug/topics": return (path, allow(["GET"]) { try debugTopics() })
    case "/debug/topics/lag": return (path, allow(["GET"]) { try debugLag(request) })
    case "/debug/topics/peek": return (path, allow(["GET"]) { try debugPeek(request) })
    case "/debug/topics/tail": return (path, allow(["GET"]) { try brokerAPI.tail(request) })
    case "/debug/groups": return (path, allow(["GET"]) { try brokerAPI.groups() })
    case "/debug/groups/seek": return (path, allow(["POST"]) { try brokerAPI.seek(request) })
    case "/debug/dlq": return (path, allow(["GET"]) { try brokerAPI.deadLetters(request) })
    case "/debug/dlq/redrive": return (path, allow(["POST"]) { try brokerAPI.redrive(request) })
    case "/debug/dlq/purge": return (path, allow(["POST"]) { try brokerAPI.purge(request) })
    case "/debug/topics/delete": return (path, allow(["POST"]) { try brokerAPI.deleteTopic(request) })
    case "/debug/groups/delete": return (path, allow(["POST"]) { try brokerAPI.deleteGroup(request) })
    case "/debug/runs": return (path, allow(["GET"]) { try runs.runs(request) })
    case "/debug/run": return (path, allow(["GET"]) { try runs.status(request) })
    case "/debug/run-state": return (path, allow(["GET"]) { try runs.state(request) })
    case "/debug/run-demo": return (path, allow(["POST"]) { try runs.demo(request) })
    case "/debug/run-spec": return (path, allow(["POST"]) { try runs.spec(request) })
    case "/debug/run-replay": return (path, allow(["POST"]) { try runs.replay(request) })
    case "/debug/run-cancel": return (path, allow(["POST"]) { try runs.cancel(request) })
    case "/debug/runs/delete": return (path, allow(["POST"]) { try runs.delete(request) })
    case "/debug/run-resume": return (path, allow(["POST"]) { try runs.resume(request) })
    case "/debug/run-log": return (path, allow(["GET"]) { try runs.log(request) })
    case "/debug/run-artifacts": return (path, allow(["GET"]) { try runs.artifacts(request) })
    case "/debug/artifact-meta": return (path, allow(["GET"]) { runs.artifactMeta(request) })
    case "/debug/artifact-get": return (path, allow(["GET"]) { runs.artifactGet(request) })
    case "/debug/index/active": return (path, allow(["GET"]) { try runs.activeIndex() })
    case "/debug/index/promote": return (path, allow(["POST"]) { try runs.promote(request) })
    case "/debug/index/rollback": return (path, allow(["POST"]) { try runs.rollback(request) })
    default:
      if path.hasPrefix("/v1/") || path == "/v1" {
        return ("/v1/*", .answer(HTTPResponse(status: 404, headers: [("Content-Type", "text/plain; charset=utf-8")], body: Array("404 page not found\n".utf8))))
      }
      return ("other", .answer(.error(404, "NOT_FOUND", "use /v1/* endpoints")))
    }
  }

  /// DriftQ's answer to a request without the token.
  static let unauthenticated = HTTPResponse.error(401, "UNAUTHENTICATED", "missing or invalid bearer token")

  /// `Authorization: Bearer TOKEN`, the scheme in any case, the token compared in time that
  /// does not depend on where it first differs.
  static func authorized(_ header: String?, token: String) -> Bool {
    guard let header, header.utf8.count > 7, header.prefix(7).lowercased() == "bearer " else { return false }
    let given = Array(header.utf8.dropFirst(7)), expected = Array(token.utf8)
    var difference = UInt8(given.count == expected.count ? 0 : 1)
    for i in 0..<expected.count { difference |= expected[i] ^ (i < given.count ? given[i] : 0) }
    return difference == 0
  }

  /// DriftQ's `/debug/topics`: names with message counts.
  func debugTopics() throws -> HTTPResponse {
    let topics = try service.read { broker, _ in BrokerCommands.topics(broker) }
    // `partitions` is ours (DriftQ lists names and counts): `topics list` shows both faces alike.
    return .prettyJSON(200, .object([("ok", .bool(true)), ("topics", .array(topics.map {
      .object([("topic", .string($0.name)), ("messages", .int($0.messages ?? 0)), ("partitions", .int($0.partitions ?? 0))])
    }))]))
  }

  /// DriftQ's `/debug/topics/peek` (which DriftQ-Core leaves unimplemented): the oldest
  /// messages, read without leasing. `partition` is ours.
  func debugPeek(_ request: HTTPRequest) throws -> HTTPResponse {
    let query = request.query
    guard let topic = query["topic"], !topic.isEmpty else { return .text(400, "missing topic") }
    let limit = Int(query["limit"] ?? "").map { max(1, min($0, TopicPeek.maximum)) } ?? 10
    var partition: Int?
    if let text = query["partition"], !text.isEmpty, text != "-1" {
      guard let p = Int(text), p >= 0 else { return .text(400, "invalid partition") }
      partition = p
    }
    let stored: [StoredMessage]
    do { stored = try service.read { broker, _ in try TopicPeek.oldest(broker, topic: topic, partition: partition, limit: limit) } } catch let rejection as BrokerRejection {
      return RejectionWire.plainResponse(rejection)
    }
    let items = try stored.map { PayloadRendering.consumeItem(try service.message(at: $0.position), attempts: 0, lastError: "") }
    let body = Array((TopicPeek.document(topic: topic, limit: limit, items: items) + "\n").utf8)
    return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: body)
  }

  /// DriftQ's `/debug/topics/lag`; its errors are plain text, as DriftQ's `/debug` routes.
  func debugLag(_ request: HTTPRequest) throws -> HTTPResponse {
    let query = request.query
    guard let group = query["group"], !group.isEmpty else { return .text(400, "missing group") }
    let topic = query["topic"].flatMap { $0.isEmpty ? nil : $0 }
    var only: Int?
    if let text = query["partition"], !text.isEmpty, text != "-1" {
      guard let p = Int(text) else { return .text(400, "invalid partition") }
      only = p
    }
    // A copy of the state (a value), so the rows are computed without holding the lock.
    let broker = try service.read { broker, _ in broker }
    let answer: LagAnswer
    do { answer = try BrokerCommands.lag(broker, group: group, topic: topic, now: WALTimestamp.now()) } catch {
      return RejectionWire.plainResponse(error)
    }
    let rows = answer.rows.filter { only == nil || $0.partition == only }
    guard case .object(var members) = LagRendering.document(group: group, topic: topic, rows: rows) else { return .text(500, "lag") }
    members.append(("group_exists", .bool(answer.groupExists)))  // ours: DriftQ's has no such field
    return .prettyJSON(200, .object(members))
  }

  /// Prometheus text: the request and write counters, and DriftQ's broker gauges.
  func metrics() -> HTTPResponse {
    // A copy of the state (a value): the text is built without holding the lock writers need.
    let gauges = (try? service.read { broker, _ in broker }).map { Self.gauges($0, now: WALTimestamp.now()) } ?? ""
    let text = service.metrics.exposition() + gauges
    return HTTPResponse(status: 200, headers: [("Content-Type", "text/plain; version=0.0.4; charset=utf-8")], body: Array(text.utf8))
  }

  /// DriftQ's broker gauges: in-flight leases and lag per group partition, DLQ moves.
  private static func gauges(_ broker: BrokerState, now: WALTimestamp) -> String {
    var inflight = "# HELP inflight_messages Unacked leases per topic, group and partition.\n# TYPE inflight_messages gauge\n"
    var lag = "# HELP consumer_lag Messages after the committed offset.\n# TYPE consumer_lag gauge\n"
    for key in broker.groups.keys.sorted() {
      for row in BrokerDecider.lagRows(broker, group: key.group, topic: key.topic, now: now) {
        let labels = "topic=\"\(row.topic)\",group=\"\(row.group)\",partition=\"\(row.partition)\""
        inflight += "inflight_messages{\(labels)} \(row.inflight)\n"
        lag += "consumer_lag{\(labels)} \(row.lag)\n"
      }
    }
    var dlq = "# HELP dlq_messages_total Messages moved to a DLQ.\n# TYPE dlq_messages_total counter\n"
    for (topic, entries) in broker.deadLetters.sorted(by: { $0.key < $1.key }) {
      for (reason, count) in Dictionary(grouping: entries, by: \.info.reason).mapValues(\.count).sorted(by: { $0.key < $1.key }) {
        dlq += "dlq_messages_total{topic=\"\(topic)\",reason=\"\(reason)\"} \(count)\n"
      }
    }
    return inflight + lag + dlq
  }
}
