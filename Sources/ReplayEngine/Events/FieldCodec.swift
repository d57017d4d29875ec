import WALFormat

/// The payload encoding of every event: a sequence of tagged fields, protobuf style.
///
/// Each field is a varint key `(tag << 3) | wireType` then its value: wire type 0 is a varint,
/// 2 is a length-delimited byte string. Unknown tags are skipped, so a newer driftqctl can
/// add fields that an older one still reads past.
public struct FieldWriter {
  public private(set) var writer = ByteWriter(capacity: 96)
  public init() {}
  public var bytes: [UInt8] { writer.bytes }

  public mutating func varint(_ tag: UInt64, _ value: UInt64) {
    writer.writeVarint(tag << 3)
    writer.writeVarint(value)
  }

  public mutating func signed(_ tag: UInt64, _ value: Int64) {
    writer.writeVarint(tag << 3)
    writer.writeSignedVarint(value)
  }

  public mutating func bytes(_ tag: UInt64, _ value: [UInt8]) {
    writer.writeVarint(tag << 3 | 2)
    writer.writeLengthPrefixed(value)
  }

  public mutating func string(_ tag: UInt64, _ value: String) {
    writer.writeVarint(tag << 3 | 2)
    writer.writeString(value)
  }

  /// A string field only when it is not empty.
  public mutating func optionalString(_ tag: UInt64, _ value: String) {
    if !value.isEmpty { string(tag, value) }
  }
}

/// Reads the fields `FieldWriter` wrote, one at a time.
public struct FieldReader {
  private var reader: ByteReader

  public init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    reader = ByteReader(Array(bytes))
  }

  /// One field: its tag and its value (a varint, or bytes).
  public enum Value {
    case varint(UInt64)
    case bytes(ArraySlice<UInt8>)
  }

  public mutating func next() throws(ReplayError) -> (tag: UInt64, value: Value)? {
    guard !reader.isAtEnd else { return nil }
    do {
      let key = try reader.readVarint()
      switch key & 7 {
      case 0: return (key >> 3, .varint(try reader.readVarint()))
      case 2: return (key >> 3, .bytes(try reader.readLengthPrefixed()))
      default: throw ReplayError(.badPayload, "unknown wire type \(key & 7)")
      }
    } catch let error as ReplayError {
      throw error
    } catch {
      throw ReplayError(.badPayload, "malformed event payload: \(error)")
    }
  }
}

extension FieldReader.Value {
  func uint() throws(ReplayError) -> UInt64 {
    guard case .varint(let v) = self else { throw ReplayError(.badPayload, "expected a number field") }
    return v
  }

  func int() throws(ReplayError) -> Int {
    let v = try uint()
    guard v <= UInt64(Int.max) else { throw ReplayError(.badPayload, "number out of range") }
    return Int(v)
  }

  func int64() throws(ReplayError) -> Int64 {
    let v = try uint()
    guard v <= UInt64(Int64.max) else { throw ReplayError(.badPayload, "number out of range") }
    return Int64(v)
  }

  /// A zig-zag signed varint.
  func signed() throws(ReplayError) -> Int64 {
    let raw = try uint()
    return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
  }

  func data() throws(ReplayError) -> [UInt8] {
    guard case .bytes(let b) = self else { throw ReplayError(.badPayload, "expected a bytes field") }
    return Array(b)
  }

  func string() throws(ReplayError) -> String {
    guard case .bytes(let b) = self, let text = String(validating: b, as: UTF8.self) else {
      throw ReplayError(.badPayload, "expected a UTF-8 string field")
    }
    return text
  }
}
