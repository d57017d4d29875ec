import ReplayEngine
import WALFormat

/// Maps every error to one stderr line and an exit status (like argument-parser's MessageInfo).
///
/// With `-o json` or `-o ndjson` the error is also data: after the text, one line
/// `{"error":{"code":"not_found","message":"…","exit":4}}` on stderr, the last line the command
/// writes there. `code` is the exit status's name (see `ExitStatus.name`); a broker refusal adds
/// DriftQ's code as `"rejection"` (and its machine-readable `"reason"` where it gives one).
enum ErrorPresenter {
  static func present(_ error: any Error, in context: CommandContext) -> ExitStatus {
    let (status, message) = classify(error)
    context.stdout.flush()
    context.stderr.line("driftqctl: error: " + message)
    if let usage = error as? UsageError {
      let command = usage.command.map { " " + $0.joined(separator: " ") } ?? ""
      context.stderr.line("Run 'driftqctl\(command) --help' for usage.")
    }
    printJSON(error, status: status, message: message, in: context)
    context.stderr.flush()
    return status
  }

  /// Reports an error of one input line that does not end the command (a `--batch` line the
  /// broker refused, or one that does not parse): `driftqctl: error: line N: …`, and its JSON
  /// with `"line":N`. A bad line is bad data, not a bad command line: exit 1, not 2.
  static func report(_ error: any Error, line: Int, in context: CommandContext) {
    var (status, message) = classify(error)
    if status == .usage { status = .failure }
    context.stderr.line("driftqctl: error: line \(line): \(message)")
    printJSON(error, status: status, message: message, extra: [("line", .int(line))], in: context)
  }

  /// Reports an outcome that is an error without a thrown one (a run that failed), with the
  /// status the command exits with.
  static func report(_ message: String, status: ExitStatus, in context: CommandContext) {
    context.stderr.line("driftqctl: error: " + message)
    printJSON(nil, status: status, message: message, in: context)
  }

  /// The error's JSON object, as one line on stderr, when the output format is JSON.
  private static func printJSON(
    _ error: (any Error)?, status: ExitStatus, message: String, extra: [(String, JSONValue)] = [], in context: CommandContext
  ) {
    guard context.errorFormat != .text else { return }
    context.stderr.line(JSONWriter.encode(json(error, status: status, message: message, extra: extra)))
  }

  static func json(_ error: (any Error)?, status: ExitStatus, message: String, extra: [(String, JSONValue)] = []) -> JSONValue {
    var members: [(String, JSONValue)] = [("code", .string(status.name)), ("message", .string(message)), ("exit", .int(status.rawValue))]
    if let rejection = error as? BrokerRejection {
      members.append(("rejection", .string(rejection.code.description)))
      if let reason = rejection.reason { members.append(("reason", .string(reason))) }
    }
    return .object([("error", .object(members + extra))])
  }

  static func classify(_ error: any Error) -> (ExitStatus, String) {
    switch error {
    case let usage as UsageError:
      return (.usage, usage.message)
    case let failure as CommandFailure:
      return (failure.status, failure.message)
    case let rejection as BrokerRejection:
      switch rejection.code {
      case .resourceExhausted: return (.unavailable, rejection.message)
      case .groupNotFound: return (.notFound, rejection.message)
      default: return (.failure, rejection.message)
      }
    case let wal as WALError:
      switch wal.code {
      case .corruption: return (.corruption, "corruption in the WAL: \(wal) (run 'driftqctl wal verify' for a full report)")
      case .missing: return (.notFound, wal.description)
      case .lockTimeout: return (.unavailable, wal.description)
      default: return (.failure, wal.description)
      }
    case let replay as ReplayError:
      return (.corruption, "the log cannot be folded: \(replay)")
    default:
      return (.failure, "\(error)")
    }
  }
}
