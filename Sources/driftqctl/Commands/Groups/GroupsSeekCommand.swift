import ReplayEngine
import WALFormat

/// `groups seek`: moves a group's position; prints the plan and changes nothing unless told.
struct GroupsSeekCommand: Command {
  static let to = OptionSpec("to", placeholder: "POSITION", help: "earliest, latest, an offset, or @RFC3339 (first message at or after it).", required: true)
  static let partition = OptionSpec("partition", placeholder: "P", help: "Only this partition (default: all).")
  static let execute = OptionSpec.flag("execute", help: "Carry out the plan (without it, nothing is written).")

  static let spec = CommandSpec(
    ["groups", "seek"], abstract: "Move a group's position (earliest, latest, offset, @time); a dry run unless --execute.",
    discussion: """
      Prints the plan, old -> new next offset per partition. With --execute, messages before the new
      position count as consumed, those from it on are delivered again; leases and pending retries
      of the group on those partitions are discarded (their holders' acks then fail: not in flight).
      """,
    options: [.group, .topic, to, partition, execute],
    examples: ["driftqctl groups seek --group billing --topic orders --to @2026-11-21T02:14:00Z --execute"])

  let globals: GlobalOptions
  let group: String
  let topic: String
  let target: BrokerDecider.SeekTarget
  let only: Int?
  let execute: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    group = try args.name(.group)
    topic = try args.name(.topic)
    let text = try args.required(Self.to)
    switch text {
    case "earliest": target = .earliest
    case "latest": target = .latest
    default:
      if text.hasPrefix("@"), let time = RFC3339.parse(String(text.dropFirst())) {
        target = .time(time)
      } else if let offset = Int64(text), offset >= 0 {
        target = .offset(offset)
      } else {
        throw UsageError("invalid value \"\(text)\" for --to: expected earliest, latest, an offset or @RFC3339", command: Self.spec.path)
      }
    }
    only = try args.partition(Self.partition)
    execute = args.flag(Self.execute)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let broker = try LocalBackend.open(globals, context: context)
    let plan: [BrokerDecider.SeekStep]
    if execute {
      plan = try broker.commit { state, _ in
        let decision = try BrokerDecider.seek(state, topic: topic, group: group, to: target, partition: only)
        return (decision.events, decision.plan)
      }
    } else {
      plan = try BrokerDecider.seek(broker.state, topic: topic, group: group, to: target, partition: only).plan
    }
    switch globals.output {
    case .text:
      var table = TableRenderer(["PARTITION", "FROM", "TO", "DISCARDED_LEASES"])
      for step in plan { table.add([String(step.partition), String(step.from), String(step.to), String(step.discarded)]) }
      context.stdout.write(table.render())
      context.stdout.line(execute ? "seeked group \(group) on \(topic)" : "dry run: nothing changed (add --execute to apply)")
    case .json, .ndjson:
      let steps: [JSONValue] = plan.map { .object([("partition", .int($0.partition)), ("from", .int($0.from)), ("to", .int($0.to)), ("discarded", .int($0.discarded))]) }
      context.stdout.line(JSONWriter.encode(.object([("group", .string(group)), ("topic", .string(topic)), ("executed", .bool(execute)), ("plan", .array(steps))])))
    }
    return .success
  }
}
