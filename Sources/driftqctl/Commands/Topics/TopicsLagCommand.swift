import ReplayEngine

/// `topics lag`: the Go driftqctl's lag table.
struct TopicsLagCommand: Command {
  static let spec = CommandSpec(
    ["topics", "lag"], abstract: "The Go driftqctl's TOPIC PART HEAD COMMIT INFLIGHT LAG table for a group.",
    discussion: "Tab-separated, sorted by topic then partition, or (no lag rows) for a group with none. A --topic that\ndoes not exist is exit 1. -o json prints DriftQ's /debug/topics/lag document.",
    options: LagQuery.options)

  static let worksRemotely = true
  let globals: GlobalOptions
  let query: LagQuery

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    query = try LagQuery(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let rows = try BrokerFace.open(globals, context, asOf: query.at).lag(group: query.group, topic: query.topic).rows
    context.print(
      .object(LagRendering.document(group: query.group, topic: query.topic, rows: rows)) {
        guard !rows.isEmpty else { return "(no lag rows)\n" }
        return Answer.lines(["TOPIC\tPART\tHEAD\tCOMMIT\tINFLIGHT\tLAG"] + rows.map { r in
          "\(r.topic)\t\(r.partition)\t\(r.headOffset)\t\(r.committedOffset)\t\(r.inflight)\t\(r.lag)"
        })
      }, as: globals.output)
    return .success
  }
}
