import ReplayEngine
import WALFormat

/// driftqctl's `/debug` extensions for the broker commands DriftQ's API has no endpoint for:
/// `groups list`, `groups seek`, `dlq list` and `dlq redrive`. Each parses a request into the
/// same command value the local face builds, runs it through `BrokerCommands`, and answers
/// with `BrokerWire`'s shape; errors are plain text, as DriftQ's `/debug` routes.
struct DebugBrokerAPI {
  let service: BrokerService

  func groups() throws -> HTTPResponse {
    let groups = try service.read { broker, _ in BrokerCommands.groups(broker, now: WALTimestamp.now()) }
    return .json(200, BrokerWire.groups(groups))
  }

  func seek(_ request: HTTPRequest) throws -> HTTPResponse {
    let seek: SeekRequest
    do { seek = try BrokerWire.seekRequest(try body(request)) } catch { return Self.badRequest(error) }
    return try planned(execute: seek.execute, BrokerWire.seekPlan) { broker, _ in
      let decision = try BrokerDecider.seek(broker, topic: seek.topic, group: seek.group, to: seek.target, partition: seek.partition)
      return (decision.plan, decision.events)
    }
  }

  /// `POST /debug/topics/delete {"topic","execute"}`.
  func deleteTopic(_ request: HTTPRequest) throws -> HTTPResponse {
    let asked: (names: [String], execute: Bool)
    do { asked = try BrokerWire.removalRequest(try body(request), naming: ["topic"]) } catch { return Self.badRequest(error) }
    return try planned(execute: asked.execute, BrokerWire.topicRemoval) { broker, _ in
      try BrokerDecider.deleteTopic(broker, topic: asked.names[0])
    }
  }

  /// `POST /debug/groups/delete {"topic","group","execute"}`.
  func deleteGroup(_ request: HTTPRequest) throws -> HTTPResponse {
    let asked: (names: [String], execute: Bool)
    do { asked = try BrokerWire.removalRequest(try body(request), naming: ["topic", "group"]) } catch { return Self.badRequest(error) }
    return try planned(execute: asked.execute, BrokerWire.groupRemoval) { broker, now in
      try BrokerDecider.deleteGroup(broker, topic: asked.names[0], group: asked.names[1], now: now)
    }
  }

  /// `POST /debug/dlq/purge {"topic","older_than_ms"?,"key"?,"max"?,"execute"}`.
  func purge(_ request: HTTPRequest) throws -> HTTPResponse {
    let purge: PurgeRequest
    do { purge = try BrokerWire.purgeRequest(try body(request)) } catch { return Self.badRequest(error) }
    return try planned(execute: purge.execute, BrokerWire.purgeOutcome) { broker, now in
      let (events, outcome) = try BrokerCommands.purge(broker, purge, now: now)
      return (outcome, events)
    }
  }

  /// The answer of a command that is a plan until carried out (seek, redrive, the removals):
  /// decided on the state now (a dry run), or committed when `execute`, alone in its write.
  /// Decisions in one write see the same state: an ack decided beside a seek that discards
  /// its lease, a produce beside the deletion of its topic, or two redrives of one DLQ message
  /// would follow each other into the log, and it would no longer fold.
  private func planned<T>(
    execute: Bool, _ encode: (T) -> JSONValue, _ decide: @escaping (BrokerState, WALTimestamp) throws -> (T, [BrokerEvent])
  ) throws -> HTTPResponse {
    do {
      let plan: T
      if execute {
        plan = try service.commit(exclusive: true) { broker, _, now, _ in
          let (plan, events) = try decide(broker, now)
          return (events.map { .broker($0) }, plan)
        }
      } else {
        plan = try service.read { broker, _ in try decide(broker, WALTimestamp.now()).0 }
      }
      return .json(200, encode(plan))
    } catch let rejection as BrokerRejection {
      return RejectionWire.plainResponse(rejection)
    }
  }

