import ReplayEngine
import WALFormat

/// One attempt drawn on a run's shared time axis: blanks before it starts, its glyph while it
/// runs (at least one cell, so an instant reuse still shows), blanks after. Terminals only.
struct TimelineBar {
  /// The axis: the run's first start to its last end (or now, while it runs).
  var start: WALTimestamp
  var end: WALTimestamp
  /// Cells across the axis.
  var width: Int

  /// The glyph for an attempt that ended so: solid for work done, lighter for work lost, a
  /// dot for an output reused.
  static func glyph(_ outcome: AttemptOutcome) -> Character {
    switch outcome {
    case .succeeded: "█"
    case .failed: "▓"
    case .running, .waiting: "▒"
    case .interrupted, .canceled, .delayed: "░"
    case .reused: "·"
    }
  }

  /// The cells of an attempt from `from` to `to` (nil: still going, drawn to the axis end).
  func draw(from: WALTimestamp, to: WALTimestamp?, glyph: Character) -> String {
    guard width > 0 else { return "" }
    let span = Double(max(1, end.nanoseconds - start.nanoseconds))
    /// Where `t` falls on the axis, in cells (0...width).
    func position(_ t: WALTimestamp) -> Double {
      Double(min(max(t.nanoseconds, start.nanoseconds), end.nanoseconds) - start.nanoseconds) / span * Double(width)
    }
    let first = min(Int(position(from)), width - 1)
    let last = max(first + 1, min(width, Int(position(to ?? end).rounded(.up))))
    return String(repeating: " ", count: first) + String(repeating: glyph, count: last - first) + String(repeating: " ", count: width - last)
  }
}
