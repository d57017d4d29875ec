#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// `publish`: appends messages durably and prints where each landed.
struct PublishCommand: Command {
  static let key = OptionSpec("key", placeholder: "KEY", help: "Message key (chooses the partition; empty goes to 0).")
  static let value = OptionSpec("value", placeholder: "TEXT", help: "Message value.")
  static let valueFile = OptionSpec("value-file", placeholder: "FILE", help: "Read the value from a file (bytes as they are).")
  static let topicOption = OptionSpec.topic.with(required: false)
  static let groupSize = OptionSpec("group-size", placeholder: "N", help: "With --batch: at most N messages per fdatasync (1: each line its own commit).", default: "8192")

  static let spec = CommandSpec(
    ["publish"], abstract: "Publish a message, or NDJSON lines from stdin with --batch; prints partition and offset.",
    discussion: """
      A message is acknowledged (printed) only after it is fsynced. A repeated idempotency key
      (same tenant, final topic and key) writes nothing and answers with the original's partition
      and offset, marked duplicate. A topic's producer limits refuse with exit 5. With --batch, each stdin line is
      {"topic"?,"key"?,"value":"...","value_encoding"?:"base64","envelope"?:{...}} (DriftQ's produce body);
      lines are committed in groups with one fdatasync per group, and each output line is printed
      only once its group is durable. A bad line is reported on stderr and skipped (exit 1 at the end).
      """,
    options: [topicOption, key, value, valueFile] + EnvelopeInput.options + [.batch, groupSize],
    examples: [
      "driftqctl publish --topic orders --key cust-1 --value '{\"order\":1}'",
      "printf '%s\\n' '{\"key\":\"a\",\"value\":\"x\"}' | driftqctl publish --topic orders --batch",
    ])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String?
  let keyBytes: [UInt8]
  let valueSource: ValueSource?
  let envelope: Envelope
  let batch: Bool
  let maximumGroup: Int

