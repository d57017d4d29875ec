/// A command: its spec (static data), a parsing initialiser, and `run`.
protocol Command {
  static var spec: CommandSpec { get }
  /// Whether the command also works against a DriftQ server (`--base-url`).
  static var worksRemotely: Bool { get }
  /// Whether the command works on a face at all (a WAL directory or a server). Those that do
  /// not (`profile`, `completion`, `help`, `version`) take the face options without acting on
  /// them, so they never read a profile, a token file or `DRIFTQ_URL`.
  static var opensFace: Bool { get }
  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError)
  func run(in context: CommandContext) throws -> ExitStatus
}

extension Command {
  static var worksRemotely: Bool { false }
  static var opensFace: Bool { true }
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
