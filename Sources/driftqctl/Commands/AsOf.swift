import ReplayEngine
import WALFormat

/// `--at LSN|@TIME|@-DURATION`: answer from the state folded up to that point in the log
/// ("what did the broker look like at 02:14?"). Local directories only.
enum AsOf {
  static let option = OptionSpec("at", placeholder: "LSN|@TIME|@-DURATION", help: "Answer from the state as of this LSN or time (@2026-11-21T02:14:00Z, @-2h).")

  static func parse(_ args: inout ParsedArguments, command: [String]) throws(UsageError) -> LogPosition? {
    try args.value(option).map { text throws(UsageError) in try LogPosition.parse(text, option: "at", command: command) }
  }

  /// The backend for a read: folded up to `point` when given (refused with `--base-url`).
  static func open(_ point: LogPosition?, _ globals: GlobalOptions, _ context: CommandContext) throws -> LocalBackend {
    if point != nil { try globals.requireLocal("--at") }
    return try LocalBackend.open(globals, context: context, asOf: point)
  }
}
