import WALFormat

extension BrokerDecider {
  /// What one consume decision does: leases to hand out, and messages it settles on the way
  /// (moved to the DLQ, or skipped as idempotent duplicates).
  public struct ConsumeDecision: Sendable {
    public var events: [BrokerEvent] = []
    /// Messages were ready but the in-flight cap held them back (a one-shot consume that
    /// stops short says so).
    public var heldByInflightCap = false
    public init() {}
    public var leases: [MessageDelivered] {
      events.compactMap { if case .messageDelivered(let d) = $0 { return d } else { return nil } }
    }
    public var deadLettered: Int {
      events.count { if case .messageDeadLettered = $0 { return true } else { return false } }
    }
  }

  /// How many live leases a group may hold per partition unless told otherwise.
  public static let defaultMaxInflight = 32

  /// Leases up to `limit` messages of `topic` to `owner` in `group`, partition by partition:
  /// first the messages due again (expired leases and nacks whose backoff has passed, lowest
  /// offset first), then new ones. On the way it dead-letters messages that used their
  /// attempts or passed their deadline, and skips messages whose idempotency key this group
  /// already committed. `maxInflight` caps live leases per partition (nil: no cap). Leases that
  /// `owner` took since `ownLeasesSince` are not handed back to it, so one pass of a consumer
  /// never sees the same message twice. A stream passes its `holdings`: what it still holds
  /// is never handed to it again, and counts against its cap even once expired.
  public static func deliveries(
    _ state: BrokerState, topic: String, group: String, owner: String, leaseMs: Int64,
    now: WALTimestamp, limit: Int, maxInflight: Int? = defaultMaxInflight, ownLeasesSince: WALTimestamp? = nil,
    holdings: StreamHoldings? = nil, loader: MessageLoader
  ) throws -> ConsumeDecision {
    if let problem = NameRules.problem(with: topic, what: "topic") ?? NameRules.problem(with: group, what: "group")
      ?? NameRules.problem(with: owner, what: "owner")
    {
      throw BrokerRejection(.invalidArgument, problem)
    }
    guard let topicState = state.topics[topic] else { throw BrokerRejection(.topicNotFound, "topic does not exist: \(topic)") }
    let deadline = now.adding(milliseconds: leaseMs)
    var decision = ConsumeDecision()
    var pending = Pending()
    var claimedKeys: Set<ConsumeKey> = []
    var delivered = 0
    for partition in 0..<topicState.partitionCount where delivered < limit {
      let cursor = state.cursor(topic: topic, group: group, partition: partition)
      func held(_ offset: Int64, _ lease: Delivery) -> Bool { holdings?.holds(partition: partition, offset: offset, lease) ?? false }
      // Counted only against a cap: without one, a consume taking a large backlog in rounds
      // would count every lease it took so far, each round.
      var occupied = maxInflight == nil ? 0 : cursor.inflight.count { offset, lease in !lease.isExpired(at: now) || held(offset, lease) }
      func room() -> Bool { delivered < limit && (maxInflight.map { occupied < $0 } ?? true) }

      // Messages due again: (offset, deliveries so far, last error, when the last one failed).
      var again: [(offset: Int64, attempts: Int, lastError: String, failedAt: WALTimestamp)] = []
      for (offset, lease) in cursor.inflight where lease.isExpired(at: now) && !held(offset, lease) {
        if let since = ownLeasesSince, lease.owner == owner, lease.deliveredAt >= since { continue }
        again.append((offset, lease.attempt, lease.lastError.isEmpty ? "ack_timeout" : lease.lastError, lease.leaseDeadline))
      }
      for (offset, retry) in cursor.retries { again.append((offset, retry.attempts, retry.lastError, retry.since)) }
      again.sort { $0.offset < $1.offset }

      for due in again where room() {
        guard let stored = topicState.partitions[partition][safe: due.offset] else { continue }
        let origin = MessageOrigin(topic: topic, partition: partition, offset: due.offset)
        if let policy = stored.retryPolicy, policy.maxAttempts > 0, due.attempts >= policy.maxAttempts {
          decision.events.append(.messageDeadLettered(try deadLetter(
            stored, origin, group: group, attempts: due.attempts, lastError: due.lastError,
            reason: "max_attempts_reached", now: now, state: state, pending: &pending, loader: loader)))
          continue
        }
        if let wait = stored.retryPolicy?.backoff(beforeRetry: due.attempts), due.failedAt.adding(milliseconds: wait) > now { continue }
        if let expiry = stored.deadline, expiry <= now {
          decision.events.append(.messageDeadLettered(try deadLetter(
            stored, origin, group: group, attempts: due.attempts, lastError: due.lastError,
            reason: "deadline_exceeded", now: now, state: state, pending: &pending, loader: loader)))
          continue
        }
        switch idempotencyCheck(state, stored, topic: topic, group: group, origin: origin, now: now, claimed: &claimedKeys) {
        case .deliver: break
        case .hold: continue
        case .skip:
          decision.events.append(.messageSkipped(MessageSkipped(topic: topic, group: group, partition: partition, offset: due.offset, reason: "idempotency_key_committed")))
          continue
        }
        decision.events.append(.messageDelivered(MessageDelivered(
          topic: topic, group: group, partition: partition, offset: due.offset, owner: owner, attempt: due.attempts + 1, leaseDeadline: deadline)))
        delivered += 1
        occupied += 1
      }

      var offset = cursor.nextNew
      let head = topicState.headOffset(partition)
      // A held message blocks the ones after it: first deliveries stay in order.
      scan: while offset < head && room() {
        guard let stored = topicState.partitions[partition][safe: offset] else { break }
        let origin = MessageOrigin(topic: topic, partition: partition, offset: offset)
        if stored.isLost {
          decision.events.append(.messageSkipped(MessageSkipped(topic: topic, group: group, partition: partition, offset: offset, reason: "lost_to_damage")))
          offset += 1
          continue
        }
        if let expiry = stored.deadline, expiry <= now {
          decision.events.append(.messageDeadLettered(try deadLetter(
            stored, origin, group: group, attempts: 0, lastError: "", reason: "deadline_exceeded", now: now,
            state: state, pending: &pending, loader: loader)))
          offset += 1
          continue
        }
        switch idempotencyCheck(state, stored, topic: topic, group: group, origin: origin, now: now, claimed: &claimedKeys) {
        case .deliver:
          decision.events.append(.messageDelivered(MessageDelivered(
            topic: topic, group: group, partition: partition, offset: offset, owner: owner, attempt: 1, leaseDeadline: deadline)))
          delivered += 1
          occupied += 1
        case .skip:
          decision.events.append(.messageSkipped(MessageSkipped(topic: topic, group: group, partition: partition, offset: offset, reason: "idempotency_key_committed")))
        case .hold:
          break scan
        }
        offset += 1
      }
      if let cap = maxInflight, occupied >= cap, delivered < limit, offset < head { decision.heldByInflightCap = true }
    }
    return decision
  }

