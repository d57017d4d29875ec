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

  enum ValueSource { case text([UInt8]), file(String) }

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    batch = args.flag(.batch)
    topic = args.value(Self.topicOption)
    keyBytes = ArgumentBytes.bytes(of: args.value(Self.key) ?? "")
    let text = args.value(Self.value).map(ArgumentBytes.bytes(of:))
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
    if batch { return try runBatch(try BrokerFace.open(globals, context), context) }
    let value: [UInt8]
    switch valueSource {
    case .text(let text): value = text
    case .file(let path): value = try Self.readValueFile(path)
    case nil: value = []
    }
    let topic = self.topic ?? ""
    let broker = try BrokerFace.open(globals, context)
    let outcome = try broker.publish([PublishRequest(topic: topic, key: keyBytes, value: value, envelope: envelope)])[0].get()
    context.print(.object(ReceiptRendering.json(outcome)) { ReceiptRendering.text(outcome) + "\n" }, as: globals.output)
    return .success
  }

  /// One line from stdin, parsed.
  struct Item {
    var line: Int
    var request: PublishRequest
  }

  /// `--batch`: groups of lines, each group decided and made durable together (one
  /// fdatasync locally; pipelined requests over HTTP), each line printed once it is.
  private func runBatch(_ broker: any Broker, _ context: CommandContext) throws -> ExitStatus {
    var results = AnswerStream("results", format: globals.output, out: context.stdout)
    return try results.finishing { results in
      var overloaded = false
      var reader = BatchReader()
      let meter = ProgressMeter(context, "publishing", unit: .records)
      defer { meter?.finish() }
      while !reader.finished {
        let items = try reader.group(of: maximumGroup, self, context)
        guard !items.isEmpty else { continue }
        for (item, outcome) in zip(items, try broker.publish(items.map(\.request))) {
          switch outcome {
          case .success(let receipt): results.row(ReceiptRendering.json(receipt), text: ReceiptRendering.text(receipt))
          case .failure(let rejection):
            reader.failures += 1
            if rejection.code == .resourceExhausted { overloaded = true }
            ErrorPresenter.report(rejection, line: item.line, in: context)
          }
        }
        context.stdout.flush()
        context.stderr.flush()
        meter?.advance(by: items.count)
        if context.stdout.isBroken { break }
      }
      return overloaded ? .unavailable : reader.failures == 0 ? .success : .failure
    }
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
          bytes += item.request.value.count + item.request.key.count
          items.append(item)
        } catch {
          failures += 1
          ErrorPresenter.report(error, line: lineNumber, in: context)
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
    var item = PublishRequest(topic: topic ?? "", key: [], value: [], envelope: envelope)
    var base64 = false
    var keyBase64 = false
    var valueText: String?
    for (name, value) in members {
      switch name {
      case "topic":
        guard let text = value.stringValue else { throw InputError("topic must be a string") }
        item.topic = text
      case "key":
        guard let text = value.stringValue else { throw InputError("key must be a string") }
        item.key = Array(text.utf8)
      case "key_encoding":
        guard value.stringValue == "base64" || value.stringValue == "utf8" else { throw InputError("key_encoding must be \"base64\" or \"utf8\"") }
        keyBase64 = value.stringValue == "base64"
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
    if keyBase64 {
      guard let bytes = Base64.decode(String(decoding: item.key, as: UTF8.self)) else { throw InputError("key is not valid base64") }
      item.key = bytes
    }
    if item.topic.isEmpty { throw InputError("no topic: give --topic or a \"topic\" field") }
    return Item(line: number, request: item)
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
