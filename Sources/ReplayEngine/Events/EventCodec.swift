import WALFormat

/// The one place that turns events into record payloads and back (see `FieldCodec`).
public enum EventCodec {
  public static func encode(_ event: BrokerEvent) -> (RecordKind, [UInt8]) {
    var w = FieldWriter()
    switch event {
    case .topicCreated(let e):
      w.string(1, e.name)
      w.varint(2, UInt64(e.partitions))
      if e.limits.maxBufferedMessages > 0 { w.varint(3, UInt64(e.limits.maxBufferedMessages)) }
      if e.limits.maxBufferedBytes > 0 { w.varint(4, UInt64(e.limits.maxBufferedBytes)) }
      return (.topicCreated, w.bytes)
    case .messagePublished(let e):
      return (.messagePublished, encode(e))
    case .messageDelivered(let e):
      w.place(e.topic, e.group, e.partition, e.offset)
      w.string(5, e.owner)
      w.varint(6, UInt64(e.attempt))
      w.signed(7, e.leaseDeadline.nanoseconds)
      return (.messageDelivered, w.bytes)
    case .messageAcked(let e):
      w.place(e.topic, e.group, e.partition, e.offset)
      w.string(5, e.owner)
      return (.messageAcked, w.bytes)
    case .messageNacked(let e):
      w.place(e.topic, e.group, e.partition, e.offset)
      w.string(5, e.owner)
      w.string(6, e.reason)
      return (.messageNacked, w.bytes)
    case .messageDeadLettered(let e):
      w.string(1, e.group)
      w.bytes(2, encode(e.source))
      w.bytes(3, encode(e.copy))
      w.varint(4, UInt64(e.dlqPartitions))
      return (.messageDeadLettered, w.bytes)
    case .messageRedriven(let e):
      w.bytes(1, encode(e.from))
      w.bytes(2, encode(e.message))
      return (.messageRedriven, w.bytes)
    case .messageSkipped(let e):
      w.place(e.topic, e.group, e.partition, e.offset)
      w.string(5, e.reason)
      return (.messageSkipped, w.bytes)
    case .groupSeeked(let e):
      w.place(e.topic, e.group, e.partition, e.offset)
      return (.groupSeeked, w.bytes)
    case .logCompacted(let e):
      return (.logCompacted, e.encoded)
    case .topicDeleted(let e):
      w.string(1, e.name)
      return (.topicDeleted, w.bytes)
    case .groupDeleted(let e):
      w.string(1, e.topic)
      w.string(2, e.group)
      return (.groupDeleted, w.bytes)
    case .deadLettersPurged(let e):
      w.string(1, e.source)
      for copy in e.copies { w.bytes(2, encode(copy)) }
      return (.deadLettersPurged, w.bytes)
    }
  }

  /// The event in a record, or nil for a kind this build does not know (it is skipped).
  public static func decode(_ record: WALRecord) throws(ReplayError) -> BrokerEvent? {
    do {
      return try decode(kind: record.kind, payload: record.payload)
    } catch { throw error.at(record.lsn) }
  }

