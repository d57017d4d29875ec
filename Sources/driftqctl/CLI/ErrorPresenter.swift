import ReplayEngine
import WALFormat

/// Maps every error to one stderr line and an exit status (like argument-parser's MessageInfo).
enum ErrorPresenter {
  static func present(_ error: any Error, in context: CommandContext) -> ExitStatus {
    let (status, message) = classify(error)
    context.stdout.flush()
    context.stderr.line("driftqctl: error: " + message)
    if let usage = error as? UsageError {
      let command = usage.command.map { " " + $0.joined(separator: " ") } ?? ""
      context.stderr.line("Run 'driftqctl\(command) --help' for usage.")
    }
    context.stderr.flush()
    return status
  }

  static func classify(_ error: any Error) -> (ExitStatus, String) {
    switch error {
    case let usage as UsageError:
      return (.usage, usage.message)
    case let failure as CommandFailure:
      return (failure.status, failure.message)
    case let rejection as BrokerRejection:
      return (rejection.code == .resourceExhausted ? .unavailable : .failure, rejection.message)
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
