import ReplayEngine
import WALFormat

/// `wal verify|inspect|dump` for a DriftQ-Core broker WAL file given as `--wal-dir`.
/// Positions are line numbers (the file has no LSNs or record times).
enum CoreWALReports {
  static let formatName = "DriftQ-Core broker WAL (JSON Lines)"

  /// The file at `path`, when it is one.
  static func open(_ path: String) throws -> CoreBrokerWAL? {
    CoreBrokerWAL.recognizes(path) ? try CoreBrokerWAL(path: path) : nil
  }

  private static func status(_ wal: CoreBrokerWAL) -> String {
    wal.corruption != nil ? "corrupt" : wal.tornTail != nil ? "torn_tail" : "clean"
  }

  private static func problemLines(_ wal: CoreBrokerWAL) -> String {
    var text = ""
    if let t = wal.tornTail {
      text += "torn tail: \(wal.path) line \(t.line) (byte \(t.byte)): an unfinished last line; \(t.length) bytes (never acknowledged: DriftQ-Core fsyncs each line before answering)\n"
    }
    if let c = wal.corruption { text += "corruption: \(wal.path) line \(c.line) (byte \(c.byte)): \(c.message)\n" }
    return text
  }

  private static func problemsJSON(_ wal: CoreBrokerWAL) -> [JSONValue] {
    var problems: [JSONValue] = []
    if let t = wal.tornTail {
      problems.append(.object([("kind", .string("torn_tail")), ("line", .int(t.line)), ("byte", .int(t.byte)), ("bytes_affected", .int(t.length))]))
    }
    if let c = wal.corruption {
      problems.append(.object([("kind", .string("corruption")), ("line", .int(c.line)), ("byte", .int(c.byte)), ("message", .string(c.message))]))
    }
    return problems
  }