  public static func decode(kind: RecordKind, payload: [UInt8]) throws(ReplayError) -> BrokerEvent? {
    var r = FieldReader(payload)
    switch kind {
    case .topicCreated:
      var e = TopicCreated(name: "", partitions: 0)
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: e.name = try v.string()
        case 2: e.partitions = try v.int()
        case 3: e.limits.maxBufferedMessages = try v.int64()
        case 4: e.limits.maxBufferedBytes = try v.int64()
        default: break
        }
      }
      return .topicCreated(e)
    case .messagePublished:
      return .messagePublished(try decodeMessage(payload))
    case .messageDelivered:
      var p = Place()
      var owner = ""
      var attempt = 0
      var deadline = WALTimestamp(nanoseconds: 0)
      while let (tag, v) = try r.next() {
        if try p.take(tag, v) { continue }
        switch tag {
        case 5: owner = try v.string()
        case 6: attempt = try v.int()
        case 7: deadline = WALTimestamp(nanoseconds: try v.signed())
        default: break
        }
      }
      return .messageDelivered(MessageDelivered(topic: p.topic, group: p.group, partition: p.partition, offset: p.offset, owner: owner, attempt: attempt, leaseDeadline: deadline))
    case .messageAcked, .messageNacked, .messageSkipped:
      var p = Place()
      var owner = "", reason = ""
      while let (tag, v) = try r.next() {
        if try p.take(tag, v) { continue }
        switch tag {
        case 5: if kind == .messageSkipped { reason = try v.string() } else { owner = try v.string() }
        case 6: reason = try v.string()
        default: break
        }
      }
      if kind == .messageAcked {
        return .messageAcked(MessageAcked(topic: p.topic, group: p.group, partition: p.partition, offset: p.offset, owner: owner))
      }
      if kind == .messageSkipped {
        return .messageSkipped(MessageSkipped(topic: p.topic, group: p.group, partition: p.partition, offset: p.offset, reason: reason))
      }
      return .messageNacked(MessageNacked(topic: p.topic, group: p.group, partition: p.partition, offset: p.offset, owner: owner, reason: reason))
    case .messageDeadLettered:
      var group = "", source = MessageOrigin(topic: "", partition: 0, offset: 0), partitions = 1
      var copy: MessagePublished?
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: group = try v.string()
        case 2: source = try decodeOrigin(try v.data())
        case 3: copy = try decodeMessage(try v.data())
        case 4: partitions = try v.int()
        default: break
        }
      }
      guard let copy else { throw ReplayError(.badPayload, "dead-letter record without its copy") }
      return .messageDeadLettered(MessageDeadLettered(group: group, source: source, copy: copy, dlqPartitions: partitions))
    case .messageRedriven:
      var from = MessageOrigin(topic: "", partition: 0, offset: 0)
      var message: MessagePublished?
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: from = try decodeOrigin(try v.data())
        case 2: message = try decodeMessage(try v.data())
        default: break
        }
      }
      guard let message else { throw ReplayError(.badPayload, "redrive record without its message") }
      return .messageRedriven(MessageRedriven(from: from, message: message))
    case .groupSeeked:
      var p = Place()
      while let (tag, v) = try r.next() { _ = try p.take(tag, v) }
      return .groupSeeked(GroupSeeked(topic: p.topic, group: p.group, partition: p.partition, offset: p.offset))
    case .logCompacted:
      return .logCompacted(try LogCompacted(decoding: payload))
    case .topicDeleted:
      var name = ""
      while let (tag, v) = try r.next() {
        if tag == 1 { name = try v.string() }
      }
      guard !name.isEmpty else { throw ReplayError(.badPayload, "topic deletion without a topic") }
      return .topicDeleted(TopicDeleted(name: name))
    case .groupDeleted:
      var e = GroupDeleted(topic: "", group: "")
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: e.topic = try v.string()
        case 2: e.group = try v.string()
        default: break
        }
      }
      guard !e.topic.isEmpty, !e.group.isEmpty else { throw ReplayError(.badPayload, "group deletion without its topic or group") }
      return .groupDeleted(e)
    case .deadLettersPurged:
      var e = DeadLettersPurged(source: "", copies: [])
      while let (tag, v) = try r.next() {
        switch tag {
        case 1: e.source = try v.string()
        case 2:
          guard e.copies.count < DeadLettersPurged.maximumCopies else { throw ReplayError(.badPayload, "DLQ purge naming more than \(DeadLettersPurged.maximumCopies) messages") }
          e.copies.append(try decodeOrigin(try v.data()))
        default: break
        }
      }
      guard !e.source.isEmpty else { throw ReplayError(.badPayload, "DLQ purge without its topic") }
      return .deadLettersPurged(e)
    default:
      return nil
    }
  }

  // MARK: - Messages

  static func encode(_ e: MessagePublished) -> [UInt8] {
    var w = FieldWriter()
    w.string(1, e.topic)
    w.varint(2, UInt64(e.partition))
    w.varint(3, UInt64(e.offset))
    if !e.key.isEmpty { w.bytes(4, e.key) }
    w.bytes(5, e.value)
    if !e.envelope.isEmpty { w.bytes(6, encode(e.envelope)) }
    return w.bytes
  }

  static func decodeMessage(_ payload: [UInt8]) throws(ReplayError) -> MessagePublished {
    var r = FieldReader(payload)
    var e = MessagePublished(topic: "", partition: 0, offset: 0, key: [], value: [], envelope: Envelope())
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: e.topic = try v.string()
      case 2: e.partition = try v.int()
      case 3: e.offset = try v.int64()
      case 4: e.key = try v.data()
      case 5: e.value = try v.data()
      case 6: e.envelope = try decodeEnvelope(try v.data())
      default: break
      }
    }
    return e
  }

  /// What the fold keeps of a published message, decoded without copying its key and value
  /// (folding a large log is dominated by those copies otherwise).
  struct PublicationSummary {
    var topic = ""
    var partition = 0
    var offset: Int64 = 0
    var bytes = 0
    var envelope = Envelope()
    /// The key, read only for a message that carries DLQ metadata (an imported DLQ copy).
    var deadLetterKey: [UInt8] = []
  }

  static func decodeSummary(ofPublication payload: [UInt8]) throws(ReplayError) -> PublicationSummary {
    var summary = PublicationSummary()
    var r = FieldReader(payload)
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: summary.topic = try v.string()
      case 2: summary.partition = try v.int()
      case 3: summary.offset = try v.int64()
      case 4, 5: if case .bytes(let b) = v { summary.bytes += b.count }
      case 6: summary.envelope = try decodeEnvelope(try v.data())
      default: break
      }
    }
    if summary.envelope.dlq != nil {
      var again = FieldReader(payload)
      while let (tag, v) = try again.next() {
        if tag == 4, case .bytes(let b) = v { summary.deadLetterKey = Array(b) }
      }
    }
    return summary
  }

  static func encode(_ origin: MessageOrigin) -> [UInt8] {
    var w = FieldWriter()
    w.string(1, origin.topic)
    w.varint(2, UInt64(origin.partition))
    w.varint(3, UInt64(origin.offset))
    return w.bytes
  }

  static func decodeOrigin(_ bytes: [UInt8]) throws(ReplayError) -> MessageOrigin {
    var origin = MessageOrigin(topic: "", partition: 0, offset: 0)
    var r = FieldReader(bytes)
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: origin.topic = try v.string()
      case 2: origin.partition = try v.int()
      case 3: origin.offset = try v.int64()
      default: break
      }
    }
    return origin
  }

  // MARK: - Envelopes

  static func encode(_ envelope: Envelope) -> [UInt8] {
    var w = FieldWriter()
    w.optionalString(1, envelope.runID)
    w.optionalString(2, envelope.stepID)
    w.optionalString(3, envelope.parentStepID)
    w.optionalString(4, envelope.tenantID)
    w.optionalString(5, envelope.idempotencyKey)
    w.optionalString(6, envelope.targetTopic)
    if let deadline = envelope.deadline { w.signed(7, deadline.nanoseconds) }
    if let policy = envelope.retryPolicy, !policy.isEmpty { encode(policy, tags: (8, 9, 10), into: &w) }
    if let partition = envelope.partitionOverride { w.varint(11, UInt64(partition)) }
    for (key, value) in envelope.labels.sorted(by: { $0.key < $1.key }) {
      var pair = FieldWriter()
      pair.string(1, key)
      pair.string(2, value)
      w.bytes(12, pair.bytes)
    }
    if let dlq = envelope.dlq {
      var d = FieldWriter()
      d.string(1, dlq.originalTopic)
      d.varint(2, UInt64(dlq.originalPartition))
      d.varint(3, UInt64(dlq.originalOffset))
      d.varint(4, UInt64(dlq.attempts))
      d.string(5, dlq.lastError)
      d.signed(6, dlq.routedAt.nanoseconds)
      d.string(7, dlq.group)
      d.string(8, dlq.reason)
      if let policy = dlq.originalRetryPolicy, !policy.isEmpty { encode(policy, tags: (9, 10, 11), into: &d) }
      w.bytes(13, d.bytes)
    }
    if let origin = envelope.redrivenFrom { w.bytes(14, encode(origin)) }
    return w.bytes
  }

  private static func encode(_ policy: RetryPolicy, tags: (UInt64, UInt64, UInt64), into w: inout FieldWriter) {
    w.varint(tags.0, UInt64(policy.maxAttempts))
    w.varint(tags.1, UInt64(policy.backoffMs))
    w.varint(tags.2, UInt64(policy.maxBackoffMs))
  }

  static func decodeEnvelope(_ bytes: [UInt8]) throws(ReplayError) -> Envelope {
    var e = Envelope()
    var r = FieldReader(bytes)
    var policy = RetryPolicy()
    var hasPolicy = false
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: e.runID = try v.string()
      case 2: e.stepID = try v.string()
      case 3: e.parentStepID = try v.string()
      case 4: e.tenantID = try v.string()
      case 5: e.idempotencyKey = try v.string()
      case 6: e.targetTopic = try v.string()
      case 7: e.deadline = WALTimestamp(nanoseconds: try v.signed())
      case 8: policy.maxAttempts = try v.int(); hasPolicy = true
      case 9: policy.backoffMs = try v.int64(); hasPolicy = true
      case 10: policy.maxBackoffMs = try v.int64(); hasPolicy = true
      case 11: e.partitionOverride = try v.int()
      case 12:
        var pair = FieldReader(try v.data())
        var key = "", value = ""
        while let (t, pv) = try pair.next() {
          if t == 1 { key = try pv.string() } else if t == 2 { value = try pv.string() }
        }
        e.labels[key] = value
      case 13: e.dlq = try decodeDeadLetterInfo(try v.data())
      case 14: e.redrivenFrom = try decodeOrigin(try v.data())
      default: break
      }
    }
    if hasPolicy { e.retryPolicy = policy }
    return e
  }

  static func decodeDeadLetterInfo(_ bytes: [UInt8]) throws(ReplayError) -> DeadLetterInfo {
    var info = DeadLetterInfo(
      originalTopic: "", originalPartition: 0, originalOffset: 0, attempts: 0, lastError: "",
      routedAt: WALTimestamp(nanoseconds: 0), group: "", reason: "", originalRetryPolicy: nil)
    var policy = RetryPolicy()
    var r = FieldReader(bytes)
    while let (tag, v) = try r.next() {
      switch tag {
      case 1: info.originalTopic = try v.string()
      case 2: info.originalPartition = try v.int()
      case 3: info.originalOffset = try v.int64()
      case 4: info.attempts = try v.int()
      case 5: info.lastError = try v.string()
      case 6: info.routedAt = WALTimestamp(nanoseconds: try v.signed())
      case 7: info.group = try v.string()
      case 8: info.reason = try v.string()
      case 9: policy.maxAttempts = try v.int()
      case 10: policy.backoffMs = try v.int64()
      case 11: policy.maxBackoffMs = try v.int64()
      default: break
      }
    }
    if !policy.isEmpty { info.originalRetryPolicy = policy }
    return info
  }
}

extension FieldWriter {
  /// Tags 1–4 of every per-group message event: topic, group, partition, offset.
  mutating func place(_ topic: String, _ group: String, _ partition: Int, _ offset: Int64) {
    string(1, topic)
    string(2, group)
    varint(3, UInt64(partition))
    varint(4, UInt64(offset))
  }
}

/// Tags 1–4 of a per-group message event (what `FieldWriter.place` writes), read back.
struct Place {
  var topic = ""
  var group = ""
  var partition = 0
  var offset: Int64 = 0

  /// Reads `value` when `tag` is one of the four; false for any other tag.
  mutating func take(_ tag: UInt64, _ value: FieldReader.Value) throws(ReplayError) -> Bool {
    switch tag {
    case 1: topic = try value.string()
    case 2: group = try value.string()
    case 3: partition = try value.int()
    case 4: offset = try value.int64()
    default: return false
    }
    return true
  }
}
