import CDriftQ

/// SHA-256: content addresses of artifacts and the keys of replay's step cache.
public enum SHA256 {
  public static func digest<C: Collection>(_ bytes: C) -> [UInt8] where C.Element == UInt8 {
    var out = [UInt8](repeating: 0, count: 32)
    let input = Array(bytes)
    input.withUnsafeBytes { raw in
      out.withUnsafeMutableBufferPointer { driftq_sha256(raw.baseAddress, raw.count, $0.baseAddress) }
    }
    return out
  }

  /// The digest as 64 lowercase hex characters (DriftQ's artifact id form).
  public static func hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(64)
    for byte in digest(bytes) {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 15)])
    }
    return String(decoding: text, as: UTF8.self)
  }
}
