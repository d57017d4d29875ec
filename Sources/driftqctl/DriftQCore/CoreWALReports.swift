import ReplayEngine
import WALFormat

/// `wal verify|inspect|dump` for a DriftQ-Core WAL file (broker or engine) given as
/// `--wal-dir`. Positions are line numbers (the files have no LSNs).
enum CoreWALReports {
  /// The file at `path`, when it is one.
  static func open(_ path: String) throws -> CoreWALFile? {
    try CoreWALFile.recognize(path).map { try CoreWALFile(path: path, format: $0) }
  }

  private static func status(_ wal: CoreWALFile) -> String {
    wal.corruption != nil ? "corrupt" : wal.tornTail != nil ? "torn_tail" : "clean"
  }

  private static func problemLines(_ wal: CoreWALFile) -> String {
    var text = ""
    if let t = wal.tornTail {
      text += "torn tail: \(wal.path) line \(t.line) (byte \(t.byte)): an unfinished last line; \(t.length) bytes (never acknowledged: DriftQ-Core fsyncs each line before answering)\n"
    }
    if let c = wal.corruption { text += "corruption: \(wal.path) line \(c.line) (byte \(c.byte)): \(c.message)\n" }
    return text
  }

  private static func problemsJSON(_ wal: CoreWALFile) -> [JSONValue] {
    var problems: [JSONValue] = []
    if let t = wal.tornTail {
      problems.append(.object([("kind", .string("torn_tail")), ("line", .int(t.line)), ("byte", .int(t.byte)), ("bytes_affected", .int(t.length))]))
    }
    if let c = wal.corruption {
      problems.append(.object([("kind", .string("corruption")), ("line", .int(c.line)), ("byte", .int(c.byte)), ("message", .string(c.message))]))
    }
    return problems
  }

  /// `wal verify`'s answer, and exit 3 at corruption.
  static func verify(_ wal: CoreWALFile) -> (Answer, ExitStatus) {
    let answer = Answer.object(.object([
      ("ok", .bool(wal.corruption == nil)), ("status", .string(status(wal))), ("format", .string(wal.format.rawValue)),
      ("records", .int(wal.entries.count)), ("bytes", .int(wal.bytes)), ("problems", .array(problemsJSON(wal))),
    ])) {
      "checked \(wal.format.title) \(wal.path): \(wal.entries.count) records, \(ByteCount.format(wal.bytes))\n" + problemLines(wal)
        + "result: \(wal.corruption != nil ? "CORRUPT" : wal.tornTail != nil ? "ok (torn tail)" : "ok")\n"
    }
    return (answer, wal.corruption != nil ? .corruption : .success)
  }

  /// `wal inspect`'s answer: kinds, problems and the folded state; exit 3 at corruption or
  /// when the file does not fold.
  static func inspect(_ wal: CoreWALFile) -> (Answer, ExitStatus) {
    var foldError: String?
    var broker: CoreBrokerState?
    var engine: CoreEngineState?
    do {
      switch wal.format {
      case .broker: broker = try CoreBrokerState(wal)
      case .engine: engine = try CoreEngineState(wal)
      }
    } catch {
      foldError = ErrorPresenter.classify(error).1
    }
    let kinds = wal.recordsByKind
    var members: [(String, JSONValue)] = [
      ("file", .string(wal.path)), ("format", .string(wal.format.rawValue)), ("bytes", .int(wal.bytes)), ("records", .int(wal.entries.count)),
      ("records_by_kind", .object(kinds.map { ($0.kind, .int($0.count)) })), ("problems", .array(problemsJSON(wal))),
    ]
    if let broker { members += brokerJSON(broker) }
    if let engine { members += engineJSON(engine) }
    if let foldError { members.append(("state_error", .string(foldError))) }
    let answer = Answer.object(.object(members)) { [foldError, broker, engine] in
      var text = "file       \(wal.path) (\(wal.format.title))\n"
      text += "size       \(ByteCount.format(wal.bytes))\n"
      text += "records    \(wal.entries.count)" + (wal.entries.last.map { " (lines 1..\($0.line))" } ?? "") + "\n"
      let problems = problemLines(wal)
      text += "problems   " + (problems.isEmpty ? "none\n" : "\n" + problems) + "\n"
      var kindTable = TableRenderer(["KIND", "RECORDS"])
      for (kind, count) in kinds { kindTable.add([kind, String(count)]) }
      text += kindTable.render() + "\n"
      if let foldError { text += "state: unavailable (\(foldError))\n" }
      if let broker { text += brokerText(broker) }
      if let engine { text += engineText(engine) }
      return text
    }
    return (answer, wal.corruption != nil || foldError != nil ? .corruption : .success)
  }

