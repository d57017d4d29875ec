/// `ack`: settles a leased message; only its owner may, and only while it holds the lease.
struct AckCommand: Command {
  static let spec = CommandSpec(
    ["ack"], abstract: "Acknowledge a message (owner-checked); --batch reads NDJSON from stdin.",
    discussion: """
      The committed offset is the highest offset up to which every message is acked. An ack by
      someone other than the lease holder, of a message not in flight, or on a missing topic is
      refused with exit 1 and writes nothing. With --batch, each line needs "partition" and
      "offset" (a ConsumeItem line works); text mode prints one summary line acked=N failed=M.
      """,
    options: [.topic, .group, .owner, OptionSpec.partition.with(required: false), OptionSpec.offset.with(required: false), .batch],
    examples: ["driftqctl ack --topic orders --group billing --owner w1 --partition 0 --offset 4"])

  static let worksRemotely = true
  let runner: SettleRunner
  let target: (partition: Int, offset: Int64)?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    runner = SettleRunner(globals: globals, topic: try args.name(.topic), group: try args.name(.group), owner: try args.name(.owner), action: .ack)
    target = try Self.target(&args, batch: args.flag(.batch), spec: Self.spec)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    guard let target else { return try runner.runBatch(in: context) }
    return try runner.runOne(partition: target.partition, offset: target.offset, in: context)
  }

  /// `--partition` and `--offset`, required unless `--batch`.
  static func target(_ args: inout ParsedArguments, batch: Bool, spec: CommandSpec) throws(UsageError) -> (partition: Int, offset: Int64)? {
    let partition = try args.partition(.partition)
    let offset = try args.integer(.offset, in: 0...Int64.max)
    if batch {
      if partition != nil || offset != nil { throw UsageError("--batch reads partition and offset from stdin", command: spec.path) }
      return nil
    }
    guard let partition, let offset else { throw UsageError("missing --partition and --offset (or use --batch)", command: spec.path) }
    return (partition, offset)
  }
}
