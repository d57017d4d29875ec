/// Segment file names: the base LSN as 20 zero-padded digits plus `.seg`, so that lexical
/// order is numeric order (`00000000000000000001.seg`).
public enum SegmentName {
  public static let suffix = ".seg"

  public static func fileName(baseLSN: UInt64) -> String {
    let digits = String(baseLSN)
    return String(repeating: "0", count: 20 - digits.count) + digits + suffix
  }

  /// The base LSN a file name stands for, or nil when it is not a segment name.
  public static func baseLSN(of name: String) -> UInt64? {
    guard name.utf8.count == 24, name.hasSuffix(suffix) else { return nil }
    let digits = name.utf8.prefix(20)
    guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return UInt64(String(decoding: digits, as: UTF8.self))
  }
}
