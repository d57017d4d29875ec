import ReplayEngine
import WALFormat

/// `topics tail`: a topic's messages read with no group and no lease (kcat -C, rpk topic
/// consume), from a start, optionally following new ones.
struct TopicsTailCommand: Command {
  static let partition = OptionSpec("partition", placeholder: "P", help: "Only this partition (default: all).")
  static let from = OptionSpec("from", placeholder: "START", help: "earliest, latest, an OFFSET (in every partition), @RFC3339 or @-DURATION.", default: "earliest")
  static let max = OptionSpec("max", placeholder: "N", help: "Stop after N messages (default: all there are, or no limit with --follow).")
  static let follow = OptionSpec.flag("follow", help: "Keep printing new messages until interrupted (or --wait).")
  static let wait = OptionSpec("wait", placeholder: "DURATION", help: "With --follow: stop after this long.")
  static let spec = CommandSpec(
    ["topics", "tail"], abstract: "Read a topic's messages without a group or lease, from a start; --follow for new ones.",
    discussion: """
      One JSON line per message (DriftQ's ConsumeItem with attempts 0, plus "topic" and the
      publish "time"), oldest first across partitions; nothing is leased, acked or committed,
      so consumers are not affected. With --format, each message goes through a template.
      """,
    options: [.topic, partition, from, max, follow, wait, .messageFormat],
    examples: ["driftqctl topics tail --topic jobs --from @-10m --format '%p:%o %k=%v\\n'", "driftqctl topics tail --topic jobs --from latest --follow"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let request: TailRequest
  let template: MessageTemplate?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    let topic = try args.name(.topic)
    let partition = try args.integer(Self.partition, in: 0...Int64(NameRules.maximumPartitions - 1)).map { Int($0) }
    let start = try TopicTail.Start.parse(args.value(Self.from) ?? "earliest", now: .now(), command: Self.spec.path)
    let limit = try args.integer(Self.max, in: 1...Int64(Int32.max)).map { Int($0) }
    let following = args.flag(Self.follow)
    let waitMs = try args.duration(Self.wait)
    if waitMs != nil && !following { throw UsageError("--wait applies to --follow", command: Self.spec.path) }
    request = TailRequest(topic: topic, partition: partition, start: start, limit: limit, follow: following, waitMs: waitMs)
    template = try MessageTemplate.option(&args, globals: globals, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let broker = try BrokerFace.open(globals, context)
    if let template {
      try broker.tail(request) { item in
        if let fields = MessageTemplate.fields(ofItem: item, topic: request.topic) { context.stdout.write(bytes: template.render(fields)) }
        context.stdout.flush()
        return !context.stdout.isBroken
      }
      return .success
    }
    var stream = AnswerStream("messages", format: globals.output, out: context.stdout)
    try stream.finishing { messages in
      try broker.tail(request) { item in
        messages.row(encoded: item, text: item)
        context.stdout.flush()
        return !context.stdout.isBroken
      }
    }
    return .success
  }
}
