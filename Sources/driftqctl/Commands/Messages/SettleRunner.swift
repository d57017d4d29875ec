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
    context.print(.object(json(target, outcome: outcome)) { text(target, receipt: receipt) + "\n" }, as: globals.output)
    noteDeadLetter(target, receipt, context)
    return .success
  }

  /// `--batch`: one result row per message in JSON (text prints only the closing summary).
  func runBatch(in context: CommandContext) throws -> ExitStatus {
    let broker = try BrokerFace.open(globals, context)
    var results = AnswerStream("results", format: globals.output, out: context.stdout)
    return try results.finishing { results in
      var input = BatchInput()
      var settled = 0
      while !input.finished {
        let targets = try read(&input, context, &results)
        guard !targets.isEmpty else { continue }
        for (target, outcome) in zip(targets, try broker.settle(targets.map(request))) {
          switch outcome {
          case .success(let receipt):
            settled += 1
            noteDeadLetter(target, receipt, context)
          case .failure(let rejection):
            input.failures += 1
            ErrorPresenter.report(rejection, line: target.line, in: context)
          }
          results.row(json(target, outcome: outcome))
        }
        context.stdout.flush()
        context.stderr.flush()
      }
      results.text("\(action.verb)=\(settled) failed=\(input.failures)")
      return input.failures == 0 ? .success : .failure
    }
  }

  /// Where `--batch` input stands: lines read, lines that failed, end of input.
  private struct BatchInput {
    var lineNumber = 0
    var failures = 0
    var finished = false
  }

  /// The next group of targets: up to 8192 lines, fewer when stdin has no complete line
  /// ready. A line that cannot be used is reported (stderr, and a rejected row) and counted.
  private func read(_ input: inout BatchInput, _ context: CommandContext, _ results: inout AnswerStream) throws -> [Target] {
    var targets: [Target] = []
    repeat {
      let line: [UInt8]?
      do { line = try context.stdin.readLine() } catch {
        throw CommandFailure(.failure, "an input line is longer than \(LineReader.maximumLineBytes) bytes")
      }
      guard let line else { input.finished = true; break }
      input.lineNumber += 1
      if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      do { targets.append(try parse(line, number: input.lineNumber)) } catch {
        input.failures += 1
        ErrorPresenter.report(error, line: input.lineNumber, in: context)
        results.row(.object([
          ("status", .string("rejected")), ("line", .int(input.lineNumber)), ("error", .string("invalid_input")), ("message", .string(error.description)),
        ]))
      }
    } while targets.count < 8192 && context.stdin.hasBufferedLine()
    return targets
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

  /// The Go driftqctl's line for a settled message.
  private func text(_ target: Target, receipt: SettleReceipt) -> String {
    let reason = receipt.reason ?? ""
    return "\(action.verb) topic=\(topic) group=\(group) partition=\(target.partition) offset=\(target.offset)"
      + (reason.isEmpty ? "" : " reason=\(GoQuote.quote(reason))")
  }

  /// A settled (or refused) message as one object.
  private func json(_ target: Target, outcome: Result<SettleReceipt, BrokerRejection>) -> JSONValue {
    let receipt = try? outcome.get()
    let reason = receipt?.reason ?? ""
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
    return .object(members)
  }
}
