/// The type of a record's payload: a byte, and an open set.
///
/// WALFormat gives kinds no meaning; ReplayEngine names them. An unknown value decodes and
/// round-trips unchanged, so an older `wal inspect` shows `kind(17)` instead of failing.
public struct RecordKind: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible {
  public let rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue }

  public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
  public var description: String { "kind(\(rawValue))" }
}
