import WALFormat

/// Appends the values of a snapshot: varints for integers, length-prefixed strings and bytes.
struct SnapshotWriter {
  var bytes = ByteWriter(capacity: 4096)

  mutating func uint(_ value: UInt64) { bytes.writeVarint(value) }
  mutating func int(_ value: Int64) { bytes.writeSignedVarint(value) }
  mutating func int(_ value: Int) { bytes.writeSignedVarint(Int64(value)) }
  mutating func string(_ value: String) { bytes.writeString(value) }
  mutating func data(_ value: [UInt8]) { bytes.writeLengthPrefixed(value) }
  mutating func bool(_ value: Bool) { bytes.writeVarint(value ? 1 : 0) }
  mutating func time(_ value: WALTimestamp) { int(value.nanoseconds) }
  mutating func count(_ value: Int) { bytes.writeVarint(UInt64(value)) }

  /// Writes presence, then the value when present.
  mutating func optional<T>(_ value: T?, _ write: (inout SnapshotWriter, T) -> Void) {
    bool(value != nil)
    if let value { write(&self, value) }
  }
}

/// Reads what `SnapshotWriter` wrote. Every count is bounded by the bytes left (each element
/// takes at least one byte), so a damaged snapshot can never make it allocate without limit.
struct SnapshotReader {
  var bytes: ByteReader

  init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) { self.bytes = ByteReader(bytes, offset: offset, end: end) }

  var isAtEnd: Bool { bytes.isAtEnd }

  mutating func uint() throws(ByteReader.Failure) -> UInt64 { try bytes.readVarint() }
  mutating func int64() throws(ByteReader.Failure) -> Int64 {
    let raw = try bytes.readVarint()
    return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
  }
  mutating func int() throws(ByteReader.Failure) -> Int {
    let value = try int64()
    guard let narrowed = Int(exactly: value) else { throw .invalid(offset: bytes.offset, reason: "integer out of range") }
    return narrowed
  }
  mutating func string() throws(ByteReader.Failure) -> String {
    let start = bytes.offset
    let raw = try bytes.readLengthPrefixed()
    guard let text = String(validating: raw, as: UTF8.self) else { throw .invalid(offset: start, reason: "not UTF-8") }
    return text
  }
  mutating func data() throws(ByteReader.Failure) -> [UInt8] { Array(try bytes.readLengthPrefixed()) }
  mutating func bool() throws(ByteReader.Failure) -> Bool { try uint() != 0 }
  mutating func time() throws(ByteReader.Failure) -> WALTimestamp { WALTimestamp(nanoseconds: try int64()) }
  mutating func count() throws(ByteReader.Failure) -> Int { try bytes.readLength(maximum: bytes.remaining) }
  /// A count of things stored elsewhere (not bounded by these bytes).
  mutating func size() throws(ByteReader.Failure) -> Int { try bytes.readLength(maximum: Int.max) }

  mutating func optional<T>(_ read: (inout SnapshotReader) throws(ByteReader.Failure) -> T) throws(ByteReader.Failure) -> T? {
    try bool() ? try read(&self) : nil
  }
}
