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
    context.print(
      .list("topics", topics.map(Self.row)) {
        topics.isEmpty ? "(no topics)\n" : Answer.lines(topics.map(\.name))
      }, as: globals.output)
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
