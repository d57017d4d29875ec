import ReplayEngine

/// `topics peek`: a topic's oldest messages, read without leasing them.
struct TopicsPeekCommand: Command {
  static let partition = OptionSpec("partition", placeholder: "P", help: "Only this partition (default: all).")
  static let count = OptionSpec("n", placeholder: "N", help: "How many messages (1-100).", default: "5")
  static let pretty = OptionSpec.flag("pretty", help: "Pretty-print each message (text mode).")
  static let spec = CommandSpec(
    ["topics", "peek"], abstract: "Show a topic's oldest messages (DriftQ consume items), without leasing them.",
    discussion: """
      One JSON line per message, in publish order, or (empty). Nothing is leased or acked, so
      consumers see the same messages; -o json prints DriftQ's /debug/topics/peek document.
      """,
    options: [.topic, partition, count, pretty, .messageFormat],
    examples: ["driftqctl topics peek --topic jobs --n 3 --pretty"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let onlyPartition: Int?
  let limit: Int
  let prettyPrinted: Bool
  let template: MessageTemplate?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(.topic)
    let p = try args.integer(Self.partition, in: -1...Int64(NameRules.maximumPartitions - 1))
    onlyPartition = p.flatMap { $0 < 0 ? nil : Int($0) }
    limit = Int(try args.integer(Self.count, in: 1...Int64(TopicPeek.maximum)) ?? 5)
    prettyPrinted = args.flag(Self.pretty)
    template = try MessageTemplate.option(&args, globals: globals, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let items = try BrokerFace.open(globals, context).peek(topic: topic, partition: onlyPartition, limit: limit)
    if let template {
      for item in items { if let fields = MessageTemplate.fields(ofItem: item, topic: topic) { context.stdout.write(bytes: template.render(fields)) } }
      return .success
    }
    // Both faces give compact ConsumeItem objects; decoded once for the JSON document.
    let messages = try items.map { try JSONParser.parse(bytes: Array($0.utf8)) }
    context.print(
      .list("messages", messages, extra: TopicPeek.header(topic: topic, limit: limit)) {
        if items.isEmpty { return "(empty)\n" }
        return Answer.lines(prettyPrinted ? messages.map { JSONWriter.encodePretty($0) } : items)
      }, as: globals.output)
    return .success
  }
}
