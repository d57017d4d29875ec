#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// Progress of a long command on stderr, only when stderr is a terminal: what is done (records
/// or bytes), the rate and, with a known total, the share and time left, redrawn in place at
/// most five times a second and cleared at the end. Never a byte when stderr is a pipe or
/// file, so scripts and logs see only the answer.
final class ProgressMeter {
  enum Unit { case records, bytes }

  private let stderr: OutputStream
  private let what: String
  private let unit: Unit
  private let total: Int?
  private let started = MonotonicClock.nowMs()
  private var lastDraw: Int64 = 0
  private var done = 0
  private var drawn = false

  /// A meter for `what`, or nil when stderr is not a terminal.
  init?(_ context: CommandContext, _ what: String, unit: Unit, total: Int? = nil) {
    guard context.stderr.isTerminal else { return nil }
    stderr = context.stderr
    self.what = what
    self.unit = unit
    self.total = total
  }

  func advance(by amount: Int) {
    done += amount
    let now = MonotonicClock.nowMs()
    guard now - lastDraw >= 200 else { return }
    lastDraw = now
    stderr.write("\r\u{1B}[K" + Self.line(what: what, done: done, total: total, unit: unit, elapsedMs: now - started))
    stderr.flush()
    drawn = true
  }

  /// Clears the line (the answer that follows is printed on a clean terminal).
  func finish() {
    guard drawn else { return }
    stderr.write("\r\u{1B}[K")
    stderr.flush()
    drawn = false
  }

  /// `verifying: 12.5 MiB of 64.0 MiB (19%), 210.3 MiB/s, 0:03 left`.
  static func line(what: String, done: Int, total: Int?, unit: Unit, elapsedMs: Int64) -> String {
    let seconds = max(Double(elapsedMs) / 1000, 0.001)
    let rate = Double(done) / seconds
    var text = "\(what): \(amount(done, unit))"
    if let total, total > 0 {
      text += " of \(amount(total, unit)) (\(min(100, done * 100 / total))%)"
    }
    text += ", \(amount(Int(rate), unit))/s"
    if let total, total > done, rate > 0 {
      let left = Int(Double(total - done) / rate)
      text += ", \(left / 60):" + (left % 60 < 10 ? "0" : "") + "\(left % 60) left"
    }
    return text
  }

  private static func amount(_ n: Int, _ unit: Unit) -> String {
    switch unit {
    case .records: return "\(n) records"
    case .bytes:
      let mib = Double(n) / 1_048_576
      return mib >= 1 ? "\((mib * 10).rounded() / 10) MiB" : "\(n / 1024) KiB"
    }
  }
}
