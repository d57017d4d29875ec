import ReplayEngine
import WALFormat

/// What ack and nack share: one message from flags, or many from NDJSON lines (a ConsumeItem
/// line as `consume` printed it is valid input), decided and committed in groups.
struct SettleRunner {
  enum Action {
    case ack
    case nack(reason: String)

    var verb: String {
      if case .ack = self { return "acked" }
      return "nacked"
    }
  }

  /// One message to settle, with its own reason when a batch line has one.
  struct Target {
    var line: Int
    var partition: Int
    var offset: Int64
    var reason: String?
  }

  let globals: GlobalOptions
  let topic: String
  let group: String
  let owner: String
  let action: Action

  func runOne(partition: Int, offset: Int64, in context: CommandContext) throws -> ExitStatus {
    if let client = try globals.remote() {
      let target = Target(line: 0, partition: partition, offset: offset)
      let response = try RemoteBroker(client: client, globals: globals, context: context).settle(path, bodies: [body(target)])[0]
      guard response.status == 204 || response.status == 200 else { throw remoteFailure(response) }
      context.stdout.line(render(target, outcome: .success(remoteEvents(target))))
      return .success
    }
    let broker = try LocalBackend.open(globals, context: context)
    let outcomes = try settle([Target(line: 0, partition: partition, offset: offset)], broker)
    if case .failure(let rejection) = outcomes[0] { throw rejection }
    context.stdout.line(render(Target(line: 0, partition: partition, offset: offset), outcome: outcomes[0]))
    noteDeadLetters(outcomes, context)
    return .success
  }

  func runBatch(in context: CommandContext) throws -> ExitStatus {
    let remote = try globals.remote().map { RemoteBroker(client: $0, globals: globals, context: context) }
    let broker = remote == nil ? try LocalBackend.open(globals, context: context) : nil
    var lineNumber = 0
    var settled = 0
    var failures = 0
    var finished = false
    var allOutcomes: [Result<[BrokerEvent], BrokerRejection>] = []
    while !finished {
      var targets: [Target] = []
      repeat {
        let line: [UInt8]?
        do { line = try context.stdin.readLine() } catch {
          throw CommandFailure(.failure, "an input line is longer than \(LineReader.maximumLineBytes) bytes")
        }
        guard let line else { finished = true; break }
        lineNumber += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
        do { targets.append(try parse(line, number: lineNumber)) } catch {
          failures += 1
          context.stderr.line("driftqctl: error: line \(lineNumber): \(error)")
          if globals.output != .text {
            context.stdout.line(JSONWriter.encode(.object([
              ("status", .string("rejected")), ("line", .int(lineNumber)), ("error", .string("invalid_input")), ("message", .string(error.description)),
            ])))
          }
        }
      } while targets.count < 8192 && context.stdin.hasBufferedLine()
      guard !targets.isEmpty else { continue }
      let outcomes: [Result<[BrokerEvent], BrokerRejection>]
      if let remote {
        outcomes = try remote.settle(path, bodies: targets.map(body)).enumerated().map { index, response in
          response.status == 204 || response.status == 200 ? .success(remoteEvents(targets[index]))
            : .failure(BrokerRejection(response.status == 409 ? .notOwner : .invalidArgument, remoteFailure(response).message))
        }
      } else if let broker {
        outcomes = try settle(targets, broker)
      } else {
        outcomes = []
      }
      allOutcomes += outcomes.filter { if case .success(let events) = $0 { return events.count > 1 } else { return false } }
      for (target, outcome) in zip(targets, outcomes) {
        switch outcome {
        case .success:
          settled += 1
          if globals.output != .text { context.stdout.line(render(target, outcome: outcome)) }
        case .failure(let rejection):
          failures += 1
          context.stderr.line("driftqctl: error: line \(target.line): \(rejection.message)")
          if globals.output != .text { context.stdout.line(render(target, outcome: outcome)) }
        }
      }
      context.stdout.flush()
      context.stderr.flush()
    }
    if globals.output == .text { context.stdout.line("\(action.verb)=\(settled) failed=\(failures)") }
    noteDeadLetters(allOutcomes, context)
    return failures == 0 ? .success : .failure
  }

  /// Decides every target against one state and commits the accepted ones in one write. A
  /// nack of a message's last allowed attempt also moves it to the DLQ in that write.
  private func settle(_ targets: [Target], _ broker: LocalBackend) throws -> [Result<[BrokerEvent], BrokerRejection>] {
    try broker.commit { state, now in
      var settled = Set<BrokerDecider.MessageRef>()
      var pending = BrokerDecider.Pending()
      var outcomes: [Result<[BrokerEvent], BrokerRejection>] = []
      for target in targets {
        switch action {
        case .ack:
          outcomes.append(BrokerDecider.ack(state, topic: topic, group: group, owner: owner, partition: target.partition, offset: target.offset, settled: &settled)
            .map { [.messageAcked($0)] })
        case .nack(let reason):
          do {
            outcomes.append(.success(try BrokerDecider.nack(
              state, topic: topic, group: group, owner: owner, partition: target.partition, offset: target.offset,
              reason: target.reason ?? reason, now: now, settled: &settled, pending: &pending, loader: broker.loader)))
          } catch let rejection as BrokerRejection {
            outcomes.append(.failure(rejection))
          }
        }
      }
      return (outcomes.flatMap { (try? $0.get()) ?? [] }, outcomes)
    }
  }

