import WALFormat

/// The record kinds ReplayEngine writes, with the names `wal dump` and `wal inspect` show.
extension RecordKind {
  public static let topicCreated = RecordKind(rawValue: 1)
  public static let messagePublished = RecordKind(rawValue: 2)
  public static let messageDelivered = RecordKind(rawValue: 3)
  public static let messageAcked = RecordKind(rawValue: 4)
  public static let messageNacked = RecordKind(rawValue: 5)
  public static let messageDeadLettered = RecordKind(rawValue: 6)
  public static let messageRedriven = RecordKind(rawValue: 7)
  public static let messageSkipped = RecordKind(rawValue: 8)
  public static let groupSeeked = RecordKind(rawValue: 9)
  /// Written by `wal compact` where the records it dropped were (see `LogCompacted`).
  public static let logCompacted = RecordKind(rawValue: 10)
  public static let topicDeleted = RecordKind(rawValue: 11)
  public static let groupDeleted = RecordKind(rawValue: 12)
  public static let deadLettersPurged = RecordKind(rawValue: 13)

  static let names: [RecordKind: String] = [
    .topicCreated: "topic_created", .messagePublished: "message_published",
    .messageDelivered: "message_delivered", .messageAcked: "message_acked",
    .messageNacked: "message_nacked", .messageDeadLettered: "message_dead_lettered",
    .messageRedriven: "message_redriven", .messageSkipped: "message_skipped", .groupSeeked: "group_seeked",
    .logCompacted: "log_compacted", .topicDeleted: "topic_deleted", .groupDeleted: "group_deleted",
    .deadLettersPurged: "dead_letters_purged", .lostRecord: "lost_record",
    .runEvent: "run_event", .indexPointer: "index_pointer",
  ]

  /// `message_published`, or `kind(17)` for a kind this build does not know.
  public var name: String { Self.names[self] ?? "kind(\(rawValue))" }

  /// Parses a kind name or number as the CLI accepts it (`message_acked`, `4`, `kind(4)`).
  public init?(name: String) {
    if let known = Self.names.first(where: { $0.value == name })?.key {
      self = known
      return
    }
    var text = Substring(name)
    if text.hasPrefix("kind("), text.hasSuffix(")") { text = text.dropFirst(5).dropLast() }
    guard let raw = UInt8(text) else { return nil }
    self.init(rawValue: raw)
  }

  public static var knownKinds: [RecordKind] { names.keys.sorted() }
}
