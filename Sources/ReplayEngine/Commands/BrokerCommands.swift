import WALFormat

/// The broker commands decided once, for every face: state and time in, events and typed
/// outcomes out. The local broker and `serve` both call these; the HTTP client only carries
/// the requests and outcomes.
public enum BrokerCommands {
  /// Decisions made within one write, so they see each other: consecutive offsets, a key
  /// produced twice, a message acked twice.
  public struct Batch: Sendable {
    public var pending = BrokerDecider.Pending()
    public var settled: [GroupKey: Set<BrokerDecider.MessageRef>] = [:]
    public init() {}
  }

  public static func createTopic(
    _ state: BrokerState, name: String, partitions: Int, limits: ProducerLimits
  ) throws(BrokerRejection) -> (events: [BrokerEvent], outcome: TopicCreation) {
    let created = try BrokerDecider.createTopic(state, name: name, partitions: partitions, limits: limits).get()
    return (created.map { [.topicCreated($0)] } ?? [], TopicCreation(created: created != nil, partitions: partitions))
  }

  /// Each request decided against the same state; a rejection rejects that request alone.
  /// `defaultLimits` apply to topics created without producer limits of their own.
  public static func publish(
    _ state: BrokerState, _ requests: [PublishRequest], now: WALTimestamp, defaultLimits: ProducerLimits = ProducerLimits(),
    batch: inout Batch
  ) -> (events: [BrokerEvent], outcomes: [Result<PublishReceipt, BrokerRejection>]) {
    var events: [BrokerEvent] = []
    var outcomes: [Result<PublishReceipt, BrokerRejection>] = []
    outcomes.reserveCapacity(requests.count)
    for request in requests {
      let decision = BrokerDecider.publish(
        state, topic: request.topic, key: request.key, value: request.value, envelope: request.envelope, now: now,
        defaultLimits: defaultLimits, pending: &batch.pending)
      switch decision {
      case .success(.published(let message)):
        events.append(.messagePublished(message))
        outcomes.append(.success(PublishReceipt(
          requestedTopic: request.topic, place: MessageOrigin(topic: message.topic, partition: message.partition, offset: message.offset),
          duplicate: false)))
      case .success(.duplicate(let original)):
        outcomes.append(.success(PublishReceipt(requestedTopic: request.topic, place: original, duplicate: true)))
      case .failure(let rejection):
        outcomes.append(.failure(rejection))
      }
    }
    return (events, outcomes)
  }

  /// Acks and nacks, each decided against the same state. A nack of a message's last allowed
  /// attempt also moves it to the DLQ in the same write.
  public static func settle(
    _ state: BrokerState, _ requests: [SettleRequest], now: WALTimestamp, batch: inout Batch,
    loader: BrokerDecider.MessageLoader
  ) -> (events: [BrokerEvent], outcomes: [Result<SettleReceipt, BrokerRejection>]) {
    var events: [BrokerEvent] = []
    var outcomes: [Result<SettleReceipt, BrokerRejection>] = []
    for request in requests {
      let key = GroupKey(topic: request.topic, group: request.group)
      // Taken out while it grows: a copy left in the dictionary would make every insert copy
      // the whole set (quadratic in the batch: most of an `ack --batch`).
      var settled = batch.settled.removeValue(forKey: key) ?? []
      defer { batch.settled[key] = settled }
      switch request.action {
      case .ack:
        switch BrokerDecider.ack(
          state, topic: request.topic, group: request.group, owner: request.owner, partition: request.partition,
          offset: request.offset, settled: &settled)
        {
        case .success(let acked):
          events.append(.messageAcked(acked))
          outcomes.append(.success(SettleReceipt(reason: nil)))
        case .failure(let rejection): outcomes.append(.failure(rejection))
        }
      case .nack(let reason):
        do {
          let nacked = try BrokerDecider.nack(
            state, topic: request.topic, group: request.group, owner: request.owner, partition: request.partition,
            offset: request.offset, reason: reason, now: now, settled: &settled, pending: &batch.pending, loader: loader)
          events += nacked
          var receipt = SettleReceipt(reason: reason.isEmpty ? "nack" : reason)
          for case .messageDeadLettered(let moved) in nacked {
            receipt.deadLettered = MessageOrigin(topic: moved.copy.topic, partition: moved.copy.partition, offset: moved.copy.offset)
            receipt.attempts = moved.copy.envelope.dlq?.attempts ?? 0
          }
          outcomes.append(.success(receipt))
        } catch let rejection as BrokerRejection {
          outcomes.append(.failure(rejection))
        } catch {
          outcomes.append(.failure(BrokerRejection(.invalidArgument, "\(error)")))
        }
      }
    }
    return (events, outcomes)
  }

