import ReplayEngine
import WALFormat

/// `topics delete`: removes a topic, its DLQ topic and every group on them; a dry run that
/// says what it would remove unless `--execute`.
struct TopicsDeleteCommand: Command {
  static let spec = CommandSpec(
    ["topics", "delete"], abstract: "Delete a topic with its DLQ and groups; a dry run unless --execute.",
    discussion: """
      Prints what goes: the topic's partitions, messages and bytes, its DLQ topic (dlq.TOPIC) and
      the groups on either. With --execute one topic_deleted record is written: the topic is gone
      at once (consumers and producers get topic not found; a topic of the same name created later
      starts empty), and 'wal compact' reclaims its records. A DLQ topic is not deleted alone:
      use 'dlq purge', or delete the topic it belongs to.
      """,
    options: [.topic, .execute],
    examples: ["driftqctl topics delete --topic scratch", "driftqctl topics delete --topic scratch --execute"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let execute: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(.topic)
    execute = args.flag(.execute)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let removal = try BrokerFace.open(globals, context).deleteTopic(topic, execute: execute)
    var members: [(String, JSONValue)] = [("executed", .bool(execute))]
    if case .object(let fields) = BrokerWire.topicRemoval(removal) { members += fields }
    members.append(("dlq_topic", .string(BrokerDecider.deadLetterTopic(of: topic))))
    context.print(
      .object(.object(members)) {
        let groups = removal.groups.map { $0.topic == topic ? $0.group : "\($0.group) on \($0.topic)" }
        let what = "topic \(topic) (\(removal.partitions) partitions, \(removal.messages) messages, \(removal.bytes) bytes)"
          + " with \(BrokerDecider.deadLetterTopic(of: topic)) (\(removal.deadLetters) messages) and \(groups.count) groups"
          + (groups.isEmpty ? "" : ": " + groups.joined(separator: ", "))
        return (execute ? "deleted " : "would delete ") + what + "\n"
          + DryRun.removalFooter(executed: execute, reclaims: "its records", action: "delete")
      }, as: globals.output)
    return .success
  }
}
