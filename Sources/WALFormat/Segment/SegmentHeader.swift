/// The first 32 bytes of every segment file.
///
/// | offset | size | field                                               |
/// |-------:|-----:|-----------------------------------------------------|
/// |      0 |    8 | magic `DRIFTQWL`                                    |
/// |      8 |    2 | format major version (1)                            |
/// |     10 |    2 | format minor version (0)                            |
/// |     12 |    4 | salt: random per segment, seeds every frame CRC     |
/// |     16 |    8 | base LSN: the LSN of the segment's first record     |
/// |     24 |    4 | span: 0, or for a compacted segment the LSNs it covers |
/// |     28 |    4 | CRC32C of bytes 0..<28                              |
///
/// The salt makes bytes left over from another segment (or another directory) fail their
/// checksums, so stale data can never pass for a record.
///
/// A compacted segment (minor version 1, span > 0) replaces every segment whose records lie
/// in `baseLSN ..< baseLSN + span`: its LSNs increase but may skip the records compaction
/// dropped, and any older segment file inside its span is superseded (a leftover of a swap).
public struct SegmentHeader: Sendable, Equatable {
  public static let size = 32
  public static let magic: [UInt8] = Array("DRIFTQWL".utf8)
  public static let majorVersion: UInt16 = 1
  public static let minorVersion: UInt16 = 0
  /// The minor version of a compacted segment, which older readers would see as LSN gaps.
  public static let compactedMinorVersion: UInt16 = 1
  /// The largest base LSN a header may carry: LSNs are counted in `Int64` range, so that a
  /// segment's LSNs (`baseLSN + span`, `lsn + 1`) can never overflow.
  public static let maximumBaseLSN = UInt64(Int64.max)

  public var salt: UInt32
  public var baseLSN: UInt64
  public var major: UInt16 = SegmentHeader.majorVersion
  public var minor: UInt16 = SegmentHeader.minorVersion
  /// The LSNs a compacted segment covers; 0 for a segment written by appends.
  public var span: UInt32 = 0

  public init(salt: UInt32, baseLSN: UInt64, span: UInt32 = 0) {
    self.salt = salt
    self.baseLSN = baseLSN
    self.span = span
    if span > 0 { minor = Self.compactedMinorVersion }
  }

  public var isCompacted: Bool { span > 0 }
  /// The last LSN a compacted segment covers (nil for an ordinary segment).
  public var endLSN: UInt64? { span > 0 ? baseLSN + UInt64(span) - 1 : nil }

  public func encode(into writer: inout ByteWriter) {
    let start = writer.count
    writer.writeBytes(Self.magic)
    writer.write(littleEndian: major)
    writer.write(littleEndian: minor)
    writer.write(littleEndian: salt)
    writer.write(littleEndian: baseLSN)
    writer.write(littleEndian: span)
    let crc = writer.bytes.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start..<start + 28])) }
    writer.write(littleEndian: crc)
  }

  /// Why a segment header could not be read.
  public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
    case short(Int)
    case zeroFilled
    case badMagic
    case checksum(stored: UInt32, computed: UInt32)
    case unsupportedVersion(UInt16)
    case baseLSNOutOfRange(UInt64)

    /// Whether this is what a crash during segment creation leaves (a header cut short or
    /// zero-filled, nothing after it): a torn tail when the segment is the newest.
    public func isTornCreation(fileSize: Int) -> Bool {
      switch self {
      case .short: return fileSize <= SegmentHeader.size
      case .zeroFilled: return true
      default: return false
      }
    }

    public var description: String {
      switch self {
      case .short(let n): return "segment header is incomplete (\(n) of \(SegmentHeader.size) bytes)"
      case .zeroFilled: return "segment header is zero-filled"
      case .badMagic: return "not a driftq segment (bad magic)"
      case .checksum(let s, let c): return "segment header checksum mismatch: stored \(hex(s)), computed \(hex(c))"
      case .unsupportedVersion(let v): return "segment format version \(v) is newer than this driftqctl reads (\(SegmentHeader.majorVersion))"
      case .baseLSNOutOfRange(let lsn): return "segment base LSN \(lsn) is past the largest LSN (\(SegmentHeader.maximumBaseLSN))"
      }
    }
  }

  public init(parsing bytes: [UInt8]) throws(Problem) {
    guard bytes.count >= Self.size else { throw .short(bytes.count) }
    if bytes.prefix(Self.size).allSatisfy({ $0 == 0 }) { throw .zeroFilled }
    guard Array(bytes[0..<8]) == Self.magic else { throw .badMagic }
    var reader = ByteReader(bytes, offset: 8)
    do {
      major = try reader.readInteger(littleEndian: UInt16.self)
      minor = try reader.readInteger(littleEndian: UInt16.self)
      salt = try reader.readInteger(littleEndian: UInt32.self)
      baseLSN = try reader.readInteger(littleEndian: UInt64.self)
      span = try reader.readInteger(littleEndian: UInt32.self)
      let stored = try reader.readInteger(littleEndian: UInt32.self)
      let computed = CRC32C.checksum(Array(bytes[0..<28]))
      guard stored == computed else { throw Problem.checksum(stored: stored, computed: computed) }
    } catch let problem as Problem {
      throw problem
    } catch {
      throw .short(bytes.count)
    }
    guard major == Self.majorVersion else { throw .unsupportedVersion(major) }
    guard baseLSN <= Self.maximumBaseLSN else { throw .baseLSNOutOfRange(baseLSN) }
  }
}
