#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// `dlq redrive`: republishes dead-lettered messages, oldest first, each exactly once.
///
/// Each redrive is one record that both creates the new message and marks the DLQ message
/// redriven, decided under the writer lock against the current state: running it again (from
/// cron, or after a crash half-way) only takes what is still not redriven.
struct DLQRedriveCommand: Command {
  static let to = OptionSpec("to", placeholder: "TOPIC", help: "Republish here instead of the original topic.")
  static let max = OptionSpec("max", placeholder: "N", help: "Redrive at most N messages.")
  static let rate = OptionSpec("rate", placeholder: "N/s", help: "At most N messages per second (also N/m).")
  static let olderThan = OptionSpec("older-than", placeholder: "DURATION", help: "Only messages dead-lettered at least this long ago.")
  static let key = OptionSpec("key", placeholder: "KEY", help: "Only messages with this key.")
  static let dryRun = OptionSpec.flag("dry-run", help: "Say what would be redriven; write nothing.")

  static let spec = CommandSpec(
    ["dlq", "redrive"], abstract: "Republish DLQ messages (oldest first) with attempts reset; never sends one twice.",
    discussion: """
      Each message goes back to its original topic and partition (or --to), with its original retry
      policy, fresh attempts, and envelope.redriven_from naming the DLQ message. Prints one summary
      line, redriven=N skipped=M remaining=K: skipped counts matching messages redriven earlier,
      remaining those still in the DLQ. Exit 0 also when there is nothing to do. In ndjson mode each
      redriven message gets a line first.
      """,
    options: [.topic, to, max, rate, olderThan, key, dryRun],
    examples: ["driftqctl dlq redrive --topic jobs --older-than 10m --rate 50/s"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let target: String?
  let selection: BrokerDecider.DeadLetterSelection
  let perSecond: Double?
  let dryRun: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(.topic)
    target = args.value(Self.to)
    let maximum = try args.integer(Self.max, in: 0...Int64(Int32.max)).map { Int($0) }
    let olderThan = try args.duration(Self.olderThan)
    let key = args.value(Self.key).map(ArgumentBytes.bytes(of:))
    selection = BrokerDecider.DeadLetterSelection(maximum: maximum, olderThanMs: olderThan, key: key)
    if let text = args.value(Self.rate) {
      let parts = text.split(separator: "/")
      guard let count = parts.first.flatMap({ Double($0) }), count > 0, parts.count <= 2 else {
        throw UsageError("invalid value \"\(text)\" for --rate: expected N/s or N/m", command: Self.spec.path)
      }
      switch parts.count == 2 ? String(parts[1]) : "s" {
      case "s": perSecond = count
      case "m": perSecond = count / 60
      default: throw UsageError("invalid value \"\(text)\" for --rate: expected N/s or N/m", command: Self.spec.path)
      }
    } else {
      perSecond = nil
    }
    dryRun = args.flag(Self.dryRun)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let broker = try BrokerFace.open(globals, context)
    func step(_ maximum: Int?, dryRun: Bool) throws -> RedriveOutcome {
      var chosen = selection
      chosen.maximum = maximum
      return try broker.redrive(RedriveRequest(topic: topic, target: target, selection: chosen, dryRun: dryRun))
    }
    // What is due now; a run never takes more than that, even when messages it redrove fail
    // back into the DLQ while it paces itself.
    let plan = try step(selection.maximum, dryRun: true)
    var redriven = 0
    var remaining = plan.remaining
    if dryRun {
      for move in plan.moves { report(move, context) }
      redriven = plan.moves.count
    } else {
      let started = context.clock()
      // Without a rate, commit in groups of 512; with one, one at a time, paced.
      let group = perSecond == nil ? 512 : 1
      let meter = ProgressMeter(context, "redriving", unit: .records, total: plan.moves.count)
      defer { meter?.finish() }
      while redriven < plan.moves.count {
        if let perSecond {
          pause(until: started.adding(milliseconds: Int64(Double(redriven) / perSecond * 1000)), context)
        }
        let take = min(group, plan.moves.count - redriven)
        let done = try step(take, dryRun: false)
        for move in done.moves { report(move, context) }
        context.stdout.flush()
        redriven += done.moves.count
        meter?.advance(by: done.moves.count)
        remaining = done.remaining
        if done.moves.count < take { break }
      }
    }
    let summary = JSONValue.object([
      ("status", .string(dryRun ? "dry_run" : "done")), ("redriven", .int(redriven)), ("skipped", .int(plan.skipped)),
      ("remaining", .int(remaining)),
    ])
    context.print(
      .object(summary) { [redriven, remaining] in
        (dryRun ? "dry run: would redrive " : "") + "redriven=\(redriven) skipped=\(plan.skipped) remaining=\(remaining)\n"
      }, as: globals.output)
    return .success
  }

  /// A message redriven (or, in a dry run, that would be): an NDJSON line once it is durable.
  private func report(_ move: RedriveOutcome.Move, _ context: CommandContext) {
    var members: [(String, JSONValue)] = [("status", .string(move.to == nil ? "would_redrive" : "redriven")), ("from", PayloadRendering.origin(move.from))]
    if let to = move.to { members.append(("to", PayloadRendering.origin(to))) }
    context.progress(.object(members), as: globals.output)
  }

  private func pause(until time: WALTimestamp, _ context: CommandContext) {
    let wait = time.nanoseconds - context.clock().nanoseconds
    guard wait > 0 else { return }
    var spec = timespec(tv_sec: Int(wait / 1_000_000_000), tv_nsec: Int(wait % 1_000_000_000))
    nanosleep(&spec, nil)
  }
}
