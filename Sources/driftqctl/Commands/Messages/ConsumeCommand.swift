import ReplayEngine
import WALFormat

/// `consume`: leases messages to an owner of a group and prints one DriftQ ConsumeItem each.
struct ConsumeCommand: Command {
  static let leaseMs = OptionSpec("lease-ms", placeholder: "MS", help: "Lease length; unacked messages go to any owner after it.", default: "2000")
  static let max = OptionSpec("max", placeholder: "N", help: "Stop after N messages.")
  static let follow = OptionSpec.flag("follow", help: "Keep waiting for new messages (and expired leases).")
  static let timeout = OptionSpec("timeout", placeholder: "DURATION", help: "Stop after this long (with --follow and --max: exit 5 if fewer arrived).")
  static let maxInflight = OptionSpec("max-inflight", placeholder: "N", help: "Cap on unacked leases per group and partition (0: no cap).", default: "32")

  static let spec = CommandSpec(
    ["consume"], abstract: "Lease messages to OWNER in GROUP and print one ConsumeItem per line.",
    discussion: """
      Each line is DriftQ's ConsumeItem: {"partition","offset","attempts","key","value","last_error",
      "envelope"?}, printed only once its lease is durable. Expired leases and nacked messages come
      first (after their retry backoff), then new ones. A message that used its retry policy's
      max_attempts, or whose deadline passed, moves to dlq.<topic> instead; a message whose
      idempotency key the group already committed is skipped. Without --follow it stops when
      nothing more is deliverable now. Output is one object per line in every format.
      """,
    options: [.topic, .group, .owner, leaseMs, max, follow, timeout, maxInflight],
    examples: ["driftqctl consume --topic orders --group billing --owner w1 --max 10 | worker | driftqctl ack --batch --topic orders --group billing --owner w1"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let topic: String
  let group: String
  let owner: String
  let lease: Int64
  let limit: Int?
  let keepFollowing: Bool
  let timeoutMs: Int64?
  let inflightCap: Int?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    topic = try args.name(.topic)
    group = try args.name(.group)
    owner = try args.name(.owner)
    lease = try args.integer(Self.leaseMs, in: 1...86_400_000) ?? 2000
    limit = try args.integer(Self.max, in: 1...Int64(Int32.max)).map { Int($0) }
    keepFollowing = args.flag(Self.follow)
    timeoutMs = try args.duration(Self.timeout)
    let cap = try args.integer(Self.maxInflight, in: 0...1_000_000) ?? Int64(BrokerDecider.defaultMaxInflight)
    inflightCap = cap == 0 ? nil : Int(cap)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    if let client = try globals.remote() {
      let remote = RemoteBroker(client: client, globals: globals, context: context)
      let printed = try remote.consume(topic: topic, group: group, owner: owner, leaseMs: lease, limit: limit, follow: keepFollowing, timeoutMs: timeoutMs)
      if keepFollowing, let limit, printed < limit, timeoutMs != nil {
        throw CommandFailure(.unavailable, "timed out after \(timeoutMs ?? 0) ms with \(printed) of \(limit) messages")
      }
      return .success
    }
    let broker = try LocalBackend.open(globals, context: context)
    let start = context.clock()
    let deadline = timeoutMs.map { start.adding(milliseconds: $0) }
    let watcher = keepFollowing ? DirectoryWatcher(path: broker.directory.walPath) : nil
    var delivered = 0
    var deadLettered = 0
    defer {
      if deadLettered > 0 {
        context.note("moved \(deadLettered) message\(deadLettered == 1 ? "" : "s") to \(BrokerDecider.deadLetterTopic(of: topic)) (see 'driftqctl dlq list --topic \(topic)')")
      }
    }
    while true {
      let room = min(limit.map { $0 - delivered } ?? Int.max, 1024)
      let decision = try broker.commit { state, now in
        let decision = try BrokerDecider.deliveries(
          state, topic: topic, group: group, owner: owner, leaseMs: lease, now: now, limit: room,
          maxInflight: inflightCap, ownLeasesSince: keepFollowing ? nil : start, loader: broker.loader)
        return (decision.events, decision)
      }
      let leases = decision.leases
      deadLettered += decision.deadLettered
      for lease in leases {
        try print(lease, broker, context)
      }
      context.stdout.flush()
      if context.stdout.isBroken { return .success }
      delivered += leases.count
      if let limit, delivered >= limit { return .success }
      let now = context.clock()
      if let deadline, now >= deadline {
        if keepFollowing, let limit {
          throw CommandFailure(.unavailable, "timed out after \(timeoutMs ?? 0) ms with \(delivered) of \(limit) messages")
        }
        return .success
      }
      guard decision.events.isEmpty else { continue }
      guard let watcher else { return .success }
      // Sleep until the log changes, a lease expires, or the deadline: whichever is first.
      var wake = now.adding(milliseconds: 1000)
      if let due = BrokerDecider.nextWakeTime(broker.state, topic: topic, group: group, after: now) { wake = min(wake, due) }
      if let deadline { wake = min(wake, deadline) }
      watcher.wait(milliseconds: Int((wake.nanoseconds - now.nanoseconds) / 1_000_000) + 1)
    }
  }

  private func print(_ lease: MessageDelivered, _ broker: LocalBackend, _ context: CommandContext) throws {
    guard let stored = broker.state.topics[topic]?.partitions[safe: lease.partition]?[safe: lease.offset] else {
      throw CommandFailure(.failure, "leased message \(topic)/\(lease.partition)@\(lease.offset) is missing from state")
    }
    let message = try broker.message(at: stored.position)
    let lastError = broker.state.cursor(topic: topic, group: group, partition: lease.partition).inflight[lease.offset]?.lastError ?? ""
    context.stdout.line(PayloadRendering.consumeItem(message, attempts: lease.attempt, lastError: lastError))
  }
}