  enum ValueSource { case text(String), file(String) }

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    batch = args.flag(.batch)
    topic = args.value(Self.topicOption)
    keyBytes = Array((args.value(Self.key) ?? "").utf8)
    let text = args.value(Self.value)
    let file = args.value(Self.valueFile)
    if text != nil && file != nil { throw UsageError("give --value or --value-file, not both", command: Self.spec.path) }
    valueSource = text.map { .text($0) } ?? file.map { .file($0) }
    envelope = try EnvelopeInput.parse(&args)
    maximumGroup = Int(try args.integer(Self.groupSize, in: 1...65_536) ?? 8192)
    if args.isGiven(Self.groupSize) && !batch {
      throw UsageError("--group-size applies to --batch", command: Self.spec.path)
    }
    if batch {
      if valueSource != nil || args.isGiven(Self.key) {
        throw UsageError("--batch reads keys and values from stdin; --key/--value/--value-file do not apply", command: Self.spec.path)
      }
    } else {
      if topic == nil { throw UsageError("missing required option --topic", command: Self.spec.path) }
      if valueSource == nil { throw UsageError("missing --value or --value-file", command: Self.spec.path) }
    }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let remote = try globals.remote().map { RemoteBroker(client: $0, globals: globals, context: context) }
    if batch {
      if let remote { return try runBatch(remote, context) }
      return try runBatch(try LocalBackend.open(globals, context: context), context)
    }
    let value: [UInt8]
    switch valueSource {
    case .text(let text): value = Array(text.utf8)
    case .file(let path): value = try Self.readValueFile(path)
    case nil: value = []
    }
    if let remote {
      let topic = self.topic ?? ""
      context.stdout.line(try remote.publish(try RemoteBroker.produceBody(topic: topic, key: keyBytes, value: value, envelope: envelope), requested: topic))
      return .success
    }
    return try runOne(try LocalBackend.open(globals, context: context), value: value, context)
  }

  /// `--batch` against a server: each group of lines is sent pipelined on one connection.
  private func runBatch(_ remote: RemoteBroker, _ context: CommandContext) throws -> ExitStatus {
    var overloaded = false
    var reader = BatchReader()
    while !reader.finished {
      var items: [(Item, JSONValue)] = []
      for item in try reader.group(of: min(maximumGroup, 256), self, context) {
        do {
          items.append((item, try RemoteBroker.produceBody(topic: item.topic, key: item.key, value: item.value, envelope: item.envelope)))
        } catch {
          reader.failures += 1
          context.stderr.line("driftqctl: error: line \(item.line): \(ErrorPresenter.classify(error).1)")
        }
      }
      guard !items.isEmpty else { continue }
      for ((item, _), response) in zip(items, try remote.publish(batch: items.map(\.1))) {
        if response.status == 200 {
          context.stdout.line(remote.render(response, requested: item.topic))
        } else {
          reader.failures += 1
          if response.status == 429 { overloaded = true }
          context.stderr.line("driftqctl: error: line \(item.line): \(HTTPClient.failure(response, action: "publish").message)")
        }
      }
      context.stdout.flush()
      context.stderr.flush()
      if context.stdout.isBroken { break }
    }
    return overloaded ? .unavailable : reader.failures == 0 ? .success : .failure
  }

  private func runOne(_ broker: LocalBackend, value: [UInt8], _ context: CommandContext) throws -> ExitStatus {
    let topic = self.topic ?? ""
    let outcome = try broker.commit { state, now in
      var pending = BrokerDecider.Pending()
      let outcome = try BrokerDecider.publish(state, topic: topic, key: keyBytes, value: value, envelope: envelope, now: now, pending: &pending).get()
      if case .published(let message) = outcome { return ([.messagePublished(message)], outcome) }
      return ([], outcome)
    }
    context.stdout.line(Self.render(outcome, requested: topic, format: globals.output))
    return .success
  }

  /// One line from stdin, parsed.
  struct Item {
    var line: Int
    var topic: String
    var key: [UInt8]
    var value: [UInt8]
    var envelope: Envelope
  }

  private func runBatch(_ broker: LocalBackend, _ context: CommandContext) throws -> ExitStatus {
    var overloaded = false
    var reader = BatchReader()
    while !reader.finished {
      let items = try reader.group(of: maximumGroup, self, context)
      guard !items.isEmpty else { continue }
      let outcomes = try broker.commit { state, now in
        var pending = BrokerDecider.Pending()
        var events: [BrokerEvent] = []
        var outcomes: [Result<BrokerDecider.Publication, BrokerRejection>] = []
        for item in items {
          let decision = BrokerDecider.publish(state, topic: item.topic, key: item.key, value: item.value, envelope: item.envelope, now: now, pending: &pending)
          if case .success(.published(let message)) = decision { events.append(.messagePublished(message)) }
          outcomes.append(decision)
        }
        return (events, outcomes)
      }
      for (item, outcome) in zip(items, outcomes) {
        switch outcome {
        case .success(let publication): context.stdout.line(Self.render(publication, requested: item.topic, format: globals.output))
        case .failure(let rejection):
          reader.failures += 1
          if rejection.code == .resourceExhausted { overloaded = true }
          context.stderr.line("driftqctl: error: line \(item.line): \(rejection.message)")
        }
      }
      context.stdout.flush()
      context.stderr.flush()
      if context.stdout.isBroken { break }
    }
    return overloaded ? .unavailable : reader.failures == 0 ? .success : .failure
  }

  /// Reads `--batch` input a group at a time: up to `size` lines, or fewer when stdin has no
  /// complete line ready (so a slow producer's lines are acknowledged promptly). Bad lines are
  /// reported on stderr and counted.
  struct BatchReader {
    var lineNumber = 0
    var failures = 0
    var finished = false

    mutating func group(of size: Int, _ command: PublishCommand, _ context: CommandContext) throws -> [Item] {
      var items: [Item] = []
      var bytes = 0
      repeat {
        guard let line = try command.readLine(context) else { finished = true; break }
        lineNumber += 1
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
        do {
          let item = try command.parseLine(line, number: lineNumber)
          bytes += item.value.count + item.key.count
          items.append(item)
        } catch {
          failures += 1
          context.stderr.line("driftqctl: error: line \(lineNumber): \(error)")
        }
      } while items.count < size && bytes < 8 << 20 && context.stdin.hasBufferedLine()
      return items
    }
  }

  fileprivate func readLine(_ context: CommandContext) throws -> [UInt8]? {
    do { return try context.stdin.readLine() } catch {
      throw CommandFailure(.failure, "an input line is longer than \(LineReader.maximumLineBytes) bytes")
    }
  }

  func parseLine(_ line: [UInt8], number: Int) throws(InputError) -> Item {
    let json: JSONValue
    do { json = try JSONParser.parse(bytes: line) } catch { throw InputError(error.description) }
    guard case .object(let members) = json else { throw InputError("expected a JSON object") }
    var item = Item(line: number, topic: topic ?? "", key: [], value: [], envelope: envelope)
    var base64 = false
    var valueText: String?
    for (name, value) in members {
      switch name {
      case "topic":
        guard let text = value.stringValue else { throw InputError("topic must be a string") }
        item.topic = text
      case "key":
        guard let text = value.stringValue else { throw InputError("key must be a string") }
        item.key = Array(text.utf8)
      case "value":
        guard let text = value.stringValue else { throw InputError("value must be a string (JSON-encode structured payloads), got \(value.typeName)") }
        valueText = text
      case "value_encoding":
        guard let text = value.stringValue, text == "base64" || text == "utf8" else { throw InputError("value_encoding must be \"base64\" or \"utf8\"") }
        base64 = text == "base64"
      case "envelope":
        item.envelope = try EnvelopeInput.parse(json: value)
      default:
        throw InputError("unknown field \"\(name)\"")
      }
    }
    guard let valueText else { throw InputError("value is required") }
    if base64 {
      guard let bytes = Base64.decode(valueText) else { throw InputError("value is not valid base64") }
      item.value = bytes
    } else {
      item.value = Array(valueText.utf8)
    }
    if item.topic.isEmpty { throw InputError("no topic: give --topic or a \"topic\" field") }
    return item
  }

  /// One output line: where the message landed, or, for a duplicate, where the original is.
  static func render(_ publication: BrokerDecider.Publication, requested: String, format: OutputFormat) -> String {
    let place: MessageOrigin
    let duplicate: Bool
    switch publication {
    case .published(let message): place = MessageOrigin(topic: message.topic, partition: message.partition, offset: message.offset); duplicate = false
    case .duplicate(let original): place = original; duplicate = true
    }
    switch format {
    case .text:
      return "topic=\(place.topic) partition=\(place.partition) offset=\(place.offset)" + (duplicate ? " duplicate" : "")
    case .json, .ndjson:
      var w = JSONWriter(capacity: 96)
      w.raw("{\"status\":\"produced\",\"topic\":")
      w.string(requested)
      if requested != place.topic {
        w.raw(",\"target_topic\":")
        w.string(place.topic)
      }
      w.raw(",\"partition\":")
      w.integer(place.partition)
      w.raw(",\"offset\":")
      w.integer(place.offset)
      if duplicate { w.raw(",\"duplicate\":true") }
      w.raw("}")
      return w.text
    }
  }

  static func readValueFile(_ path: String) throws -> [UInt8] {
    do {
      let bytes = try Syscalls.readSmallFile(path, limit: NameRules.maximumValueBytes + 1)
      guard bytes.count <= NameRules.maximumValueBytes else {
        throw CommandFailure(.failure, "\(path) is larger than the \(NameRules.maximumValueBytes)-byte value limit")
      }
      return bytes
    } catch let errno as Errno {
      throw CommandFailure(errno == .noSuchFile ? .notFound : .failure, "cannot read --value-file \(path): \(errno)")
    }
  }
}