  func deadLetters(_ request: HTTPRequest) throws -> HTTPResponse {
    guard let topic = request.query["topic"], !topic.isEmpty else { return .text(400, "missing topic") }
    do {
      let entries = try service.read { broker, _ in try BrokerCommands.deadLetters(broker, topic: topic) }
      return .json(200, BrokerWire.deadLetters(entries))
    } catch let rejection as BrokerRejection {
      return RejectionWire.plainResponse(rejection)
    }
  }

  func redrive(_ request: HTTPRequest) throws -> HTTPResponse {
    let redrive: RedriveRequest
    do { redrive = try BrokerWire.redriveRequest(try body(request)) } catch { return Self.badRequest(error) }
    let loader = service.loader
    return try planned(execute: !redrive.dryRun, BrokerWire.redriveOutcome) { broker, now in
      let (events, outcome) = try BrokerCommands.redrive(broker, redrive, now: now, loader: loader)
      return (outcome, events)
    }
  }

  /// `GET /debug/topics/tail?topic&(from[&partition]|cursor)&max[&wait_ms]`: messages read
  /// with no lease, and the cursor to resume from; with `wait_ms`, an empty answer waits (at
  /// most 10 s) for a write.
  func tail(_ request: HTTPRequest) throws -> HTTPResponse {
    let query = request.query
    guard let topic = query["topic"], !topic.isEmpty else { return V1API.invalid("missing topic") }
    let limit = Int(query["max"] ?? "").map { max(1, min($0, 1000)) } ?? 100
    let waitMs = Int(query["wait_ms"] ?? "").map { max(0, min($0, 10_000)) } ?? 0
    var cursor: TopicTail.Cursor
    do {
      if let text = query["cursor"] {
        guard let decoded = TopicTail.decode(text) else { return V1API.invalid("invalid cursor") }
        cursor = decoded
      } else {
        var partition: Int?
        if let text = query["partition"], !text.isEmpty {
          guard let p = Int(text), p >= 0 else { return V1API.invalid("invalid partition") }
          partition = p
        }
        let start: TopicTail.Start
        do { start = try TopicTail.Start.parse(query["from"] ?? "earliest", now: .now(), command: ["topics", "tail"]) } catch {
          return V1API.invalid(error.message)
        }
        cursor = try service.read { broker, _ in try TopicTail.cursor(broker, topic: topic, partition: partition, start: start) }
      }
      let deadline = MonotonicClock.nowMs() + Int64(waitMs)
      var seen = service.currentGeneration
      while true {
        let (messages, next) = try service.read { broker, _ in try TopicTail.read(broker, topic: topic, cursor: cursor, limit: limit) }
        let left = deadline - MonotonicClock.nowMs()
        if !messages.isEmpty || left <= 0 {
          let items = try messages.map { TopicTail.item(try service.message(at: $0.stored.position), topic: topic, time: $0.stored.publishedAt) }
          let body = "{\"ok\":true,\"topic\":" + JSONWriter.encode(.string(topic)) + ",\"messages\":[" + items.joined(separator: ",") + "],\"cursor\":\"" + TopicTail.encode(next) + "\"}\n"
          return HTTPResponse(status: 200, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
        }
        cursor = next
        seen = service.waitForChange(after: seen, milliseconds: Int(min(left, 250)))
      }
    } catch let rejection as BrokerRejection {
      return RejectionWire.response(rejection)
    }
  }

  /// A request body that does not parse: what is wrong with it (a `Malformed` names the
  /// part; its own description is worded for the client reading an answer).
  private static func badRequest(_ error: any Error) -> HTTPResponse {
    .text(400, "bad request: " + ((error as? BrokerWire.Malformed)?.what ?? "\(error)"))
  }

  private func body(_ request: HTTPRequest) throws -> JSONValue {
    do { return try JSONParser.parse(bytes: request.body) } catch { throw BrokerWire.Malformed(what: "the body is not JSON: \(error)") }
  }
}
