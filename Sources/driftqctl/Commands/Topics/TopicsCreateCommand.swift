import ReplayEngine

/// `topics create`: creates a topic; the same name and partition count again is a no-op.
struct TopicsCreateCommand: Command {
  static let spec = CommandSpec(
    ["topics", "create"], abstract: "Create a topic (idempotent for the same partition count).",
    discussion: "Prints the Go driftqctl's line: created topic \"NAME\" partitions=N. Creating an existing topic with the same\npartition count succeeds and writes nothing; a different count is an error (exit 1).",
    options: [
      OptionSpec("name", placeholder: "NAME", help: "The topic's name.", required: true),
      OptionSpec("partitions", placeholder: "N", help: "Number of partitions (1-4096).", default: "1"),
    ],
    examples: ["driftqctl topics create --name orders --partitions 3"])

  let globals: GlobalOptions
  let name: String
  let partitions: Int

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    name = try args.name(Self.spec.options[0])
    partitions = Int(try args.integer(Self.spec.options[1], in: 1...Int64(NameRules.maximumPartitions)) ?? 1)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let broker = try LocalBroker.open(globals, context: context, creating: true)
    let created = try broker.commit { state, _ in
      let decision = try BrokerDecider.createTopic(state, name: name, partitions: partitions).get()
      return (decision.map { [.topicCreated($0)] } ?? [], decision != nil)
    }
    switch globals.output {
    case .text:
      context.stdout.line(created
        ? "created topic \(GoQuote.quote(name)) partitions=\(partitions)"
        : "topic \(GoQuote.quote(name)) already exists partitions=\(partitions)")
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([
        ("status", .string(created ? "created" : "exists")), ("name", .string(name)), ("partitions", .int(partitions)),
      ])))
    }
    return .success
  }
}
