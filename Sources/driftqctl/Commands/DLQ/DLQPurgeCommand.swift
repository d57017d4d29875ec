import ReplayEngine
import WALFormat

/// `dlq purge`: removes dead-lettered messages of a topic (all, or those older than a
/// duration, or with a key); a dry run that lists them unless `--execute`.
struct DLQPurgeCommand: Command {
  static let olderThan = OptionSpec("older-than", placeholder: "DURATION", help: "Only messages dead-lettered at least this long ago (7d, 12h).")
  static let key = OptionSpec("key", placeholder: "KEY", help: "Only messages with this key.")

  static let spec = CommandSpec(
    ["dlq", "purge"], abstract: "Remove DLQ messages (all, --older-than, --key); a dry run unless --execute.",
    discussion: """
      Lists the messages that go, redriven ones included, and how many stay. With --execute they
      leave 'dlq list' and 'dlq redrive' at once (records of at most 4096 messages each), and
      'wal compact' reclaims them as it does redriven ones: a DLQ partition gives up its messages
      from the oldest while every one of them is purged or redriven.
      """,
    options: [.topic, olderThan, key, .execute],
    examples: ["driftqctl dlq purge --topic jobs --older-than 30d", "driftqctl dlq purge --topic jobs --key cust-1 --execute"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let selection: BrokerDecider.DeadLetterSelection
  let execute: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(.topic)
    selection = BrokerDecider.DeadLetterSelection(
      olderThanMs: try args.duration(Self.olderThan), key: args.value(Self.key).map(ArgumentBytes.bytes(of:)))
    execute = args.flag(.execute)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let outcome = try BrokerFace.open(globals, context).purgeDeadLetters(PurgeRequest(topic: topic, selection: selection, execute: execute))
    let dlqTopic = BrokerDecider.deadLetterTopic(of: topic)
    let extra: [(String, JSONValue)] = [
      ("topic", .string(topic)), ("dlq_topic", .string(dlqTopic)), ("executed", .bool(execute)), ("remaining", .int(outcome.remaining)),
    ]
    context.print(
      .list("purged", outcome.purged.map(DLQListCommand.row), extra: extra) {
        var text = ""
        if !outcome.purged.isEmpty {
          var table = TableRenderer(["DLQ_MESSAGE", "ORIGINAL", "REASON", "ROUTED_AT", "REDRIVEN"])
          for e in outcome.purged {
            table.add([
              DLQListCommand.place(e.copy), "\(e.info.originalTopic)/\(e.info.originalPartition)@\(e.info.originalOffset)", e.info.reason,
              RFC3339.format(e.info.routedAt), e.redrivenTo == nil ? "no" : "yes",
            ])
          }
          text = table.render()
        }
        text += "\(execute ? "purged" : "would purge") \(outcome.purged.count) messages from \(dlqTopic); \(outcome.remaining) stay\n"
        return text + DryRun.removalFooter(executed: execute, reclaims: "them", action: "purge")
      }, as: globals.output)
    return .success
  }
}
