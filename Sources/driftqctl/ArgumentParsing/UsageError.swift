/// A wrong command line: exit 2, with a hint to run `--help`.
struct UsageError: Error, Sendable, CustomStringConvertible {
  var message: String
  /// The command whose help would explain it, if one was recognised.
  var command: [String]?

  init(_ message: String, command: [String]? = nil) {
    self.message = message
    self.command = command
  }

  var description: String { message }
}
