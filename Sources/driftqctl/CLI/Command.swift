/// A command: its spec (static data), a parsing initialiser, and `run`.
protocol Command {
  static var spec: CommandSpec { get }
  /// Whether the command also works against a DriftQ server (`--base-url`).
  static var worksRemotely: Bool { get }
  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError)
  func run(in context: CommandContext) throws -> ExitStatus
}

extension Command {
  static var worksRemotely: Bool { false }
}

/// A command that ran and failed with a message and a status (not a crash, not a usage error).
struct CommandFailure: Error, Sendable {
  var status: ExitStatus
  var message: String
  init(_ status: ExitStatus, _ message: String) {
    self.status = status
    self.message = message
  }
}
