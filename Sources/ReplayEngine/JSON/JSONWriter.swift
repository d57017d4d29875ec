/// Writes compact JSON the way Go's encoding/json does, so that our output matches DriftQ's
/// byte for byte: `<`, `>`, `&`, U+2028 and U+2029 are escaped as `\u003c` and so on.
public struct JSONWriter {
  public private(set) var output: [UInt8] = []

  public init(capacity: Int = 256) { output.reserveCapacity(capacity) }

  public var text: String { String(decoding: output, as: UTF8.self) }

  public mutating func raw(_ text: StaticString) {
    output.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
  }

  public mutating func raw(_ text: String) {
    output.append(contentsOf: text.utf8)
  }

  public mutating func integer<T: BinaryInteger>(_ value: T) {
    output.append(contentsOf: String(value).utf8)
  }

  /// The lowercase hex digit of the low four bits of `value`.
  private static func hexDigit(_ value: UInt32) -> UInt8 {
    let nibble = UInt8(value & 0xF)
    return nibble < 10 ? 48 + nibble : 87 + nibble
  }

  /// A string as Go's encoding/json writes it (`<`, `>`, `&`, U+2028 and U+2029 escaped
  /// too). Works on the UTF-8 bytes and copies each run that needs no escape at once: a
  /// message value is mostly such a run, and escaping scalar by scalar was the largest part
  /// of writing consume's lines.
  public mutating func string(_ text: String) {
    output.append(UInt8(ascii: "\""))
    var text = text
    text.withUTF8 { bytes in
      var run = 0
      var index = 0
      func flush(to end: Int) {
        if end > run { output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[run..<end])) }
      }
      while index < bytes.count {
        let byte = bytes[index]
        if byte >= 0x80 {
          // U+2028 and U+2029 are E2 80 A8 and E2 80 A9; every other sequence is copied.
          if byte == 0xE2, index + 2 < bytes.count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 {
            flush(to: index)
            unicodeEscape(0x2000 | UInt32(bytes[index + 2] == 0xA8 ? 0x28 : 0x29))
            index += 3
            run = index
          } else {
            index += 1
          }
          continue
        }
        if byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x3C || byte == 0x3E || byte == 0x26 {
          flush(to: index)
          switch byte {
          case 0x22: output.append(0x5C); output.append(0x22)
          case 0x5C: output.append(0x5C); output.append(0x5C)
          case 0x0A: output.append(0x5C); output.append(UInt8(ascii: "n"))
          case 0x0D: output.append(0x5C); output.append(UInt8(ascii: "r"))
          case 0x09: output.append(0x5C); output.append(UInt8(ascii: "t"))
          default: unicodeEscape(UInt32(byte))
          }
          run = index + 1
        }
        index += 1
      }
      flush(to: bytes.count)
    }
    output.append(UInt8(ascii: "\""))
  }

  private mutating func unicodeEscape(_ v: UInt32) {
    output.append(contentsOf: [0x5C, UInt8(ascii: "u"), Self.hexDigit(v >> 12), Self.hexDigit(v >> 8), Self.hexDigit(v >> 4), Self.hexDigit(v)])
  }

  public mutating func value(_ value: JSONValue) {
    switch value {
    case .null: raw("null")
    case .bool(let b): raw(b ? "true" : "false")
    case .number(let n): raw(n)
    case .string(let s): string(s)
    case .array(let items):
      output.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { output.append(UInt8(ascii: ",")) }
        self.value(item)
      }
      output.append(UInt8(ascii: "]"))
    case .object(let members):
      output.append(UInt8(ascii: "{"))
      for (i, member) in members.enumerated() {
        if i > 0 { output.append(UInt8(ascii: ",")) }
        string(member.0)
        output.append(UInt8(ascii: ":"))
        self.value(member.1)
      }
      output.append(UInt8(ascii: "}"))
    }
  }

  /// Compact JSON text of `value`.
  public static func encode(_ value: JSONValue) -> String {
    var writer = JSONWriter()
    writer.value(value)
    return writer.text
  }

  /// Indented JSON text of `value` (two spaces, like Go's MarshalIndent).
  public static func encodePretty(_ value: JSONValue, indent: String = "") -> String {
    switch value {
    case .array(let items) where !items.isEmpty:
      let inner = indent + "  "
      return "[\n" + items.map { inner + encodePretty($0, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
    case .object(let members) where !members.isEmpty:
      let inner = indent + "  "
      return "{\n" + members.map { inner + encode(.string($0.0)) + ": " + encodePretty($0.1, indent: inner) }.joined(separator: ",\n") + "\n" + indent + "}"
    default:
      return encode(value)
    }
  }
}
