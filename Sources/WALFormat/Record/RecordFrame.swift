/// The framing of one record inside a segment.
///
/// Byte layout (all integers little-endian), then the payload, then zero padding so the next
/// frame starts on a multiple of 8 bytes:
///
/// | offset | size | field                                                         |
/// |-------:|-----:|---------------------------------------------------------------|
/// |      0 |    4 | payload length in bytes (at most `maximumPayload`)            |
/// |      4 |    1 | record kind                                                   |
/// |      5 |    1 | flags                                                         |
/// |      6 |    2 | reserved, zero                                                |
/// |      8 |    8 | LSN                                                           |
/// |     16 |    8 | timestamp, nanoseconds since the Unix epoch (signed)          |
/// |     24 |    4 | CRC32C of the payload, seeded with the segment salt           |
/// |     28 |    4 | CRC32C of bytes 0..<28 of this header, seeded with the salt   |
///
/// The header checksum is checked before the length is trusted, and the length is bounded by
/// the bytes remaining in the segment, so a forged length can never cause a large allocation.
public enum RecordFrame {
  public static let headerSize = 32
  /// 16 MiB: the largest payload a frame may carry.
  public static let maximumPayload = 16 << 20
  public static let alignment = 8

  /// The bytes a frame with `payloadLength` bytes of payload occupies, padding included.
  @inline(__always)
  public static func frameLength(payloadLength: Int) -> Int {
    headerSize + (payloadLength + alignment - 1) / alignment * alignment
  }

  /// Appends one frame (header, payload, padding) to `writer`.
  public static func encode(
    lsn: UInt64, kind: RecordKind, flags: UInt8 = 0, timestamp: WALTimestamp, payload: [UInt8],
    salt: UInt32, into writer: inout ByteWriter
  ) {
    let start = writer.count
    writer.write(littleEndian: UInt32(payload.count))
    writer.write(littleEndian: kind.rawValue)
    writer.write(littleEndian: flags)
    writer.write(littleEndian: UInt16(0))
    writer.write(littleEndian: lsn)
    writer.write(littleEndian: timestamp.nanoseconds)
    writer.write(littleEndian: CRC32C.checksum(payload, seed: salt))
    let headerCRC = writer.bytes.withUnsafeBytes {
      CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + 28]), seed: salt)
    }
    writer.write(littleEndian: headerCRC)
    writer.writeBytes(payload)
    writer.writeZeros(frameLength(payloadLength: payload.count) - headerSize - payload.count)
  }

  /// What one call to `decode` found at a position.
  public enum Decoding: Sendable, Equatable {
    /// A valid frame; the payload is `buffer[payloadStart..<payloadStart+length]`.
    case frame(Header, payloadStart: Int, frameLength: Int)
    /// The bytes end before the frame does: a clean end, a torn frame, or a short read.
    case needMoreBytes(required: Int)
    /// The bytes are present and wrong.
    case damaged(FrameDamage)
  }

  /// The decoded fixed-size part of a frame.
  public struct Header: Sendable, Equatable {
    public var payloadLength: Int
    public var kind: RecordKind
    public var flags: UInt8
    public var lsn: UInt64
    public var timestamp: WALTimestamp
    public var payloadChecksum: UInt32
  }

  /// Decodes the frame starting at `offset` of `buffer`. Never reads past `buffer`; a frame
  /// that continues beyond it is `.needMoreBytes`.
  public static func decode(
    _ buffer: UnsafeRawBufferPointer, at offset: Int, salt: UInt32
  ) -> Decoding {
    let available = buffer.count - offset
    guard available >= headerSize else { return .needMoreBytes(required: headerSize) }
    let header = UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + headerSize])
    func u32(_ at: Int) -> UInt32 { UInt32(littleEndian: header.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
    func u64(_ at: Int) -> UInt64 { UInt64(littleEndian: header.loadUnaligned(fromByteOffset: at, as: UInt64.self)) }
    let storedHeaderCRC = u32(28)
    let computedHeaderCRC = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<28]), seed: salt)
    guard storedHeaderCRC == computedHeaderCRC else {
      if u64(0) == 0 && u64(8) == 0 && u64(16) == 0 && u64(24) == 0 {
        return .damaged(FrameDamage(offset: offset, reason: .zeroHeader))
      }
      return .damaged(FrameDamage(offset: offset, reason: .headerChecksum(stored: storedHeaderCRC, computed: computedHeaderCRC)))
    }
    let length = Int(u32(0))
    let reserved = UInt16(littleEndian: header.loadUnaligned(fromByteOffset: 6, as: UInt16.self))
    guard reserved == 0 else { return .damaged(FrameDamage(offset: offset, reason: .reservedBitsSet)) }
    guard length <= maximumPayload else {
      return .damaged(FrameDamage(offset: offset, reason: .lengthTooLarge(length)))
    }
    let parsed = Header(
      payloadLength: length, kind: RecordKind(rawValue: header[4]), flags: header[5], lsn: u64(8),
      timestamp: WALTimestamp(nanoseconds: Int64(bitPattern: u64(16))), payloadChecksum: u32(24))
    let total = frameLength(payloadLength: length)
    guard available >= total else { return .needMoreBytes(required: total) }
    let payload = UnsafeRawBufferPointer(rebasing: buffer[offset + headerSize..<offset + headerSize + length])
    let computed = CRC32C.checksum(payload, seed: salt)
    guard computed == parsed.payloadChecksum else {
      return .damaged(FrameDamage(offset: offset, lsn: parsed.lsn, reason: .payloadChecksum(stored: parsed.payloadChecksum, computed: computed)))
    }
    // Padding is outside both checksums, so it must be zero for a flip there to be seen.
    for index in (offset + headerSize + length)..<(offset + total) where buffer[index] != 0 {
      return .damaged(FrameDamage(offset: offset, lsn: parsed.lsn, reason: .nonZeroPadding))
    }
    return .frame(parsed, payloadStart: offset + headerSize, frameLength: total)
  }
}

