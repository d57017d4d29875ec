import ReplayEngine
import WALFormat

/// `consume`: leases messages to an owner of a group and prints one DriftQ ConsumeItem each.
struct ConsumeCommand: Command {
  static let leaseMs = OptionSpec("lease-ms", placeholder: "MS", help: "Lease length; unacked messages go to any owner after it.", default: "2000")
  static let max = OptionSpec("max", placeholder: "N", help: "Stop after N messages.")
  static let follow = OptionSpec.flag("follow", help: "Keep waiting for new messages (and expired leases).")
  static let wait = OptionSpec(
    "wait", placeholder: "DURATION",
    help: "Stop after this long (with --follow and --max: exit 5 if fewer arrived). The global --timeout bounds each server answer, never the stream.")
  static let maxInflight = OptionSpec(
    "max-inflight", placeholder: "N", help: "Cap on unacked leases per group and partition (0: no cap; a server may only be asked to lower its own).",
    default: "32 locally, the server's over HTTP")

  static let spec = CommandSpec(
    ["consume"], abstract: "Lease messages to OWNER in GROUP and print one ConsumeItem per line.",
    discussion: """
      Each line is DriftQ's ConsumeItem: {"partition","offset","attempts","key","value","last_error",
      "envelope"?}, printed only once its lease is durable. Expired leases and nacked messages come
      first (after their retry backoff), then new ones. A message that used its retry policy's
      max_attempts, or whose deadline passed, moves to dlq.<topic> instead; a message whose
      idempotency key the group already committed is skipped. Without --follow it stops when
      nothing more is deliverable now; when the in-flight cap held messages back, it says so on
      stderr. Against a server, exactly --max messages are leased where the server offers
      driftqctl's consume limits (serve does); elsewhere the stream may lease more than it printed,
      and stderr says so. --follow over HTTP reconnects after a server restart until --wait runs
      out, printing each lease once. Text and -o ndjson print one ConsumeItem per line; -o json prints
      one document {"messages":[...]}, each item written as it is leased.
      """,
    options: [.topic, .group, .owner, leaseMs, max, follow, wait, maxInflight, .messageFormat],
    examples: ["driftqctl consume --topic orders --group billing --owner w1 --max 10 | worker | driftqctl ack --batch --topic orders --group billing --owner w1"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let request: ConsumeRequest
  let template: MessageTemplate?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    let topic = try args.name(.topic), group = try args.name(.group), owner = try args.name(.owner)
    let lease = try args.integer(Self.leaseMs, in: 1...86_400_000) ?? 2000
    let limit = try args.integer(Self.max, in: 1...Int64(Int32.max)).map { Int($0) }
    let keepFollowing = args.flag(Self.follow)
    let waitMs = try args.duration(Self.wait)
    if keepFollowing && waitMs == nil && args.isGiven(.timeout) {
      // Before --wait existed, consume's own --timeout ended a stream: a script that still
      // says so would now follow forever. Refuse it loudly instead.
      throw UsageError("--timeout bounds each answer of a server, not a stream: use --wait DURATION to stop consuming after a while", command: Self.spec.path)
    }
    // Locally the shell-pipeline default; a server applies its own unless one is given.
    let cap: InflightCap
    switch try args.integer(Self.maxInflight, in: 0...1_000_000) {
    case nil: cap = .faceDefault
    case 0?: cap = .none
    case let n?: cap = .limit(Int(n))
    }
    request = ConsumeRequest(
      topic: topic, group: group, owner: owner, leaseMs: lease, limit: limit, follow: keepFollowing, waitMs: waitMs, maxInflight: cap)
    template = try MessageTemplate.option(&args, globals: globals, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let broker = try BrokerFace.open(globals, context)
    // Each ConsumeItem is printed, and flushed, once its lease is durable.
    var messages = AnswerStream("messages", format: globals.output, out: context.stdout)
    let summary = try messages.finishing { messages in
      try broker.consume(request) { line in
        if let template {
          // %T is empty: a consume item does not carry its publish time.
          if let fields = MessageTemplate.fields(ofItem: line.text, topic: request.topic) { context.stdout.write(bytes: template.render(fields)) }
        } else {
          messages.row(encoded: line.text, text: line.text)
        }
        context.stdout.flush()
        return !context.stdout.isBroken
      }
    }
    if summary.deadLettered > 0 {
      context.note("moved \(summary.deadLettered) message\(summary.deadLettered == 1 ? "" : "s") to \(BrokerDecider.deadLetterTopic(of: request.topic)) (see 'driftqctl dlq list --topic \(request.topic)')")
    }
    if let limit = request.limit, summary.delivered < limit, summary.heldByInflightCap {
      context.note("stopped at \(summary.delivered) of \(limit): the in-flight cap (--max-inflight per partition) holds the rest until these are acked")
    }
    if summary.serverMayHoldMore {
      context.warn("this server cannot lease exactly --max messages: it may have leased more to \(request.owner) than were printed; they go back to the group when their \(request.leaseMs) ms lease expires")
    }
    if request.follow, let limit = request.limit, let waitMs = request.waitMs, summary.delivered < limit {
      throw CommandFailure(.unavailable, "timed out after \(waitMs) ms with \(summary.delivered) of \(limit) messages")
    }
    return .success
  }
}
