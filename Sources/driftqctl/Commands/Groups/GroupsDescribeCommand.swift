import ReplayEngine
import WALFormat

/// `groups describe`: a group's per-partition progress and leases (DriftQ's lag row).
struct GroupsDescribeCommand: Command {
  static let spec = CommandSpec(
    ["groups", "describe"], abstract: "Per partition: head, committed, lag, in-flight, lease owners and expiry, stalled.",
    discussion: """
      COMMIT is the next offset to consume (last contiguously acked + 1), as DriftQ's lag tracker
      reports it. STALLED means a lease has expired and nobody has taken the message since.
      -o json prints DriftQ's /debug/topics/lag document.
      """,
    options: LagQuery.options)

  static let worksRemotely = true
  let globals: GlobalOptions
  let query: LagQuery

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    query = try LagQuery(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let answer = try BrokerFace.open(globals, context, asOf: query.at).lag(group: query.group, topic: query.topic)
    if answer.rows.isEmpty && query.topic == nil && !answer.groupExists {
      throw CommandFailure(.notFound, "no consumer group \(query.group)")
    }
    let rows = answer.rows
    context.print(
      .object(LagRendering.document(group: query.group, topic: query.topic, rows: rows)) {
        guard !rows.isEmpty else { return "(no lag rows)\n" }
        var table = TableRenderer(["TOPIC", "PART", "HEAD", "COMMIT", "LAG", "INFLIGHT", "OWNERS", "OLDEST_LEASE_MS", "LEASE_EXPIRES", "STALLED"])
        for r in rows {
          table.add([
            r.topic, String(r.partition), String(r.headOffset), String(r.committedOffset), String(r.lag), String(r.inflight),
            r.leaseOwners.isEmpty ? "-" : r.leaseOwners.joined(separator: ","), r.oldestLeaseAgeMs.map(String.init) ?? "-",
            r.leaseExpiresAt.map(RFC3339.format) ?? "-", r.stalled ? "yes" : "no",
          ])
        }
        return table.render()
      }, as: globals.output)
    return .success
  }
}