/// A frame whose bytes are present but wrong, and why.
public struct FrameDamage: Sendable, Equatable, CustomStringConvertible {
  public enum Reason: Sendable, Equatable {
    case zeroHeader
    case headerChecksum(stored: UInt32, computed: UInt32)
    case payloadChecksum(stored: UInt32, computed: UInt32)
    case lengthTooLarge(Int)
    case reservedBitsSet
    case nonZeroPadding
    /// Valid checksums but the wrong LSN: a record was lost, duplicated or reordered.
    case unexpectedLSN(expected: UInt64, found: UInt64)
    /// The header promises more bytes than the segment holds.
    case truncated(required: Int, available: Int)
  }

  /// Byte offset of the frame in its segment file.
  public var offset: Int
  public var lsn: UInt64?
  public var reason: Reason

  public init(offset: Int, lsn: UInt64? = nil, reason: Reason) {
    self.offset = offset
    self.lsn = lsn
    self.reason = reason
  }

  public var description: String {
    switch reason {
    case .zeroHeader: return "zero-filled frame header"
    case .headerChecksum(let s, let c): return "header checksum mismatch: stored \(hex(s)), computed \(hex(c))"
    case .payloadChecksum(let s, let c): return "payload checksum mismatch: stored \(hex(s)), computed \(hex(c))"
    case .lengthTooLarge(let n): return "frame length \(n) exceeds the maximum \(RecordFrame.maximumPayload)"
    case .reservedBitsSet: return "reserved header bits are set"
    case .nonZeroPadding: return "padding after the payload is not zero"
    case .unexpectedLSN(let e, let f): return "expected LSN \(e), found \(f)"
    case .truncated(let r, let a): return "frame needs \(r) bytes, only \(a) remain"
    }
  }
}

/// `0x1a2b3c4d`: how checksums are shown in reports.
public func hex(_ value: UInt32) -> String {
  let digits = String(value, radix: 16)
  return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
