import ReplayEngine

/// `topics create`: creates a topic; the same name and partition count again is a no-op.
struct TopicsCreateCommand: Command {
  static let name = OptionSpec("name", placeholder: "NAME", help: "The topic's name.", required: true)
  static let partitions = OptionSpec("partitions", placeholder: "N", help: "Number of partitions (1-4096).", default: "1")
  static let maxBufferedMessages = OptionSpec(
    "max-buffered-msgs", placeholder: "N", help: "Refuse publishing (exit 5) once a partition holds N messages an active group has not consumed.",
    default: "0, off")
  static let maxBufferedBytes = OptionSpec(
    "max-buffered-bytes", placeholder: "BYTES", help: "The same limit in key+value bytes (e.g. 64MiB).", default: "0, off")

  static let spec = CommandSpec(
    ["topics", "create"], abstract: "Create a topic (idempotent for the same partition count).",
    discussion: """
      Prints the Go driftqctl's line: created topic "NAME" partitions=N. Creating an existing topic with
      the same partition count succeeds and writes nothing; a different count is an error (exit 1) that
      says the count the topic kept. Producer limits count only data that groups active in the last
      hour have not consumed, so an abandoned group or a DLQ nobody reads never blocks producers.
      """,
    options: [name, partitions, maxBufferedMessages, maxBufferedBytes],
    examples: ["driftqctl topics create --name orders --partitions 3"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let partitionCount: Int
  let limits: ProducerLimits

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(Self.name)
    partitionCount = Int(try args.integer(Self.partitions, in: 1...Int64(NameRules.maximumPartitions)) ?? 1)
    limits = ProducerLimits(
      maxBufferedMessages: try args.integer(Self.maxBufferedMessages, in: 0...Int64.max) ?? 0,
      maxBufferedBytes: Int64(try args.byteSize(Self.maxBufferedBytes) ?? 0))
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let outcome = try BrokerFace.open(globals, context).createTopic(name: topic, partitions: partitionCount, limits: limits)
    if !outcome.created && outcome.partitions == nil {
      context.note("this server does not say how many partitions the topic has; \(partitionCount) were asked for")
    }
    var members: [(String, JSONValue)] = [("status", .string(outcome.created ? "created" : "exists")), ("name", .string(topic))]
    if let kept = outcome.partitions { members.append(("partitions", .int(kept))) }
    context.print(
      .object(.object(members)) {
        if outcome.created { return "created topic \(GoQuote.quote(topic)) partitions=\(partitionCount)\n" }
        return "topic \(GoQuote.quote(topic)) already exists" + (outcome.partitions.map { " partitions=\($0)" } ?? "") + "\n"
      }, as: globals.output)
    return .success
  }
}
