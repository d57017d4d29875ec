/// A bounds-checked cursor over bytes. Every read returns nil or throws instead of trapping,
/// and every length is checked against the bytes remaining before anything is allocated.
public struct ByteReader: Sendable {
  /// Why a read failed.
  public enum Failure: Error, Sendable, Equatable {
    /// The bytes ended before the value did.
    case needMoreBytes(offset: Int)
    /// The bytes are present but cannot be a valid value (overlong varint, bad UTF-8, …).
    case invalid(offset: Int, reason: String)
  }

  public let bytes: [UInt8]
  public private(set) var offset: Int
  public let end: Int

  public init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
    self.bytes = bytes
    self.offset = offset
    self.end = min(end ?? bytes.count, bytes.count)
  }

  public var remaining: Int { end - offset }
  public var isAtEnd: Bool { offset >= end }

  public mutating func readInteger<T: FixedWidthInteger>(littleEndian: T.Type) throws(Failure) -> T {
    let size = MemoryLayout<T>.size
    guard remaining >= size else { throw .needMoreBytes(offset: offset) }
    let value = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
    offset += size
    return T(littleEndian: value)
  }

  public mutating func readByte() throws(Failure) -> UInt8 {
    guard offset < end else { throw .needMoreBytes(offset: offset) }
    defer { offset += 1 }
    return bytes[offset]
  }

  public mutating func readVarint() throws(Failure) -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    let start = offset
    while true {
      let byte = try readByte()
      if shift == 63 && byte > 1 { throw .invalid(offset: start, reason: "varint overflows 64 bits") }
      result |= UInt64(byte & 0x7f) << shift
      if byte & 0x80 == 0 { return result }
      shift += 7
      if shift > 63 { throw .invalid(offset: start, reason: "varint longer than 10 bytes") }
    }
  }

  /// A varint that must fit in `Int` and be at most `maximum`.
  public mutating func readLength(maximum: Int) throws(Failure) -> Int {
    let start = offset
    let raw = try readVarint()
    guard raw <= UInt64(maximum) else {
      throw .invalid(offset: start, reason: "length \(raw) exceeds \(maximum)")
    }
    return Int(raw)
  }

  public mutating func readBytes(count: Int) throws(Failure) -> ArraySlice<UInt8> {
    guard count >= 0, remaining >= count else { throw .needMoreBytes(offset: offset) }
    defer { offset += count }
    return bytes[offset..<offset + count]
  }

  /// A varint length, then that many bytes; the length is bounded by what remains.
  public mutating func readLengthPrefixed() throws(Failure) -> ArraySlice<UInt8> {
    let start = offset
    let count = try readLength(maximum: Int(UInt32.max))
    guard count <= remaining else { throw .invalid(offset: start, reason: "length \(count) past end of record") }
    return try readBytes(count: count)
  }
}
