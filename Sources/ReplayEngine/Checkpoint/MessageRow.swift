import WALFormat

/// A stored message as a fixed-size row of a checkpoint table, so any row is found by
/// arithmetic and decoded only when read:
///
///     lsn u64 · segment base LSN u64 · frame offset u64 · published at i64 ·
///     cumulative bytes i64 · bytes u32 · flags u32 (bit 0: has extras)      = 48 bytes
///
/// The rare fields (deadline, retry policy, idempotency key) live beside the table as
/// `MessageExtras`, keyed by offset.
enum MessageRow {
  static let size = 48

  static func encode(_ message: StoredMessage, hasExtras: Bool, into writer: inout ByteWriter) {
    writer.write(littleEndian: message.lsn)
    writer.write(littleEndian: message.position.segmentBaseLSN)
    writer.write(littleEndian: UInt64(message.position.offset))
    writer.write(littleEndian: message.publishedAt.nanoseconds)
    writer.write(littleEndian: message.cumulativeBytes)
    writer.write(littleEndian: UInt32(clamping: message.bytes))
    writer.write(littleEndian: UInt32(hasExtras ? 1 : 0))
  }

  /// Decodes a row; `extras` is asked only when the row's flag says it has some.
  static func decode(_ row: UnsafeRawBufferPointer, extras lookup: () -> MessageExtras?) -> StoredMessage {
    func load<T: FixedWidthInteger>(_ at: Int, _: T.Type) -> T { T(littleEndian: row.loadUnaligned(fromByteOffset: at, as: T.self)) }
    let extras = load(44, UInt32.self) & 1 != 0 ? lookup() : nil
    var message = StoredMessage(
      position: RecordPosition(segmentBaseLSN: load(8, UInt64.self), offset: Int(clamping: load(16, UInt64.self))),
      lsn: load(0, UInt64.self), publishedAt: WALTimestamp(nanoseconds: load(24, Int64.self)),
      retryPolicy: extras?.retryPolicy, deadline: extras?.deadline, bytes: Int(load(40, UInt32.self)), idempotency: extras?.idempotency)
    message.cumulativeBytes = load(32, Int64.self)
    return message
  }
}

/// The fields of a stored message most messages do not have.
struct MessageExtras: Sendable, Equatable {
  var retryPolicy: RetryPolicy?
  var deadline: WALTimestamp?
  var idempotency: IdempotencyTag?

  /// The extras of `message`, or nil when it has none.
  init?(_ message: StoredMessage) {
    guard message.retryPolicy != nil || message.deadline != nil || message.idempotency != nil else { return nil }
    retryPolicy = message.retryPolicy
    deadline = message.deadline
    idempotency = message.idempotency
  }

  init(retryPolicy: RetryPolicy?, deadline: WALTimestamp?, idempotency: IdempotencyTag?) {
    self.retryPolicy = retryPolicy
    self.deadline = deadline
    self.idempotency = idempotency
  }
}