  static func verify(_ wal: CoreBrokerWAL, format: OutputFormat, context: CommandContext) -> ExitStatus {
    switch format {
    case .text:
      var text = "checked \(formatName) \(wal.path): \(wal.entries.count) records, \(ByteCount.format(wal.bytes))\n"
      text += problemLines(wal)
      text += "result: \(wal.corruption != nil ? "CORRUPT" : wal.tornTail != nil ? "ok (torn tail)" : "ok")\n"
      context.stdout.write(text)
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([
        ("ok", .bool(wal.corruption == nil)), ("status", .string(status(wal))), ("format", .string("driftq-core-broker")),
        ("records", .int(wal.entries.count)), ("bytes", .int(wal.bytes)), ("problems", .array(problemsJSON(wal))),
      ])))
    }
    return wal.corruption != nil ? .corruption : .success
  }

  static func inspect(_ wal: CoreBrokerWAL, format: OutputFormat, context: CommandContext) -> ExitStatus {
    var state: CoreBrokerState?
    var foldError: String?
    do { state = try CoreBrokerState(wal) } catch { foldError = ErrorPresenter.classify(error).1 }
    let kinds = wal.recordsByType.sorted { $0.key < $1.key }
    let topics = state.map { s in s.topicOrder.sorted().map { ($0, s.topics[$0] ?? []) } } ?? []
    let committed = state.map { $0.committed.sorted { $0.key < $1.key } } ?? []
    switch format {
    case .text:
      var text = "file       \(wal.path) (\(formatName))\n"
      text += "size       \(ByteCount.format(wal.bytes))\n"
      text += "records    \(wal.entries.count)" + (wal.entries.last.map { " (lines 1..\($0.line))" } ?? "") + "\n"
      let problems = problemLines(wal)
      text += "problems   " + (problems.isEmpty ? "none\n" : "\n" + problems) + "\n"
      var kindTable = TableRenderer(["TYPE", "KIND", "RECORDS"])
      for (type, count) in kinds { kindTable.add([String(type), CoreBrokerWAL.name(ofType: type), String(count)]) }
      text += kindTable.render() + "\n"
      if let foldError {
        text += "topics and groups: unavailable (\(foldError))\n"
      } else if let state {
        var topicTable = TableRenderer(["TOPIC", "PARTITIONS", "MESSAGES"])
        for (name, partitions) in topics { topicTable.add([name, String(partitions.count), String(partitions.reduce(0) { $0 + $1.count })]) }
        text += (topics.isEmpty ? "(no topics)\n" : topicTable.render()) + "\n"
        var groupTable = TableRenderer(["GROUP", "TOPIC", "PARTITION", "COMMITTED", "RETRY_STATES"])
        for (key, offset) in committed {
          let retries = state.retries.keys.filter { $0.topic == key.topic && $0.group == key.group && $0.partition == key.partition }.count
          groupTable.add([key.group, key.topic, String(key.partition), String(offset), String(retries)])
        }
        text += committed.isEmpty ? "(no committed offsets)\n" : groupTable.render()
        text += "retry states \(state.retries.count), consume idempotency keys \(state.consumeKeys.count)\n"
      }
      context.stdout.write(text)
    case .json, .ndjson:
      var members: [(String, JSONValue)] = [
        ("file", .string(wal.path)), ("format", .string("driftq-core-broker")), ("bytes", .int(wal.bytes)), ("records", .int(wal.entries.count)),
        ("records_by_type", .object(kinds.map { (CoreBrokerWAL.name(ofType: $0.key), .int($0.value)) })),
        ("problems", .array(problemsJSON(wal))),
        ("topics", .array(topics.map { .object([("name", .string($0.0)), ("partitions", .int($0.1.count)), ("messages", .int($0.1.reduce(0) { $0 + $1.count }))]) })),
        ("committed", .array(committed.map { .object([("group", .string($0.key.group)), ("topic", .string($0.key.topic)), ("partition", .int($0.key.partition)), ("offset", .int($0.value))]) })),
      ]
      if let state { members += [("retry_states", .int(state.retries.count)), ("consume_idempotency_keys", .int(state.consumeKeys.count))] }
      if let foldError { members.append(("state_error", .string(foldError))) }
      context.stdout.line(JSONWriter.encode(.object(members)))
    }
    return wal.corruption != nil || foldError != nil ? .corruption : .success
  }

  /// One JSON line per entry: `line`, `byte`, `kind`, then the entry's fields, with `key` and
  /// `value` decoded from base64 (kept as base64, marked, when they are not UTF-8).
  static func dump(_ wal: CoreBrokerWAL, lines: ClosedRange<Int>, kind: String?, topic: String?, context: CommandContext) throws -> ExitStatus {
    for entry in wal.entries where lines.contains(entry.line) {
      if let kind, kind != CoreBrokerWAL.name(ofType: entry.type) && kind != String(entry.type) { continue }
      if let topic, entry.json["topic"]?.stringValue != topic { continue }
      var members: [(String, JSONValue)] = [("line", .int(entry.line)), ("byte", .int(entry.byte)), ("kind", .string(CoreBrokerWAL.name(ofType: entry.type)))]
      guard case .object(let fields) = entry.json else { continue }
      for (name, value) in fields {
        if (name == "key" || name == "value" || name == "result"), let text = value.stringValue, let bytes = Base64.decode(text) {
          let (shown, isBase64) = PayloadRendering.text(bytes)
          members.append((name, .string(shown)))
          if isBase64 { members.append(("\(name)_encoding", .string("base64"))) }
        } else {
          members.append((name, value))
        }
      }
      context.stdout.line(JSONWriter.encode(.object(members)))
      if context.stdout.isBroken { return .success }
    }
    if let c = wal.corruption, lines.contains(c.line) {
      throw CommandFailure(.corruption, "corruption: \(wal.path) line \(c.line) (byte \(c.byte)): \(c.message)")
    }
    return .success
  }
}
