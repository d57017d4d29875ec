import ReplayEngine
import WALFormat

/// The broker on a WAL directory opened in this process: decide (under the writer lock, on
/// the state caught up with every other writer) -> append + fdatasync -> apply.
final class LocalBroker: Broker {
  private let globals: GlobalOptions
  private let context: CommandContext
  private let asOf: LogPosition?
  private var opened: LocalBackend?

  init(globals: GlobalOptions, context: CommandContext, asOf: LogPosition?) {
    self.globals = globals
    self.context = context
    self.asOf = asOf
  }

  /// The directory, opened on first use; only `topics create` may create it.
  func backend(creating: Bool = false) throws -> LocalBackend {
    if let opened { return opened }
    let backend = try LocalBackend.open(globals, context: context, creating: creating, asOf: asOf)
    opened = backend
    return backend
  }

  /// The time a state answers for: the `--at` time, the last folded record's for an LSN,
  /// else now (leases are live or expired as of that moment).
  private func answerTime(_ backend: LocalBackend) -> WALTimestamp {
    switch backend.asOf {
    case .time(let t)?: return t
    case .lsn?: return backend.state.lastTime ?? context.clock()
    default: return context.clock()
    }
  }

  func topics() throws -> [TopicSummary] { BrokerCommands.topics(try backend().state) }

  func createTopic(name: String, partitions: Int, limits: ProducerLimits) throws -> TopicCreation {
    try backend(creating: true).commit { state, _ in
      let (events, outcome) = try BrokerCommands.createTopic(state, name: name, partitions: partitions, limits: limits)
      return (events, outcome)
    }
  }

  func publish(_ requests: [PublishRequest]) throws -> [Result<PublishReceipt, BrokerRejection>] {
    try backend().commit { state, now in
      var batch = BrokerCommands.Batch()
      let (events, outcomes) = BrokerCommands.publish(state, requests, now: now, batch: &batch)
      return (events, outcomes)
    }
  }

  func settle(_ requests: [SettleRequest]) throws -> [Result<SettleReceipt, BrokerRejection>] {
    let backend = try backend()
    return try backend.commit { state, now in
      var batch = BrokerCommands.Batch()
      let (events, outcomes) = BrokerCommands.settle(state, requests, now: now, batch: &batch, loader: backend.loader)
      return (events, outcomes)
    }
  }

  func consume(_ request: ConsumeRequest, deliver: (ConsumeLine) -> Bool) throws -> ConsumeSummary {
    let backend = try backend()
    let start = context.clock()
    let deadline = request.waitMs.map { start.adding(milliseconds: $0) }
    let watcher = request.follow ? DirectoryWatcher(path: backend.directory.walPath) : nil
    var summary = ConsumeSummary()
    let cap: Int?
    switch request.maxInflight {
    case .faceDefault: cap = BrokerDecider.defaultMaxInflight
    case .none: cap = nil
    case .limit(let n): cap = n
    }
    // A follower is a stream: what it printed and nobody settled yet is never printed again
    // (see StreamHoldings); a one-shot consume never takes back what it leased itself.
    var holdings = StreamHoldings(owner: request.owner)
    while true {
      let room = min(request.limit.map { $0 - summary.delivered } ?? Int.max, 1024)
      let held = holdings
      let decision = try backend.commit { state, now in
        let decision = try BrokerDecider.deliveries(
          state, topic: request.topic, group: request.group, owner: request.owner, leaseMs: request.leaseMs, now: now,
          limit: room, maxInflight: cap, ownLeasesSince: request.follow ? nil : start, holdings: request.follow ? held : nil,
          loader: backend.loader)
        return (decision.events, decision)
      }
      // Only a follower needs them; remembering a one-shot consume's leases made it
      // quadratic (each round looked at every lease taken so far).
      if request.follow {
        holdings.record(decision.leases)
        holdings.forgetSettled(in: backend.state, topic: request.topic, group: request.group)
      }
      summary.deadLettered += decision.deadLettered
      for lease in decision.leases {
        summary.delivered += 1
        guard deliver(try line(lease, request, backend)) else { return summary }
      }
      if let limit = request.limit, summary.delivered >= limit { return summary }
      let now = context.clock()
      if let deadline, now >= deadline { return summary }
      guard decision.events.isEmpty else { continue }
      guard let watcher else {
        summary.heldByInflightCap = decision.heldByInflightCap
        return summary
      }
      // Sleep until the log changes, a lease expires, or the deadline: whichever is first.
      var wake = now.adding(milliseconds: 1000)
      if let due = BrokerDecider.nextWakeTime(backend.state, topic: request.topic, group: request.group, after: now) {
        wake = min(wake, due)
      }
      if let deadline { wake = min(wake, deadline) }
      watcher.wait(milliseconds: Int((wake.nanoseconds - now.nanoseconds) / 1_000_000) + 1)
    }
  }

