import ReplayEngine
import WALFormat

/// `wal dump`: every record as one JSON object per line, read-only.
struct WALDumpCommand: Command {
  static let from = OptionSpec("from", placeholder: "LSN|@TIME", help: "Start at this LSN or RFC 3339 time.")
  static let to = OptionSpec("to", placeholder: "LSN|@TIME", help: "Stop after this LSN or time.")
  static let kind = OptionSpec("kind", placeholder: "KIND", help: "Only this record kind (name, number or kind(N)).")
  static let topic = OptionSpec.topic.with(required: false)

  static let spec = CommandSpec(
    ["wal", "dump"], abstract: "Print records as JSON lines: lsn, time, kind, place and decoded fields.",
    discussion: "Bytes that are not UTF-8 are shown as base64 with a \"<field>_encoding\":\"base64\" marker.\nStops with exit 3 at corruption, after printing every record before it.",
    options: [from, to, kind, topic],
    examples: ["driftqctl wal dump --from @2026-11-21T02:00:00Z --kind message_nacked"])

  let globals: GlobalOptions
  let start: LogPosition?
  let end: LogPosition?
  let kindFilter: RecordKind?
  let topicFilter: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    start = try args.value(Self.from).map { text throws(UsageError) in try LogPosition.parse(text, option: "from", command: Self.spec.path) }
    end = try args.value(Self.to).map { text throws(UsageError) in try LogPosition.parse(text, option: "to", command: Self.spec.path) }
    if let text = args.value(Self.kind) {
      guard let kind = RecordKind(name: text) else {
        throw UsageError("unknown kind \"\(text)\" (known: \(RecordKind.knownKinds.map(\.name).joined(separator: ", ")))", command: Self.spec.path)
      }
      kindFilter = kind
    } else {
      kindFilter = nil
    }
    topicFilter = args.value(Self.topic)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let log = WALLog(directory: try WALDirectory.open(globals.walDirectory), options: globals.walOptions)
    if case .lsn(let lsn)? = start { try log.seek(toLSN: lsn) }
    while let logged = try log.next() {
      let record = logged.record
      if let start, !start.isReached(by: record) { continue }
      if let end {
        switch end {
        case .lsn(let lsn) where record.lsn > lsn: return .success
        case .time(let time) where record.timestamp > time: return .success
        default: break
        }
      }
      if let kindFilter, record.kind != kindFilter { continue }
      if let topicFilter, !RecordRendering.topics(of: record).contains(topicFilter) { continue }
      context.stdout.line(JSONWriter.encode(RecordRendering.json(logged)))
      if context.stdout.isBroken { return .success }
    }
    return .success
  }
}