  private static func topics(_ state: CoreBrokerState) -> [(String, [[MessagePublished]])] {
    state.topicOrder.sorted().map { ($0, state.topics[$0] ?? []) }
  }

  private static func brokerText(_ state: CoreBrokerState) -> String {
    var text = ""
    let topics = topics(state)
    var topicTable = TableRenderer(["TOPIC", "PARTITIONS", "MESSAGES"])
    for (name, partitions) in topics { topicTable.add([name, String(partitions.count), String(partitions.reduce(0) { $0 + $1.count })]) }
    text += (topics.isEmpty ? "(no topics)\n" : topicTable.render()) + "\n"
    let committed = state.committed.sorted { $0.key < $1.key }
    var groupTable = TableRenderer(["GROUP", "TOPIC", "PARTITION", "COMMITTED", "RETRY_STATES"])
    for (key, offset) in committed {
      let retries = state.retries.keys.filter { $0.topic == key.topic && $0.group == key.group && $0.partition == key.partition }.count
      groupTable.add([key.group, key.topic, String(key.partition), String(offset), String(retries)])
    }
    text += committed.isEmpty ? "(no committed offsets)\n" : groupTable.render()
    return text + "retry states \(state.retries.count), consume idempotency keys \(state.consumeKeys.count)\n"
  }

  private static func brokerJSON(_ state: CoreBrokerState) -> [(String, JSONValue)] {
    [
      ("topics", .array(topics(state).map { .object([("name", .string($0.0)), ("partitions", .int($0.1.count)), ("messages", .int($0.1.reduce(0) { $0 + $1.count }))]) })),
      ("committed", .array(state.committed.sorted { $0.key < $1.key }.map {
        .object([("group", .string($0.key.group)), ("topic", .string($0.key.topic)), ("partition", .int($0.key.partition)), ("offset", .int($0.value))])
      })),
      ("retry_states", .int(state.retries.count)), ("consume_idempotency_keys", .int(state.consumeKeys.count)),
    ]
  }

  private static func runRows(_ state: CoreEngineState) -> [[String]] {
    state.runOrder.map { id in
      let run = state.runs[id]
      return [id, run?["workflow_id"]?.stringValue ?? "", run?["status"]?.stringValue ?? "", String(state.events[id]?.count ?? 0), String(state.nodes.keys.filter { $0.runID == id }.count)]
    }
  }

  private static func engineText(_ state: CoreEngineState) -> String {
    var table = TableRenderer(["RUN", "WORKFLOW", "STATUS", "EVENTS", "NODE_ATTEMPTS"])
    for row in runRows(state) { table.add(row) }
    var text = state.runOrder.isEmpty ? "(no runs)\n" : table.render()
    text += "events \(state.eventCount), timers \(state.timers), active index version \(state.activeIndexVersion.map { "\"\($0)\"" } ?? "(none)")\n"
    return text
  }

  private static func engineJSON(_ state: CoreEngineState) -> [(String, JSONValue)] {
    [
      ("runs", .array(runRows(state).map { r in
        .object([("run_id", .string(r[0])), ("workflow_id", .string(r[1])), ("status", .string(r[2])), ("events", .int(Int(r[3]) ?? 0)), ("node_attempts", .int(Int(r[4]) ?? 0))])
      })),
      ("events", .int(state.eventCount)), ("timers", .int(state.timers)), ("active_index_version", .string(state.activeIndexVersion ?? "")),
    ]
  }

  /// `wal dump`'s rows, one per entry (a JSON line in text mode too): `line`, `byte`, `kind`,
  /// then the entry's fields, with `key` and `value` decoded from base64 (kept as base64,
  /// marked, when they are not UTF-8).
  static func dump(_ wal: CoreWALFile, lines: ClosedRange<Int>, kind: String?, topic: String?, into records: inout AnswerStream) throws -> ExitStatus {
    for entry in wal.entries where lines.contains(entry.line) {
      if let kind, kind != entry.kind && kind != entry.type.map(String.init) { continue }
      if let topic, entry.json["topic"]?.stringValue != topic { continue }
      var members: [(String, JSONValue)] = [("line", .int(entry.line)), ("byte", .int(entry.byte)), ("kind", .string(entry.kind))]
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
      let line = JSONWriter.encode(.object(members))
      records.row(encoded: line, text: line)
      if records.out.isBroken { return .success }
    }
    if let c = wal.corruption, lines.contains(c.line) {
      throw CommandFailure(.corruption, "corruption: \(wal.path) line \(c.line) (byte \(c.byte)): \(c.message)")
    }
    return .success
  }
}
