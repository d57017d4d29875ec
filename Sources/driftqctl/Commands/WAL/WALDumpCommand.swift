import ReplayEngine
import WALFormat

/// `wal dump`: every record as one JSON object per line, read-only.
struct WALDumpCommand: Command {
  static let from = OptionSpec("from", placeholder: "LSN|@TIME", help: "Start at this LSN or RFC 3339 time.")
  static let to = OptionSpec("to", placeholder: "LSN|@TIME", help: "Stop after this LSN or time.")
  static let kind = OptionSpec("kind", placeholder: "KIND", help: "Only this record kind (name, number or kind(N)).",
    values: .choices(RecordKind.knownKinds.map(\.name)))
  static let topic = OptionSpec.topic.with(required: false)

  static let spec = CommandSpec(
    ["wal", "dump"], abstract: "Print records as JSON lines: lsn, time, kind, place and decoded fields.",
    discussion: "-o json prints one document {\"records\":[...]}, each record written as it is read.\nBytes that are not UTF-8 are shown as base64 with a \"<field>_encoding\":\"base64\" marker.\nStops with exit 3 at corruption, after printing every record before it. A DriftQ-Core broker WAL\nfile given as --wal-dir is dumped entry by entry (positions are line numbers; kinds message,\noffset, topic, retry_state, consume_idempotency).",
    options: [from, to, kind, topic, .messageFormat],
    examples: ["driftqctl wal dump --from @2026-11-21T02:00:00Z --kind message_nacked"])

  let globals: GlobalOptions
  let start: LogPosition?
  let end: LogPosition?
  let kindFilter: RecordKind?
  let kindText: String?
  let topicFilter: String?
  /// `--format`: message records through a template (other records are left out).
  let template: MessageTemplate?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    start = try args.value(Self.from).map { text throws(UsageError) in try LogPosition.parse(text, option: "from", command: Self.spec.path) }
    end = try args.value(Self.to).map { text throws(UsageError) in try LogPosition.parse(text, option: "to", command: Self.spec.path) }
    if let start, let end, let later = LogPosition.isLater(start, than: end), later {
      throw UsageError("--from is after --to: nothing lies between them", command: Self.spec.path)
    }
    kindText = args.value(Self.kind)
    kindFilter = kindText.flatMap { RecordKind(name: $0) }
    topicFilter = args.value(Self.topic)
    template = try MessageTemplate.option(&args, globals: globals, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    // Text and NDJSON: a JSON line per record as it is read; JSON: one {"records":[...]}.
    var records = AnswerStream("records", format: globals.output, out: context.stdout)
    if template != nil, try CoreArtifactsReport.recognizes(globals.walDirectory) || CoreWALReports.open(globals.walDirectory) != nil {
      throw CommandFailure(.usage, "--format applies to a WAL directory's messages, not to DriftQ-Core's files")
    }
    return try records.finishing { records in
      if CoreArtifactsReport.recognizes(globals.walDirectory) { return try CoreArtifactsReport.dump(globals.walDirectory, into: &records) }
      if let core = try CoreWALReports.open(globals.walDirectory) { return try dumpCore(core, into: &records) }
      return try dumpLog(into: &records, context)
    }
  }

  /// A WAL directory's records, from `--from` to `--to`, filtered.
  private func dumpLog(into records: inout AnswerStream, _ context: CommandContext) throws -> ExitStatus {
    if let kindText, kindFilter == nil {
      throw CommandFailure(.usage, "unknown kind \"\(kindText)\" (known: \(RecordKind.knownKinds.map(\.name).joined(separator: ", ")))")
    }
    let start = self.start?.resolved(now: context.clock())
    let end = self.end?.resolved(now: context.clock())
    let log = WALLog(directory: try WALDirectory.open(globals.walDirectory), options: globals.walOptions)
    switch start {
    case .lsn(let lsn)?: try log.seek(toLSN: lsn)
    case .time(let time)?: try log.seek(toTime: time)
    case .ago?, nil: break
    }
    while let logged = try log.next() {
      let record = logged.record
      if let start, !start.isReached(by: record) { continue }
      if let end, end.isPassed(by: record) { return .success }
      if let kindFilter, record.kind != kindFilter { continue }
      if let topicFilter, !RecordRendering.topics(of: record).contains(topicFilter) { continue }
      if let template {
        // A published message, with its record's time; other records have no message to show.
        if case .messagePublished(let message)? = try? EventCodec.decode(record) {
          records.out.write(bytes: template.render(MessageTemplate.Fields(
            topic: message.topic, partition: message.partition, offset: message.offset, key: message.key, value: message.value,
            attempts: 0, time: RFC3339.format(record.timestamp), lastError: "")))
        }
        continue
      }
      let line = JSONWriter.encode(RecordRendering.json(logged))
      records.row(encoded: line, text: line)
      if records.out.isBroken { return .success }
    }
    return .success
  }

  /// A DriftQ-Core file: positions are line numbers (it has no LSNs).
  private func dumpCore(_ core: CoreWALFile, into records: inout AnswerStream) throws -> ExitStatus {
    func line(_ position: LogPosition?, _ fallback: Int) throws -> Int {
      switch position {
      case nil: return fallback
      case .lsn(let n)?: return Int(clamping: n)
      case .time?, .ago?: throw CommandFailure(.usage, "positions in a DriftQ-Core WAL file are line numbers: give --from/--to as line numbers")
      }
    }
    if let kindText, !core.knows(kind: kindText) {
      let known = core.format == .broker ? CoreWALFile.typeNames.sorted { $0.key < $1.key }.map(\.value) : CoreWALFile.engineOps
      throw CommandFailure(.usage, "unknown kind \"\(kindText)\" for a \(core.format.title) (known: \(known.joined(separator: ", ")))")
    }
    let first = try line(start, 1)
    let last = max(first, try line(end, Int.max))
    return try CoreWALReports.dump(core, lines: first...last, kind: kindText, topic: topicFilter, into: &records)
  }
}
