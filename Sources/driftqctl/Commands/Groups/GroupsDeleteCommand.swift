import ReplayEngine
import WALFormat

/// `groups delete`: removes a consumer group's state on one topic; a dry run unless `--execute`.
struct GroupsDeleteCommand: Command {
  static let spec = CommandSpec(
    ["groups", "delete"], abstract: "Delete a consumer group's positions, leases and retries on a topic; a dry run unless --execute.",
    discussion: """
      Prints what goes: the group's partitions, its lag, leases and pending retries. With --execute
      one group_deleted record is written: holders of its leases then get not in flight, and a
      consumer using the group name again starts at the partitions' start as a new group. Messages
      only this group held back become reclaimable by 'wal compact', which also reclaims the
      group's records.
      """,
    options: [.group, .topic, .execute],
    examples: ["driftqctl groups delete --group old-billing --topic orders --execute"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let group: String
  let topic: String
  let execute: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    group = try args.name(.group)
    topic = try args.name(.topic)
    execute = args.flag(.execute)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let removal = try BrokerFace.open(globals, context).deleteGroup(topic: topic, group: group, execute: execute)
    var members: [(String, JSONValue)] = [("executed", .bool(execute))]
    if case .object(let fields) = BrokerWire.groupRemoval(removal) { members += fields }
    context.print(
      .object(.object(members)) {
        let what = "group \(group) on \(topic) (\(removal.partitions) partitions, lag \(removal.lag), \(removal.inflight) leases, \(removal.retries) pending retries)"
        return (execute ? "deleted " : "would delete ") + what + "\n"
          + DryRun.removalFooter(executed: execute, reclaims: "its records", action: "delete")
      }, as: globals.output)
    return .success
  }
}
