import ReplayEngine
import WALFormat

/// `dlq list`: a topic's dead-lettered messages, why they failed, and whether they were redriven.
struct DLQListCommand: Command {
  static let spec = CommandSpec(
    ["dlq", "list"], abstract: "List a topic's dead-lettered messages with their DLQ metadata and redrive state.",
    options: [.topic, AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(.topic)
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let entries = try BrokerFace.open(globals, context, asOf: at).deadLetters(topic: topic)
    let extra: [(String, JSONValue)] = [("topic", .string(topic)), ("dlq_topic", .string(BrokerDecider.deadLetterTopic(of: topic)))]
    context.print(
      .list("messages", entries.map(Self.row), extra: extra) {
        guard !entries.isEmpty else { return "(no dead-lettered messages)\n" }
        var table = TableRenderer(["DLQ_MESSAGE", "ORIGINAL", "GROUP", "ATTEMPTS", "REASON", "ROUTED_AT", "REDRIVEN_TO", "LAST_ERROR"])
        for e in entries {
          table.add([
            Self.place(e.copy), "\(e.info.originalTopic)/\(e.info.originalPartition)@\(e.info.originalOffset)", e.info.group.isEmpty ? "-" : e.info.group,
            String(e.info.attempts), e.info.reason, RFC3339.format(e.info.routedAt), e.redrivenTo.map(Self.place) ?? "-",
            e.info.lastError.isEmpty ? "-" : e.info.lastError,
          ])
        }
        return table.render()
      }, as: globals.output)
    return .success
  }

  /// A dead-lettered message: where it is, its key, DriftQ's DLQ metadata, and its redrive.
  static func row(_ e: DeadLetterEntry) -> JSONValue {
    var members: [(String, JSONValue)] = [("dlq_partition", .int(e.copy.partition)), ("dlq_offset", .int(e.copy.offset))]
    let (key, keyIsBase64) = PayloadRendering.text(e.key)
    members.append(("key", .string(key)))
    if keyIsBase64 { members.append(("key_encoding", .string("base64"))) }
    members.append(("dlq", PayloadRendering.deadLetterInfo(e.info)))
    members.append(("redriven", .bool(e.redrivenTo != nil)))
    if let to = e.redrivenTo { members.append(("redriven_to", PayloadRendering.origin(to))) }
    if let at = e.redrivenAt { members.append(("redriven_at", .string(RFC3339.format(at)))) }
    return .object(members)
  }

  static func place(_ origin: MessageOrigin) -> String { "\(origin.topic)/\(origin.partition)@\(origin.offset)" }
}
