import ReplayEngine
import WALFormat

/// `wal inspect`: what a directory holds — segments, LSN and time range, records per kind,
/// and a summary of topics and groups. Read-only.
struct WALInspectCommand: Command {
  static let spec = CommandSpec(
    ["wal", "inspect"], abstract: "Summarise a WAL directory: segments, LSNs, times, kinds, topics and groups.",
    discussion: "Also reads a DriftQ-Core broker WAL file given as --wal-dir: types, topics, committed offsets,\nretry states and consume idempotency keys, folded as DriftQ-Core does on start.",
    options: [AsOf.option])

  let globals: GlobalOptions
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    if CoreArtifactsReport.recognizes(globals.walDirectory) { return context.print(try CoreArtifactsReport.inspect(globals.walDirectory), as: globals.output) }
    if let core = try CoreWALReports.open(globals.walDirectory) { return context.print(CoreWALReports.inspect(core), as: globals.output) }
    let report = try WALVerifier.verify(try WALDirectory.open(globals.walDirectory))
    var state: BrokerState?
    var foldError: String?
    do { state = try AsOf.open(at, globals, context).state } catch {
      foldError = ErrorPresenter.classify(error).1
    }
    let topics = state.map(BrokerCommands.topics) ?? []
    let groups = state.map { s in s.groups.keys.sorted().compactMap { key in s.groups[key].map { (key, $0, s.topics[key.topic]) } } } ?? []
    var members: [(String, JSONValue)] = [
      ("directory", .string(globals.walDirectory)), ("segments", .array(report.segments.map { s in
        var m: [(String, JSONValue)] = [("name", .string(s.name)), ("records", .int(s.records)), ("bytes", .int(s.bytes))]
        if let f = s.firstLSN { m.append(("first_lsn", .int(f))) }
        if let l = s.lastLSN { m.append(("last_lsn", .int(l))) }
        return .object(m)
      })),
      ("records", .int(report.records)), ("bytes", .int(report.bytes)),
    ]
    if let f = report.firstLSN { members.append(("first_lsn", .int(f))) }
    if let l = report.lastLSN { members.append(("last_lsn", .int(l))) }
    if let t = report.firstTime { members.append(("first_time", .string(RFC3339.format(t)))) }
    if let t = report.lastTime { members.append(("last_time", .string(RFC3339.format(t)))) }
    members.append(("records_by_kind", .object(report.recordsByKind.sorted { $0.key < $1.key }.map { ($0.key.name, .int($0.value)) })))
    members.append(("problems", .array(report.problems.map { .object([("kind", .string($0.kind.rawValue)), ("segment", .string($0.location.segment)), ("byte", .int($0.location.offset)), ("message", .string($0.message))]) })))
    members.append(("topics", .array(topics.map(TopicsListCommand.row))))
    members.append(("groups", .array(groups.map { key, group, topic in
      let s = Self.summary(group, topic)
      return .object([("group", .string(key.group)), ("topic", .string(key.topic)), ("acked", .int(s.acked)), ("inflight", .int(s.inflight)), ("lag", .int(s.lag))])
    })))
    if let foldError { members.append(("state_error", .string(foldError))) }
    // With --at, the topics and groups are the state then; the rest describes the log now.
    let asOf = at.map { Self.describe($0.resolved(now: context.clock())) }
    if let asOf { members.append(("state_as_of", asOf.json)) }
    context.print(
      .object(.object(members)) { [foldError] in
        var text = "directory  \(globals.walDirectory) (\(WALDirectory.formatName) \(WALDirectory.formatMajor).\(WALDirectory.formatMinor))\n"
        text += "segments   \(report.segments.count), \(ByteCount.format(report.bytes))\n"
        text += "records    \(report.records)" + (report.firstLSN.map { f in " (LSN \(f)..\(report.lastLSN ?? f))" } ?? "") + "\n"
        if let t0 = report.firstTime, let t1 = report.lastTime { text += "time       \(RFC3339.format(t0)) .. \(RFC3339.format(t1))\n" }
        text += "problems   " + (report.problems.isEmpty ? "none" : report.problems.map { "\($0.kind.rawValue) at \($0.location)" }.joined(separator: "; ")) + "\n"
        if let asOf { text += "as of      \(asOf.text): the topics and groups below; segments, records, times and kinds are the whole log\n" }
        text += "\n"
        var segments = TableRenderer(["SEGMENT", "FIRST_LSN", "LAST_LSN", "RECORDS", "BYTES"])
        for s in report.segments {
          segments.add([s.name, s.firstLSN.map(String.init) ?? "-", s.lastLSN.map(String.init) ?? "-", String(s.records), String(s.bytes)])
        }
        text += segments.render() + "\n"
        var kinds = TableRenderer(["KIND", "RECORDS"])
        for (kind, count) in report.recordsByKind.sorted(by: { $0.key < $1.key }) { kinds.add([kind.name, String(count)]) }
        text += kinds.render() + "\n"
        if let foldError {
          text += "topics and groups: unavailable (\(foldError))\n"
        } else {
          var topicTable = TableRenderer(["TOPIC", "PARTITIONS", "MESSAGES"])
          for t in topics { topicTable.add([t.name, String(t.partitions ?? 0), String(t.messages ?? 0)]) }
          text += (topics.isEmpty ? "(no topics)\n" : topicTable.render()) + "\n"
          var groupTable = TableRenderer(["GROUP", "TOPIC", "ACKED", "INFLIGHT", "LAG"])
          for (key, group, topic) in groups {
            let summary = Self.summary(group, topic)
            groupTable.add([key.group, key.topic, String(summary.acked), String(summary.inflight), String(summary.lag)])
          }
          text += groups.isEmpty ? "(no groups)\n" : groupTable.render()
        }
        return text
      }, as: globals.output)
    return report.isCorrupt ? .corruption : .success
  }

  /// The point `--at` named, as text and JSON (`{"lsn":3}` or `{"time":"…"}`; a relative
  /// time is resolved before it gets here).
  static func describe(_ point: LogPosition) -> (text: String, json: JSONValue) {
    switch point {
    case .lsn(let lsn): return ("LSN \(lsn)", .object([("lsn", .int(Int64(clamping: lsn)))]))
    case .time(let t): return (RFC3339.format(t), .object([("time", .string(RFC3339.format(t)))]))
    case .ago(let ms): return ("\(ms) ms ago", .object([("ago_ms", .int(ms))]))
    }
  }

  /// Messages committed, leased, and not yet committed, summed over partitions.
  static func summary(_ group: GroupState, _ topic: TopicState?) -> (acked: Int64, inflight: Int, lag: Int64) {
    var acked: Int64 = 0, inflight = 0, lag: Int64 = 0
    for (partition, cursor) in group.partitions.enumerated() {
      acked += cursor.committed + 1 + Int64(cursor.ackedAhead.count)
      inflight += cursor.inflight.count
      lag += max(0, (topic?.headOffset(partition) ?? 0) - (cursor.committed + 1))
    }
    return (acked, inflight, lag)
  }
}
