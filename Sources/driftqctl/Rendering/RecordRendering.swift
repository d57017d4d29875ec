import ReplayEngine
import WALFormat

/// One log record as a JSON object for `wal dump`: where it is, what it is, and its decoded
/// fields. Payload bytes that are not UTF-8 appear as base64 with an `_encoding` marker.
enum RecordRendering {
  static func json(_ logged: LoggedRecord) -> JSONValue {
    let record = logged.record
    var members: [(String, JSONValue)] = [
      ("lsn", .int(record.lsn)), ("time", .string(RFC3339.format(record.timestamp))),
      ("kind", .string(record.kind.name)),
      ("segment", .string(SegmentName.fileName(baseLSN: logged.position.segmentBaseLSN))),
      ("byte", .int(logged.position.offset)),
    ]
    if record.kind == .runEvent || record.kind == .indexPointer, let json = try? JSONParser.parse(bytes: record.payload), case .object(let fields) = json {
      return .object(members + fields)
    }
    let event: BrokerEvent?
    do { event = try EventCodec.decode(record) } catch {
      members.append(("decode_error", .string(error.message)))
      appendBytes("payload", record.payload, to: &members)
      return .object(members)
    }
    switch event {
    case .topicCreated(let e)?:
      members += [("topic", .string(e.name)), ("partitions", .int(e.partitions))]
      if e.limits.maxBufferedMessages > 0 { members.append(("max_buffered_msgs", .int(e.limits.maxBufferedMessages))) }
      if e.limits.maxBufferedBytes > 0 { members.append(("max_buffered_bytes", .int(e.limits.maxBufferedBytes))) }
    case .messagePublished(let e)?:
      members += message(e)
    case .messageDelivered(let e)?:
      members += place(e.topic, e.group, e.partition, e.offset)
      members += [("owner", .string(e.owner)), ("attempt", .int(e.attempt)), ("lease_deadline", .string(RFC3339.format(e.leaseDeadline)))]
    case .messageAcked(let e)?:
      members += place(e.topic, e.group, e.partition, e.offset) + [("owner", .string(e.owner))]
    case .messageNacked(let e)?:
      members += place(e.topic, e.group, e.partition, e.offset) + [("owner", .string(e.owner)), ("reason", .string(e.reason))]
    case .messageSkipped(let e)?:
      members += place(e.topic, e.group, e.partition, e.offset) + [("reason", .string(e.reason))]
    case .groupSeeked(let e)?:
      members += place(e.topic, e.group, e.partition, e.offset)
    case .messageDeadLettered(let e)?:
      members += [("group", .string(e.group)), ("source", PayloadRendering.origin(e.source))] + message(e.copy)
    case .messageRedriven(let e)?:
      members += [("from", PayloadRendering.origin(e.from))] + message(e.message)
    case .logCompacted(let e)?:
      members.append(("starts", .array(e.starts.map {
        .object([("topic", .string($0.topic)), ("partition", .int($0.partition)), ("offset", .int($0.offset))])
      })))
      members.append(("groups", .array(e.groups.map { .object([("topic", .string($0.topic)), ("group", .string($0.group))]) })))
    case .topicDeleted(let e)?:
      members.append(("topic", .string(e.name)))
    case .groupDeleted(let e)?:
      members += [("topic", .string(e.topic)), ("group", .string(e.group))]
    case .deadLettersPurged(let e)?:
      members += [("topic", .string(e.source)), ("messages", .array(e.copies.map(PayloadRendering.origin)))]
    case nil:
      members.append(("payload_bytes", .int(record.payload.count)))
      appendBytes("payload", record.payload, to: &members)
    }
    return .object(members)
  }

  private static func place(_ topic: String, _ group: String, _ partition: Int, _ offset: Int64) -> [(String, JSONValue)] {
    [("topic", .string(topic)), ("group", .string(group)), ("partition", .int(partition)), ("offset", .int(offset))]
  }

  private static func message(_ e: MessagePublished) -> [(String, JSONValue)] {
    var members: [(String, JSONValue)] = [("topic", .string(e.topic)), ("partition", .int(e.partition)), ("offset", .int(e.offset))]
    appendBytes("key", e.key, to: &members)
    appendBytes("value", e.value, to: &members)
    if !e.envelope.isEmpty { members.append(("envelope", PayloadRendering.envelope(e.envelope))) }
    return members
  }

  private static func appendBytes(_ name: String, _ data: [UInt8], to members: inout [(String, JSONValue)]) {
    let (text, isBase64) = PayloadRendering.text(data)
    members.append((name, .string(text)))
    if isBase64 { members.append((name + "_encoding", .string("base64"))) }
  }

  /// The topics an event concerns, for `--topic` filtering.
  static func topics(of record: WALRecord) -> [String] {
    switch try? EventCodec.decode(record) {
    case .topicCreated(let e)?: return [e.name]
    case .messagePublished(let e)?: return [e.topic]
    case .messageDelivered(let e)?: return [e.topic]
    case .messageAcked(let e)?: return [e.topic]
    case .messageNacked(let e)?: return [e.topic]
    case .messageSkipped(let e)?: return [e.topic]
    case .groupSeeked(let e)?: return [e.topic]
    case .logCompacted(let e)?: return Array(Set(e.starts.map(\.topic) + e.groups.map(\.topic))).sorted()
    case .messageDeadLettered(let e)?: return [e.source.topic, e.copy.topic]
    case .messageRedriven(let e)?: return [e.from.topic, e.message.topic]
    case .topicDeleted(let e)?: return e.removedTopics
    case .groupDeleted(let e)?: return [e.topic]
    case .deadLettersPurged(let e)?: return [e.source, BrokerDecider.deadLetterTopic(of: e.source)]
    case nil: return []
    }
  }
}
