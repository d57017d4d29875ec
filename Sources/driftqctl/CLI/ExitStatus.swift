/// The only place exit numbers live. Scripts depend on these; the man page lists them.
struct ExitStatus: RawRepresentable, Hashable, Sendable {
  var rawValue: Int32
  static let success = Self(rawValue: 0)
  /// The command ran and the answer is "no": a rejected ack, a missing topic, bad input data.
  static let failure = Self(rawValue: 1)
  /// The command line itself is wrong.
  static let usage = Self(rawValue: 2)
  /// The WAL directory holds corruption (not a torn tail).
  static let corruption = Self(rawValue: 3)
  /// The thing named does not exist (e.g. no WAL directory for a read-only command).
  static let notFound = Self(rawValue: 4)
  /// Unavailable: the directory lock was held too long, a timeout passed, a server is unreachable.
  static let unavailable = Self(rawValue: 5)

  /// The status's stable name, the `code` of an error printed as JSON (`not_found`).
  var name: String {
    switch self {
    case .success: return "ok"
    case .failure: return "failure"
    case .usage: return "usage"
    case .corruption: return "corruption"
    case .notFound: return "not_found"
    case .unavailable: return "unavailable"
    default: return "exit_\(rawValue)"
    }
  }
}
