import ReplayEngine
import WALFormat

/// `groups list`: every consumer group on every topic, with its lag and leases.
struct GroupsListCommand: Command {
  static let spec = CommandSpec(["groups", "list"], abstract: "List consumer groups with lag, in-flight leases and last activity.", options: [])

  let globals: GlobalOptions

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let state = try LocalBackend.open(globals, context: context).state
    let now = context.clock()
    let rows: [(key: GroupKey, partitions: Int, lag: Int64, inflight: Int, last: WALTimestamp)] = state.groups.keys.sorted { ($0.group, $0.topic) < ($1.group, $1.topic) }.compactMap { key in
      guard let group = state.groups[key] else { return nil }
      let lag = BrokerDecider.lagRows(state, group: key.group, topic: key.topic, now: now)
      return (key, group.partitions.count, lag.reduce(0) { $0 + $1.lag }, lag.reduce(0) { $0 + $1.inflight }, group.lastActivity)
    }
    switch globals.output {
    case .text:
      if rows.isEmpty { context.stdout.line("(no groups)"); return .success }
      var table = TableRenderer(["GROUP", "TOPIC", "PARTITIONS", "LAG", "INFLIGHT", "LAST_ACTIVITY"])
      for r in rows { table.add([r.key.group, r.key.topic, String(r.partitions), String(r.lag), String(r.inflight), RFC3339.format(r.last)]) }
      context.stdout.write(table.render())
    case .json, .ndjson:
      let items: [JSONValue] = rows.map { r in
        .object([("group", .string(r.key.group)), ("topic", .string(r.key.topic)), ("partitions", .int(r.partitions)), ("lag", .int(r.lag)), ("inflight", .int(r.inflight)), ("last_activity", .string(RFC3339.format(r.last)))])
      }
      if globals.output == .json { context.stdout.line(JSONWriter.encode(.object([("groups", .array(items))]))) } else { for item in items { context.stdout.line(JSONWriter.encode(item)) } }
    }
    return .success
  }
}
