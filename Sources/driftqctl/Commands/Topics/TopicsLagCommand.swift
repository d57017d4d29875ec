import ReplayEngine

/// `topics lag`: the Go driftqctl's lag table.
struct TopicsLagCommand: Command {
  static let spec = CommandSpec(
    ["topics", "lag"], abstract: "The Go driftqctl's TOPIC PART HEAD COMMIT INFLIGHT LAG table for a group.",
    discussion: "Tab-separated, sorted by topic then partition, or (no lag rows). -o json prints DriftQ's\n/debug/topics/lag document.",
    options: [.group, OptionSpec.topic.with(required: false)])

  let globals: GlobalOptions
  let group: String
  let topic: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    group = try args.name(.group)
    topic = args.value(OptionSpec.topic)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let state = try LocalBroker.open(globals, context: context).state
    if let topic, state.topics[topic] == nil { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    let rows = BrokerDecider.lagRows(state, group: group, topic: topic, now: context.clock())
    switch globals.output {
    case .text:
      guard !rows.isEmpty else { context.stdout.line("(no lag rows)"); return .success }
      context.stdout.line("TOPIC\tPART\tHEAD\tCOMMIT\tINFLIGHT\tLAG")
      for r in rows { context.stdout.line("\(r.topic)\t\(r.partition)\t\(r.headOffset)\t\(r.committedOffset)\t\(r.inflight)\t\(r.lag)") }
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(LagRendering.document(group: group, topic: topic, rows: rows)))
    }
    return .success
  }
}
