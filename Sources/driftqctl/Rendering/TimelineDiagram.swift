import ReplayEngine
import WALFormat

/// A run's timeline drawn as inline SVG: a row per attempt in the order they began, a bar
/// from its start to its end on one time axis for the whole run (reused outputs as a dot),
/// coloured by how it ended, with ticks along the top.
enum TimelineDiagram {
  static let labelWidth = 200
  static let axisWidth = 640
  static let rowHeight = 22
  static let top = 28

  static func svg(_ timeline: RunTimeline, now: WALTimestamp) -> String {
    let e = HTMLEscaping.escape
    let start = timeline.start ?? now
    let end = max(timeline.end ?? now, start.adding(milliseconds: 1))
    let span = Double(end.nanoseconds - start.nanoseconds)
    func x(_ t: WALTimestamp) -> Double {
      Double(labelWidth) + Double(min(max(t.nanoseconds, start.nanoseconds), end.nanoseconds) - start.nanoseconds) / span * Double(axisWidth)
    }
    let width = labelWidth + axisWidth + 16
    let height = top + max(1, timeline.entries.count) * rowHeight + 8
    var out = """
      <svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" role="img" aria-label="timeline">

      """
    for tick in 0...4 {
      let offset = Int64(span * Double(tick) / 4)
      let tx = Double(labelWidth) + Double(axisWidth) * Double(tick) / 4
      out += "<line x1=\"\(fmt(tx))\" y1=\"\(top - 6)\" x2=\"\(fmt(tx))\" y2=\"\(height - 4)\" stroke=\"#e5e7eb\"/>"
      out += "<text class=\"tick\" x=\"\(fmt(tx))\" y=\"\(top - 10)\" text-anchor=\"\(tick == 0 ? "start" : tick == 4 ? "end" : "middle")\">+\(e(RunRendering.shortDuration(nanoseconds: offset)))</text>\n"
    }
    for (row, entry) in timeline.entries.enumerated() {
      let y = top + row * rowHeight
      let look = color(entry.outcome)
      let begin = entry.startedAt ?? start
      let x0 = x(begin), x1 = max(x(entry.endedAt ?? end), x0)
      let duration = entry.duration.map { RunRendering.shortDuration(nanoseconds: $0) } ?? "running"
      let tip = "\(entry.nodeID) attempt \(entry.attempt): \(entry.outcome.rawValue), \(duration)" + (entry.detail.isEmpty ? "" : "; \(entry.detail)")
      out += "<g><title>\(e(tip))</title>"
      out += "<text class=\"row\" x=\"4\" y=\"\(y + 15)\"\(entry.superseded ? " fill=\"#9ca3af\"" : "")>\(e(DAGDiagram.clip(entry.nodeID, 22))) #\(entry.attempt)</text>"
      if entry.outcome == .reused {
        out += "<circle cx=\"\(fmt(x0))\" cy=\"\(y + 11)\" r=\"4.5\" fill=\"\(look.fill)\" stroke=\"\(look.stroke)\" stroke-width=\"1.5\"/>"
      } else {
        out += "<rect x=\"\(fmt(x0))\" y=\"\(y + 4)\" width=\"\(fmt(max(2, x1 - x0)))\" height=\"\(rowHeight - 8)\" rx=\"3\" fill=\"\(look.fill)\" stroke=\"\(look.stroke)\"/>"
      }
      out += "</g>\n"
    }
    return out + "</svg>"
  }

  /// The colours of an outcome: those `runs graph` gives a step that ended so, with solid
  /// bars for work done or lost, so a retry stands out.
  static func color(_ outcome: AttemptOutcome) -> GraphRendering.Look {
    var look = GraphRendering.look(outcome)
    switch outcome {
    case .succeeded: look.fill = "#4ade80"
    case .failed, .interrupted: look.fill = "#f87171"
    case .running, .waiting: look.fill = "#facc15"
    default: break
    }
    return look
  }

  /// One decimal, for coordinates.
  static func fmt(_ value: Double) -> String {
    let tenths = Int((max(0, value) * 10).rounded())
    return "\(tenths / 10).\(tenths % 10)"
  }
}
