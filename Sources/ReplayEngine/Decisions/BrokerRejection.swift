/// Why the broker refused a command. Nothing is written for a rejected command.
public struct BrokerRejection: Error, Sendable, Equatable, CustomStringConvertible {
  public struct Code: Hashable, Sendable, CustomStringConvertible {
    private let raw: String
    private init(_ raw: String) { self.raw = raw }
    public var description: String { raw }
    public static let invalidArgument = Code("invalid_argument")
    public static let topicNotFound = Code("topic_not_found")
    public static let topicExists = Code("topic_exists")
    public static let groupNotFound = Code("group_not_found")
    public static let notInFlight = Code("not_in_flight")
    /// The message is leased to another owner (DriftQ's 409 `not owner`).
    public static let notOwner = Code("not_owner")
    /// A producer limit is reached (DriftQ's 429 `RESOURCE_EXHAUSTED`).
    public static let resourceExhausted = Code("resource_exhausted")

    public static let all: [Code] = [.invalidArgument, .topicNotFound, .topicExists, .groupNotFound, .notInFlight, .notOwner, .resourceExhausted]

    /// The code a `description` names (as a server sends it back), or nil.
    public init?(named name: String) {
      guard let code = Code.all.first(where: { $0.raw == name }) else { return nil }
      self = code
    }
  }

  public var code: Code
  /// DriftQ's wording where DriftQ has one (`topic does not exist`, `not owner`, …).
  public var message: String
  /// DriftQ's machine-readable reason, where it gives one (a producer limit's
  /// `partition_buffer_full` or `partition_buffer_bytes_full`).
  public var reason: String?

  public init(_ code: Code, _ message: String, reason: String? = nil) {
    self.code = code
    self.message = message
    self.reason = reason
  }

  public var description: String { message }
}
