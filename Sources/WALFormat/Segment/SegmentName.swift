/// Names of files keyed by an LSN: the LSN as 20 zero-padded digits plus a suffix, so that
/// lexical order is numeric order. Segments use `.seg` (`00000000000000000001.seg`); their
/// indexes and checkpoints use their own suffixes.
public enum SegmentName {
  public static let suffix = ".seg"

  public static func fileName(baseLSN: UInt64, suffix: String = suffix) -> String {
    let digits = String(baseLSN)
    return String(repeating: "0", count: 20 - digits.count) + digits + suffix
  }

  /// The LSN a file name stands for, or nil when it is not such a name.
  public static func baseLSN(of name: String, suffix: String = suffix) -> UInt64? {
    guard name.utf8.count == 20 + suffix.utf8.count, name.hasSuffix(suffix) else { return nil }
    let digits = name.utf8.prefix(20)
    guard digits.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return UInt64(String(decoding: digits, as: UTF8.self))
  }
}
