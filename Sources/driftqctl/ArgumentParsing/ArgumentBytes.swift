#if canImport(Glibc)
import Glibc
#endif

/// Command-line arguments keep their bytes. argv is bytes, and Swift's `String` would replace
/// bytes that are not UTF-8 with U+FFFD (a `--key` would then land in another partition). So
/// each such byte becomes the private-use scalar U+10FF00 + byte on the way in (as Python's
/// "surrogateescape"), and `bytes(of:)` turns those back into the bytes given.
enum ArgumentBytes {
  static let escapeBase: UInt32 = 0x10_FF00

  /// The process's arguments (without the program name), each byte kept.
  static func processArguments() -> [String] {
    (1..<Int(CommandLine.argc)).compactMap { index in
      CommandLine.unsafeArgv[index].map { pointer in
        let length = strlen(pointer)
        return decode(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: length))
      }
    }
  }

  /// Bytes as a string: UTF-8 as it is, every other byte escaped.
  static func decode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let array = Array(bytes)
    if let text = String(validating: array, as: UTF8.self) { return text }
    var scalars = String.UnicodeScalarView()
    var index = 0
    while index < array.count {
      let length = sequenceLength(array, at: index)
      if length > 0, let text = String(validating: array[index..<index + length], as: UTF8.self) {
        scalars.append(contentsOf: text.unicodeScalars)
        index += length
      } else {
        if let escaped = Unicode.Scalar(escapeBase + UInt32(array[index])) { scalars.append(escaped) }
        index += 1
      }
    }
    return String(scalars)
  }

  /// The length of the UTF-8 sequence its first byte announces (0: not a first byte).
  private static func sequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
    let first = bytes[index]
    let length: Int
    switch first {
    case 0x00..<0x80: return 1
    case 0xC2..<0xE0: length = 2
    case 0xE0..<0xF0: length = 3
    case 0xF0..<0xF5: length = 4
    default: return 0
    }
    return index + length <= bytes.count ? length : 0
  }

  /// The bytes an argument stood for.
  static func bytes(of text: String) -> [UInt8] {
    guard text.unicodeScalars.contains(where: { $0.value >= escapeBase + 0x80 }) else { return Array(text.utf8) }
    var out: [UInt8] = []
    for scalar in text.unicodeScalars {
      if scalar.value >= escapeBase + 0x80 && scalar.value <= escapeBase + 0xFF {
        out.append(UInt8(scalar.value - escapeBase))
      } else {
        out += Array(String(scalar).utf8)
      }
    }
    return out
  }
}
