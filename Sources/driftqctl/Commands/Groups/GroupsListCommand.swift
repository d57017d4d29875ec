import ReplayEngine
import WALFormat

/// `groups list`: every consumer group on every topic, with its lag and leases.
struct GroupsListCommand: Command {
  static let spec = CommandSpec(
    ["groups", "list"], abstract: "List consumer groups with lag, in-flight leases and last activity.", options: [AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let rows = try BrokerFace.open(globals, context, asOf: at).groups()
    let items: [JSONValue] = rows.map { r in
      .object([
        ("group", .string(r.group)), ("topic", .string(r.topic)), ("partitions", .int(r.partitions)), ("lag", .int(r.lag)),
        ("inflight", .int(r.inflight)), ("last_activity", .string(RFC3339.format(r.lastActivity))),
      ])
    }
    context.print(
      .list("groups", items) {
        if rows.isEmpty { return "(no groups)\n" }
        var table = TableRenderer(["GROUP", "TOPIC", "PARTITIONS", "LAG", "INFLIGHT", "LAST_ACTIVITY"])
        for r in rows { table.add([r.group, r.topic, String(r.partitions), String(r.lag), String(r.inflight), RFC3339.format(r.lastActivity)]) }
        return table.render()
      }, as: globals.output)
    return .success
  }
}
