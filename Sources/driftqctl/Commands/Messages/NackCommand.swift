/// `nack`: gives a leased message back for redelivery, recording why.
struct NackCommand: Command {
  static let reason = OptionSpec("reason", placeholder: "TEXT", help: "Why; appended to last_error as \"a | b\".", default: "nack", aliases: ["error"])

  static let spec = CommandSpec(
    ["nack"], abstract: "Negatively acknowledge a message (owner-checked); it is redelivered with attempts + 1.",
    discussion: """
      The reason is appended to the message's last_error as DriftQ does ("ack_timeout | boom").
      --error is accepted as an alias of --reason (DriftQ's docs use it; its server ignores it).
      With --batch, each line needs "partition" and "offset" and may carry its own "reason".
      """,
    options: [.topic, .group, .owner, OptionSpec.partition.with(required: false), OptionSpec.offset.with(required: false), reason, .batch],
    examples: ["driftqctl nack --topic orders --group billing --owner w1 --partition 0 --offset 4 --reason 'upstream 503'"])

  static let worksRemotely = true
  let runner: SettleRunner
  let target: (partition: Int, offset: Int64)?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    let reason = args.value(Self.reason) ?? ""
    runner = SettleRunner(globals: globals, topic: try args.name(.topic), group: try args.name(.group), owner: try args.name(.owner), action: .nack(reason: reason))
    target = try AckCommand.target(&args, batch: args.flag(.batch), spec: Self.spec)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    guard let target else { return try runner.runBatch(in: context) }
    return try runner.runOne(partition: target.partition, offset: target.offset, in: context)
  }
}