  private func line(_ lease: MessageDelivered, _ request: ConsumeRequest, _ backend: LocalBackend) throws -> ConsumeLine {
    let state = backend.state
    guard let stored = state.topics[request.topic]?.partitions[safe: lease.partition]?[safe: lease.offset] else {
      throw CommandFailure(.failure, "leased message \(request.topic)/\(lease.partition)@\(lease.offset) is missing from state")
    }
    let message = try backend.message(at: stored.position)
    let lastError = state.cursor(topic: request.topic, group: request.group, partition: lease.partition).inflight[lease.offset]?.lastError ?? ""
    return ConsumeLine(
      text: PayloadRendering.consumeItem(message, attempts: lease.attempt, lastError: lastError),
      partition: lease.partition, offset: lease.offset)
  }

  func lag(group: String, topic: String?) throws -> LagAnswer {
    let backend = try backend()
    return try BrokerCommands.lag(backend.state, group: group, topic: topic, now: answerTime(backend))
  }

  func groups() throws -> [GroupSummary] {
    let backend = try backend()
    return BrokerCommands.groups(backend.state, now: answerTime(backend))
  }

  func seek(_ request: SeekRequest) throws -> [BrokerDecider.SeekStep] {
    try decide(execute: request.execute) { state, _ in
      let decision = try BrokerDecider.seek(state, topic: request.topic, group: request.group, to: request.target, partition: request.partition)
      return (decision.plan, decision.events)
    }
  }

  func deadLetters(topic: String) throws -> [DeadLetterEntry] {
    try BrokerCommands.deadLetters(try backend().state, topic: topic)
  }

  func redrive(_ request: RedriveRequest) throws -> RedriveOutcome {
    let loader = try backend().loader
    return try decide(execute: !request.dryRun) { state, now in
      let (events, outcome) = try BrokerCommands.redrive(state, request, now: now, loader: loader)
      return (outcome, events)
    }
  }

  func tail(_ request: TailRequest, deliver: (String) -> Bool) throws {
    let backend = try backend()
    var cursor = try TopicTail.cursor(backend.state, topic: request.topic, partition: request.partition, start: request.start)
    let deadline = request.waitMs.map { context.clock().adding(milliseconds: $0) }
    let watcher = request.follow ? DirectoryWatcher(path: backend.directory.walPath) : nil
    var delivered = 0
    while true {
      let room = min(request.limit.map { $0 - delivered } ?? Int.max, 1024)
      let (messages, next) = try TopicTail.read(backend.state, topic: request.topic, cursor: cursor, limit: room)
      cursor = next
      for message in messages {
        delivered += 1
        guard deliver(TopicTail.item(try backend.message(at: message.stored.position), topic: request.topic, time: message.stored.publishedAt)) else { return }
      }
      if let limit = request.limit, delivered >= limit { return }
      guard messages.isEmpty else { continue }
      guard let watcher else { return }
      let now = context.clock()
      if let deadline, now >= deadline { return }
      let wait = deadline.map { Int(($0.nanoseconds - now.nanoseconds) / 1_000_000) + 1 } ?? 1000
      watcher.wait(milliseconds: min(wait, 1000))
      try backend.catchUp()
    }
  }

  func peek(topic: String, partition: Int?, limit: Int) throws -> [String] {
    let backend = try backend()
    return try TopicPeek.oldest(backend.state, topic: topic, partition: partition, limit: limit).map {
      PayloadRendering.consumeItem(try backend.message(at: $0.position), attempts: 0, lastError: "")
    }
  }

  func deleteTopic(_ topic: String, execute: Bool) throws -> BrokerDecider.TopicRemoval {
    try decide(execute: execute) { state, _ in try BrokerDecider.deleteTopic(state, topic: topic) }
  }

  func deleteGroup(topic: String, group: String, execute: Bool) throws -> BrokerDecider.GroupRemoval {
    try decide(execute: execute) { state, now in try BrokerDecider.deleteGroup(state, topic: topic, group: group, now: now) }
  }

  func purgeDeadLetters(_ request: PurgeRequest) throws -> PurgeOutcome {
    try decide(execute: request.execute) { state, now in
      let (events, outcome) = try BrokerCommands.purge(state, request, now: now)
      return (outcome, events)
    }
  }

  /// A command that is a plan until carried out (seek, redrive, the removals): decided on
  /// the state as it is (a dry run), or under the writer lock and written when `execute`.
  private func decide<T>(execute: Bool, _ body: (BrokerState, WALTimestamp) throws -> (T, [BrokerEvent])) throws -> T {
    let backend = try backend()
    guard execute else { return try body(backend.state, answerTime(backend)).0 }
    return try backend.commit { state, now in
      let (plan, events) = try body(state, now)
      return (events, plan)
    }
  }
}
