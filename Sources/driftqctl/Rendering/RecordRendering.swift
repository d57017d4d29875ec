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
    func bytes(_ name: String, _ data: [UInt8]) {
      let (text, isBase64) = PayloadRendering.text(data)
      members.append((name, .string(text)))
      if isBase64 { members.append((name + "_encoding", .string("base64"))) }
    }
    let event: BrokerEvent?
    do { event = try EventCodec.decode(record) } catch {
      members.append(("decode_error", .string(error.message)))
      bytes("payload", record.payload)
      return .object(members)
    }
    switch event {
    case .topicCreated(let e)?:
      members += [("topic", .string(e.name)), ("partitions", .int(e.partitions))]
    case .messagePublished(let e)?:
      members += [("topic", .string(e.topic)), ("partition", .int(e.partition)), ("offset", .int(e.offset))]
      bytes("key", e.key)
      bytes("value", e.value)
      if !e.envelope.isEmpty { members.append(("envelope", PayloadRendering.envelope(e.envelope))) }
    case .messageDelivered(let e)?:
      members += [
        ("topic", .string(e.topic)), ("group", .string(e.group)), ("partition", .int(e.partition)),
        ("offset", .int(e.offset)), ("owner", .string(e.owner)), ("attempt", .int(e.attempt)),
        ("lease_deadline", .string(RFC3339.format(e.leaseDeadline))),
      ]
    case .messageAcked(let e)?:
      members += [
        ("topic", .string(e.topic)), ("group", .string(e.group)), ("partition", .int(e.partition)),
        ("offset", .int(e.offset)), ("owner", .string(e.owner)),
      ]
    case .messageNacked(let e)?:
      members += [
        ("topic", .string(e.topic)), ("group", .string(e.group)), ("partition", .int(e.partition)),
        ("offset", .int(e.offset)), ("owner", .string(e.owner)), ("reason", .string(e.reason)),
      ]
    case nil:
      members.append(("payload_bytes", .int(record.payload.count)))
      bytes("payload", record.payload)
    }
    return .object(members)
  }

  /// The topic an event concerns, for `--topic` filtering.
  static func topic(of record: WALRecord) -> String? {
    switch try? EventCodec.decode(record) {
    case .topicCreated(let e)?: return e.name
    case .messagePublished(let e)?: return e.topic
    case .messageDelivered(let e)?: return e.topic
    case .messageAcked(let e)?: return e.topic
    case .messageNacked(let e)?: return e.topic
    case nil: return nil
    }
  }
}