  enum IdempotencyVerdict { case deliver, skip, hold }

  /// DriftQ's consume-scope idempotency: a key COMMITTED in the group is skipped; a key
  /// another message holds under a live lease waits; otherwise the message may be delivered.
  static func idempotencyCheck(
    _ state: BrokerState, _ stored: StoredMessage, topic: String, group: String, origin: MessageOrigin,
    now: WALTimestamp, claimed: inout Set<ConsumeKey>
  ) -> IdempotencyVerdict {
    guard let tag = stored.idempotency else { return .deliver }
    let key = ConsumeKey(tag: tag, topic: topic, group: group)
    if claimed.contains(key) { return .hold }
    if let current = state.consumeKeys[key] {
      switch current.status {
      case .committed: return current.holder == origin ? .deliver : .skip
      case .pending where current.holder != origin && current.leaseDeadline > now: return .hold
      default: break
      }
    }
    claimed.insert(key)
    return .deliver
  }

  /// When something not deliverable now may become deliverable: the earliest lease expiry or
  /// retry backoff end, so a following consumer knows how long it may sleep.
  public static func nextWakeTime(_ state: BrokerState, topic: String, group: String, after now: WALTimestamp) -> WALTimestamp? {
    guard let groupState = state.groups[GroupKey(topic: topic, group: group)], let topicState = state.topics[topic] else { return nil }
    var earliest: WALTimestamp?
    func consider(_ time: WALTimestamp) { if time > now { earliest = min(earliest ?? time, time) } }
    for (partition, cursor) in groupState.partitions.enumerated() {
      for lease in cursor.inflight.values { consider(lease.leaseDeadline) }
      for (offset, retry) in cursor.retries {
        let wait = topicState.partitions[safe: partition]?[safe: offset]?.retryPolicy?.backoff(beforeRetry: retry.attempts) ?? 0
        consider(retry.since.adding(milliseconds: wait))
      }
    }
    return earliest
  }
}
