import ReplayEngine

/// `topics create`: creates a topic; the same name and partition count again is a no-op.
struct TopicsCreateCommand: Command {
  static let spec = CommandSpec(
    ["topics", "create"], abstract: "Create a topic (idempotent for the same partition count).",
    discussion: """
      Prints the Go driftqctl's line: created topic "NAME" partitions=N. Creating an existing topic with
      the same partition count succeeds and writes nothing; a different count is an error (exit 1).
      Producer limits count only data that groups active in the last hour have not consumed, so an
      abandoned group or a DLQ nobody reads never blocks producers.
      """,
    options: [
      OptionSpec("name", placeholder: "NAME", help: "The topic's name.", required: true),
      OptionSpec("partitions", placeholder: "N", help: "Number of partitions (1-4096).", default: "1"),
      OptionSpec("max-buffered-msgs", placeholder: "N", help: "Refuse publishing (exit 5) once a partition holds N messages an active group has not consumed.", default: "0, off"),
      OptionSpec("max-buffered-bytes", placeholder: "BYTES", help: "The same limit in key+value bytes (e.g. 64MiB).", default: "0, off"),
    ],
    examples: ["driftqctl topics create --name orders --partitions 3"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let name: String
  let partitions: Int
  let limits: ProducerLimits

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    name = try args.name(Self.spec.options[0])
    partitions = Int(try args.integer(Self.spec.options[1], in: 1...Int64(NameRules.maximumPartitions)) ?? 1)
    limits = ProducerLimits(
      maxBufferedMessages: try args.integer(Self.spec.options[2], in: 0...Int64.max) ?? 0,
      maxBufferedBytes: Int64(try args.byteSize(Self.spec.options[3]) ?? 0))
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let created: Bool
    if let client = try globals.remote() {
      guard limits.isEmpty else { throw CommandFailure(.usage, "producer limits are set on a local directory (DriftQ's HTTP API has no field for them)") }
      created = try RemoteBroker(client: client, globals: globals, context: context).createTopic(name, partitions: partitions)
    } else {
      let broker = try LocalBackend.open(globals, context: context, creating: true)
      created = try broker.commit { state, _ in
        let decision = try BrokerDecider.createTopic(state, name: name, partitions: partitions, limits: limits).get()
        return (decision.map { [.topicCreated($0)] } ?? [], decision != nil)
      }
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
