/// Limits on names and sizes that come from users: every length has a bound.
public enum NameRules {
  public static let maximumNameBytes = 255
  public static let maximumPartitions = 4096
  public static let maximumKeyBytes = 64 << 10
  /// Values are bounded below the frame limit so a message always fits in one record.
  public static let maximumValueBytes = 8 << 20
  public static let maximumReasonBytes = 4096

  /// Checks a topic, group or owner name: 1–255 bytes, no control characters.
  /// - Returns: a message saying what is wrong, or nil when the name is fine.
  public static func problem(with name: String, what: String) -> String? {
    if name.isEmpty { return "\(what) is required" }
    if name.utf8.count > maximumNameBytes { return "\(what) is longer than \(maximumNameBytes) bytes" }
    if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return "\(what) contains control characters"
    }
    return nil
  }
}
