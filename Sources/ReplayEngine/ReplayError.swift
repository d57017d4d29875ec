/// A record that cannot be folded into state: a payload that does not decode, or an event
/// that contradicts the state before it (which a log written by driftqctl never holds).
public struct ReplayError: Error, Sendable, CustomStringConvertible {
  public struct Code: Hashable, Sendable {
    private let raw: String
    private init(_ raw: String) { self.raw = raw }
    public static let badPayload = Code("bad payload")
    public static let inconsistent = Code("inconsistent")
  }

  public var code: Code
  public var message: String
  public var lsn: UInt64?

  public init(_ code: Code, _ message: String, lsn: UInt64? = nil) {
    self.code = code
    self.message = message
    self.lsn = lsn
  }

  public var description: String { (lsn.map { "LSN \($0): " } ?? "") + message }

  /// The same error, located at the record with `lsn`.
  public func at(_ lsn: UInt64) -> ReplayError {
    var located = self
    located.lsn = lsn
    return located
  }
}
