import ReplayEngine

/// `topics list`: the topics, sorted by name.
struct TopicsListCommand: Command {
  static let spec = CommandSpec(
    ["topics", "list"], abstract: "List topics (names in text mode; partitions and message counts in JSON).",
    options: [AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let topics = try BrokerFace.open(globals, context, asOf: at).topics()
    switch globals.output {
    case .text:
      if topics.isEmpty { context.stdout.line("(no topics)") }
      for topic in topics { context.stdout.line(topic.name) }
    case .json:
      context.stdout.line(JSONWriter.encode(.object([("topics", .array(topics.map(Self.row)))])))
    case .ndjson:
      for topic in topics { context.stdout.line(JSONWriter.encode(Self.row(topic))) }
    }
    return .success
  }

  /// A topic as `topics list` and `wal inspect` print it in JSON (counts where known).
  static func row(_ topic: TopicSummary) -> JSONValue {
    var members: [(String, JSONValue)] = [("name", .string(topic.name))]
    if let partitions = topic.partitions { members.append(("partitions", .int(partitions))) }
    if let messages = topic.messages { members.append(("messages", .int(messages))) }
    return .object(members)
  }
}
