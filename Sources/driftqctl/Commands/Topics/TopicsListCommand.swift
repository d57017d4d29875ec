import ReplayEngine

/// `topics list`: the topics of the directory, sorted by name.
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
    if at == nil, let client = try globals.remote() {
      let names = try RemoteBroker(client: client, globals: globals, context: context).listTopics()
      switch globals.output {
      case .text:
        if names.isEmpty { context.stdout.line("(no topics)") }
        for name in names { context.stdout.line(name) }
      case .json: context.stdout.line(JSONWriter.encode(.object([("topics", .array(names.map { .object([("name", .string($0))]) }))])))
      case .ndjson: for name in names { context.stdout.line(JSONWriter.encode(.object([("name", .string(name))]))) }
      }
      return .success
    }
    let broker = try AsOf.open(at, globals, context)
    let topics = broker.state.topicNames.compactMap { broker.state.topics[$0] }
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

  /// A topic as `topics list` and `wal inspect` print it in JSON.
  static func row(_ topic: TopicState) -> JSONValue {
    .object([("name", .string(topic.name)), ("partitions", .int(topic.partitionCount)), ("messages", .int(topic.messageCount))])
  }
}
