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
    let target = Target(line: 0, partition: partition, offset: offset)
    let outcome = try BrokerFace.open(globals, context).settle([request(target)])[0]
    let receipt = try outcome.get()
    context.stdout.line(render(target, outcome: outcome))
    noteDeadLetter(target, receipt, context)
    return .success
  }

  func runBatch(in context: CommandContext) throws -> ExitStatus {
    let broker = try BrokerFace.open(globals, context)
    var lineNumber = 0
    var settled = 0
    var failures = 0
    var finished = false
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
      let outcomes = try broker.settle(targets.map(request))
      for (target, outcome) in zip(targets, outcomes) {
        switch outcome {
        case .success(let receipt):
          settled += 1
          if globals.output != .text { context.stdout.line(render(target, outcome: outcome)) }
          noteDeadLetter(target, receipt, context)
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
    return failures == 0 ? .success : .failure
  }

  private func request(_ target: Target) -> SettleRequest {
    let settle: SettleRequest.Action
    switch action {
    case .ack: settle = .ack
    case .nack(let reason): settle = .nack(reason: target.reason ?? reason)
    }
    return SettleRequest(topic: topic, group: group, owner: owner, partition: target.partition, offset: target.offset, action: settle)
  }

  /// Where a nack moved its message, on stderr (a note, so stdout stays the same whatever
  /// the server says).
  private func noteDeadLetter(_ target: Target, _ receipt: SettleReceipt, _ context: CommandContext) {
    guard let moved = receipt.deadLettered else { return }
    let attempts = receipt.attempts
    context.note("\(topic)/\(target.partition) offset \(target.offset) failed \(attempts) attempt\(attempts == 1 ? "" : "s"): moved to \(moved.topic) partition \(moved.partition) offset \(moved.offset)")
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

  private func render(_ target: Target, outcome: Result<SettleReceipt, BrokerRejection>) -> String {
    let receipt = try? outcome.get()
    let reason = receipt?.reason ?? ""
    switch globals.output {
    case .text:
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
      if let moved = receipt?.deadLettered { members.append(("dead_lettered", PayloadRendering.origin(moved))) }
      return JSONWriter.encode(.object(members))
    }
  }
}