  // MARK: - Over HTTP

  private var path: String {
    if case .ack = action { return "/v1/ack" }
    return "/v1/nack"
  }

  /// DriftQ's ack/nack body.
  private func body(_ target: Target) -> JSONValue {
    var members: [(String, JSONValue)] = [
      ("topic", .string(topic)), ("group", .string(group)), ("owner", .string(owner)),
      ("partition", .int(target.partition)), ("offset", .int(target.offset)),
    ]
    if case .nack(let reason) = action, !(target.reason ?? reason).isEmpty { members.append(("reason", .string(target.reason ?? reason))) }
    return .object(members)
  }

  /// What a successful answer stands for, so output matches the local backend's.
  private func remoteEvents(_ target: Target) -> [BrokerEvent] {
    switch action {
    case .ack: return [.messageAcked(MessageAcked(topic: topic, group: group, partition: target.partition, offset: target.offset, owner: owner))]
    case .nack(let reason):
      let text = target.reason ?? reason
      return [.messageNacked(MessageNacked(topic: topic, group: group, partition: target.partition, offset: target.offset, owner: owner, reason: text.isEmpty ? "nack" : text))]
    }
  }

  private func remoteFailure(_ response: HTTPClient.Response) -> CommandFailure {
    HTTPClient.failure(response, action: action.verb == "acked" ? "ack" : "nack")
  }

  private func noteDeadLetters(_ outcomes: [Result<[BrokerEvent], BrokerRejection>], _ context: CommandContext) {
    for case .success(let events) in outcomes {
      for case .messageDeadLettered(let moved) in events {
        let attempts = moved.copy.envelope.dlq?.attempts ?? 0
        context.note("\(topic)/\(moved.source.partition) offset \(moved.source.offset) failed \(attempts) attempt\(attempts == 1 ? "" : "s"): moved to \(moved.copy.topic) partition \(moved.copy.partition) offset \(moved.copy.offset)")
      }
    }
  }

  private func parse(_ line: [UInt8], number: Int) throws(InputError) -> Target {
    let json: JSONValue
    do { json = try JSONParser.parse(bytes: line) } catch { throw InputError(error.description) }
    guard case .object = json else { throw InputError("expected a JSON object") }
    guard let partition = json["partition"]?.int64Value, partition >= 0, partition < Int64(NameRules.maximumPartitions) else {
      throw InputError("partition is missing or not a partition number")
    }
    guard let offset = json["offset"]?.int64Value, offset >= 0 else { throw InputError("offset is missing or not a non-negative integer") }
    var target = Target(line: number, partition: Int(partition), offset: offset)
    if case .nack = action, let reason = json["reason"] ?? json["error"] {
      guard let text = reason.stringValue else { throw InputError("reason must be a string") }
      target.reason = text
    }
    return target
  }

  private func render(_ target: Target, outcome: Result<[BrokerEvent], BrokerRejection>) -> String {
    var reason = ""
    var deadLetter: MessagePublished?
    if case .success(let events) = outcome {
      for event in events {
        if case .messageNacked(let e) = event { reason = e.reason }
        if case .messageDeadLettered(let moved) = event { deadLetter = moved.copy }
      }
    }
    switch globals.output {
    case .text:
      // Where a message was dead-lettered goes to stderr (a note): over HTTP DriftQ does not
      // say, and the two backends print the same stdout.
      return "\(action.verb) topic=\(topic) group=\(group) partition=\(target.partition) offset=\(target.offset)"
        + (reason.isEmpty ? "" : " reason=\(GoQuote.quote(reason))")
    case .json, .ndjson:
      var members: [(String, JSONValue)] = []
      switch outcome {
      case .success: members.append(("status", .string(action.verb)))
      case .failure(let rejection):
        members.append(("status", .string("rejected")))
        members.append(("error", .string(rejection.code.description)))
        members.append(("message", .string(rejection.message)))
      }
      if target.line > 0 { members.append(("line", .int(target.line))) }
      members += [("topic", .string(topic)), ("group", .string(group)), ("partition", .int(target.partition)), ("offset", .int(target.offset))]
      if !reason.isEmpty { members.append(("reason", .string(reason))) }
      if let deadLetter {
        members.append(("dead_lettered", .object([("topic", .string(deadLetter.topic)), ("partition", .int(deadLetter.partition)), ("offset", .int(deadLetter.offset))])))
      }
      return JSONWriter.encode(.object(members))
    }
  }
}
