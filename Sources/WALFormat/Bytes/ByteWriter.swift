/// Appends little-endian integers, varints and length-prefixed bytes to a growing buffer.
/// The encoding side of every on-disk structure; `ByteReader` is its mirror.
public struct ByteWriter: Sendable {
  public private(set) var bytes: [UInt8]

  public init(capacity: Int = 64) {
    bytes = []
    bytes.reserveCapacity(capacity)
  }

  public var count: Int { bytes.count }

  /// Empties the buffer but keeps its storage, so a writer that flushes and refills it
  /// allocates (and the kernel zeroes) its pages once, not once per flush.
  public mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

  @inline(__always)
  public mutating func write<T: FixedWidthInteger>(littleEndian value: T) { appendInteger(value) }

  // Concrete overloads, chosen over the generic one: called from another module, the generic
  // runs unspecialized, looking up type metadata for every integer written (9% of folding a
  // log into message rows).
  public mutating func write(littleEndian value: UInt64) { appendInteger(value) }
  public mutating func write(littleEndian value: Int64) { appendInteger(value) }
  public mutating func write(littleEndian value: UInt32) { appendInteger(value) }
  public mutating func write(littleEndian value: UInt16) { appendInteger(value) }

  @inline(__always)
  private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
    withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
  }

  /// Unsigned LEB128: 1 byte for values below 128.
  @inline(__always)
  public mutating func writeVarint(_ value: UInt64) {
    var v = value
    while v >= 0x80 {
      bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
      v >>= 7
    }
    bytes.append(UInt8(v))
  }

  /// Signed values zig-zag encoded so small negatives stay short.
  public mutating func writeSignedVarint(_ value: Int64) {
    writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
  }

  /// A varint length followed by the bytes. Concrete, not generic over the collection:
  /// called from other modules, a generic one runs unspecialized, looking up its type
  /// metadata for every field of every record written.
  public mutating func writeLengthPrefixed(_ data: [UInt8]) {
    writeVarint(UInt64(data.count))
    bytes.append(contentsOf: data)
  }

  public mutating func writeLengthPrefixed(_ data: UnsafeBufferPointer<UInt8>) {
    writeVarint(UInt64(data.count))
    bytes.append(contentsOf: data)
  }

  public mutating func writeString(_ text: String) {
    var text = text
    text.withUTF8 { writeLengthPrefixed($0) }
  }

  public mutating func writeBytes<C: Collection>(_ data: C) where C.Element == UInt8 {
    bytes.append(contentsOf: data)
  }

  public mutating func writeZeros(_ count: Int) {
    bytes.append(contentsOf: repeatElement(0, count: count))
  }
}
