import ReplayEngine
import WALFormat

/// `groups seek`: moves a group's position; prints the plan and changes nothing unless told.
struct GroupsSeekCommand: Command {
  static let to = OptionSpec(
    "to", placeholder: "POSITION", help: "earliest, latest, an offset, @RFC3339 or @-DURATION (first message at or after that time).",
    required: true)
  static let partition = OptionSpec("partition", placeholder: "P", help: "Only this partition (default: all).")

  static let spec = CommandSpec(
    ["groups", "seek"], abstract: "Move a group's position (earliest, latest, offset, @time); a dry run unless --execute.",
    discussion: """
      Prints the plan, old -> new next offset per partition. With --execute, messages before the new
      position count as consumed, those from it on are delivered again; leases and pending retries
      of the group on those partitions are discarded (their holders' acks then fail: not in flight).
      """,
    options: [.group, .topic, to, partition, .execute],
    examples: ["driftqctl groups seek --group billing --topic orders --to @2026-11-21T02:14:00Z --execute"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let group: String
  let topic: String
  let target: Target
  let only: Int?
  let execute: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    group = try args.name(.group)
    topic = try args.name(.topic)
    target = try Self.target(try args.required(Self.to))
    only = try args.partition(Self.partition)
    execute = args.flag(.execute)
  }

  /// `--to` as given: a seek target, or a time written relative to now.
  enum Target {
    case fixed(BrokerDecider.SeekTarget)
    case ago(milliseconds: Int64)
  }

  /// Parses `--to`; times share `--at`'s parser (`@RFC3339`, `@-DURATION`).
  static func target(_ text: String) throws(UsageError) -> Target {
    switch text {
    case "earliest": return .fixed(.earliest)
    case "latest": return .fixed(.latest)
    default:
      if text.hasPrefix("@") {
        switch try LogPosition.parse(text, option: "to", command: spec.path) {
        case .time(let time): return .fixed(.time(time))
        case .ago(let ms): return .ago(milliseconds: ms)
        case .lsn: break
        }
      }
      guard let offset = Int64(text), offset >= 0 else {
        throw UsageError("invalid value \"\(text)\" for --to: expected earliest, latest, an offset, @RFC3339 or @-DURATION", command: spec.path)
      }
      return .fixed(.offset(offset))
    }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let resolved: BrokerDecider.SeekTarget
    switch target {
    case .fixed(let t): resolved = t
    case .ago(let ms): resolved = .time(context.clock().adding(milliseconds: -ms))
    }
    let plan = try BrokerFace.open(globals, context).seek(
      SeekRequest(topic: topic, group: group, target: resolved, partition: only, execute: execute))
    let steps: [JSONValue] = plan.map { .object([("partition", .int($0.partition)), ("from", .int($0.from)), ("to", .int($0.to)), ("discarded", .int($0.discarded))]) }
    context.print(
      .object(.object([("group", .string(group)), ("topic", .string(topic)), ("executed", .bool(execute)), ("plan", .array(steps))])) {
        var table = TableRenderer(["PARTITION", "FROM", "TO", "DISCARDED_LEASES"])
        for step in plan { table.add([String(step.partition), String(step.from), String(step.to), String(step.discarded)]) }
        return table.render() + DryRun.footer(executed: execute, done: "seeked group \(group) on \(topic)", action: "apply") + "\n"
      }, as: globals.output)
    return .success
  }
}