  /// DriftQ's ack-cumulative: acks every offset after the committed one up to `offset`, all
  /// or nothing. Offsets already acked ahead are left alone.
  public static func ackThrough(
    _ state: BrokerState, topic: String, group: String, owner: String, partition: Int, offset: Int64,
    batch: inout Batch
  ) throws(BrokerRejection) -> [BrokerEvent] {
    let key = GroupKey(topic: topic, group: group)
    // Taken out while it grows (see `settle`), and put back as it was when the range fails.
    var settled = batch.settled.removeValue(forKey: key) ?? []
    defer { batch.settled[key] = settled }
    let cursor = state.cursor(topic: topic, group: group, partition: partition)
    guard offset > cursor.committed else {
      // Nothing to ack, but the names and the partition must still be valid.
      if state.topics[topic] == nil { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
      return []
    }
    var events: [BrokerEvent] = []
    var failure: BrokerRejection?
    for o in (cursor.committed + 1)...offset where !cursor.ackedAhead.contains(o) {
      switch BrokerDecider.ack(state, topic: topic, group: group, owner: owner, partition: partition, offset: o, settled: &settled) {
      case .success(let acked): events.append(.messageAcked(acked))
      case .failure(let rejection) where rejection.code == .notInFlight:
        failure = BrokerRejection(.notInFlight, "message range is not fully in-flight")
      case .failure(let rejection): failure = rejection
      }
      if failure != nil { break }
    }
    if let failure {
      // All or nothing: what this range settled so far is not settled after all.
      for case .messageAcked(let acked) in events { settled.remove(BrokerDecider.MessageRef(partition: acked.partition, offset: acked.offset)) }
      throw failure
    }
    return events
  }

  /// Every consumer group on every topic, sorted by group then topic.
  public static func groups(_ state: BrokerState, now: WALTimestamp) -> [GroupSummary] {
    state.groups.keys.sorted { ($0.group, $0.topic) < ($1.group, $1.topic) }.compactMap { key in
      guard let group = state.groups[key] else { return nil }
      let rows = BrokerDecider.lagRows(state, group: key.group, topic: key.topic, now: now)
      return GroupSummary(
        group: key.group, topic: key.topic, partitions: group.partitions.count, lag: rows.reduce(0) { $0 + $1.lag },
        inflight: rows.reduce(0) { $0 + $1.inflight }, lastActivity: group.lastActivity)
    }
  }

  /// Lag rows for `group` (on `topic`, or every topic it consumed); a named topic must exist.
  public static func lag(_ state: BrokerState, group: String, topic: String?, now: WALTimestamp) throws(BrokerRejection) -> LagAnswer {
    if let topic, state.topics[topic] == nil { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    let rows = BrokerDecider.lagRows(state, group: group, topic: topic, now: now)
    return LagAnswer(rows: rows, groupExists: state.groups.keys.contains { $0.group == group })
  }

  /// The topics, sorted by name.
  public static func topics(_ state: BrokerState) -> [TopicSummary] {
    state.topicNames.compactMap { state.topics[$0] }.map {
      TopicSummary(name: $0.name, partitions: $0.partitionCount, messages: $0.messageCount)
    }
  }

  /// A topic's dead letters, purged ones left out; the topic must exist.
  public static func deadLetters(_ state: BrokerState, topic: String) throws(BrokerRejection) -> [DeadLetterEntry] {
    guard state.topics[topic] != nil else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    return (state.deadLetters[topic] ?? []).filter { $0.purgedAt == nil }
  }

  /// One redrive step: the candidates now, redriven (or, in a dry run, only listed).
  public static func redrive(
    _ state: BrokerState, _ request: RedriveRequest, now: WALTimestamp, loader: BrokerDecider.MessageLoader
  ) throws -> (events: [BrokerEvent], outcome: RedriveOutcome) {
    guard state.topics[request.topic] != nil else {
      throw BrokerRejection(.topicNotFound, "topic does not exist: \(request.topic)")
    }
    try BrokerDecider.requireOriginalTopic(state, request.topic)
    if let target = request.target, state.topics[target] == nil {
      throw BrokerRejection(.topicNotFound, "topic does not exist (create it first): \(target)")
    }
    let (due, skipped) = BrokerDecider.redriveCandidates(state, topic: request.topic, selection: request.selection, now: now)
    let waiting = (state.deadLetters[request.topic] ?? []).count { $0.redrivenTo == nil && $0.purgedAt == nil }
    if request.dryRun {
      return ([], RedriveOutcome(moves: due.map { .init(from: $0.copy, to: nil) }, skipped: skipped, remaining: waiting - due.count))
    }
    let redriven = try BrokerDecider.redrive(state, entries: due, to: request.target, now: now, loader: loader)
    let moves = redriven.map {
      RedriveOutcome.Move(from: $0.from, to: MessageOrigin(topic: $0.message.topic, partition: $0.message.partition, offset: $0.message.offset))
    }
    return (redriven.map { .messageRedriven($0) }, RedriveOutcome(moves: moves, skipped: skipped, remaining: waiting - moves.count))
  }
}

extension BrokerCommands {
  /// `dlq purge`: the messages it takes, and (when it is no dry run) the events removing them.
  public static func purge(_ state: BrokerState, _ request: PurgeRequest, now: WALTimestamp) throws(BrokerRejection) -> (events: [BrokerEvent], outcome: PurgeOutcome) {
    let decision = try BrokerDecider.purgeDeadLetters(state, topic: request.topic, selection: request.selection, now: now)
    return (request.execute ? decision.events : [], PurgeOutcome(purged: decision.purged, remaining: decision.remaining))
  }
}
