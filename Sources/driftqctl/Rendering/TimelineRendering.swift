import ReplayEngine
import WALFormat

/// `runs timeline`'s rows: the Go tool's nine columns first (scripts that read them by
/// position keep working), then how each attempt ended, what it took and cost, and why.
enum TimelineRendering {
  static let header = "attempt\tstep\tcached\tcache_attempt\tqueue_ms\tworker_ms\tqueued_at\tstarted_at\tended_at\tstatus\tduration\ttokens\tdollars\tdetail"

  /// The row of a script's table (tab-separated, times cut to 19 characters as the Go tool did).
  static func text(_ e: TimelineEntry) -> String {
    let worker = e.workerMs ?? e.duration.map { $0 / 1_000_000 } ?? 0
    let duration = e.duration.map { RunRendering.goDuration(nanoseconds: $0) } ?? "-"
    return "\(e.attempt)\t\(e.nodeID)\t\(e.outcome == .reused)\t\(e.cachedAttempt ?? 0)\t0\t\(worker)\t-\t"
      + "\(RunRendering.short(e.startedAt))\t\(RunRendering.short(e.endedAt))\t\(e.outcome.rawValue)\t\(duration)\t"
      + "\(e.usage.tokens)\t\(Money.text(e.usage.dollars))\t\(e.detail.isEmpty ? "-" : RunRendering.cut(e.detail, over: 120))"
  }

  static func json(_ e: TimelineEntry) -> JSONValue {
    var m: [(String, JSONValue)] = [
      ("attempt", .int(e.attempt)), ("step", .string(e.nodeID)), ("cached", .bool(e.outcome == .reused)),
      ("cache_attempt", .int(e.cachedAttempt ?? 0)), ("queue_ms", .int(0)),
      ("worker_ms", .int(e.workerMs ?? e.duration.map { $0 / 1_000_000 } ?? 0)),
      ("started_at", RunRendering.time(e.startedAt) ?? .null), ("ended_at", RunRendering.time(e.endedAt) ?? .null),
      ("status", .string(e.outcome.rawValue)),
    ]
    if let d = e.duration { m.append(("duration_ms", .int(d / 1_000_000))) }
    m += [("tokens_in", .int(e.usage.tokensIn)), ("tokens_out", .int(e.usage.tokensOut)), ("dollars", .number(Money.text(e.usage.dollars)))]
    if e.saved.dollars > 0 { m.append(("saved_dollars", .number(Money.text(e.saved.dollars)))) }
    if !e.detail.isEmpty { m.append(("detail", .string(e.detail))) }
    if e.superseded { m.append(("superseded", .bool(true))) }
    return .object(m)
  }

  // MARK: - The run's line

  /// How the run stands: `run r1 failed after 1.2s: budget exceeded: tokens (…); 3 attempts …`.
  static func summary(_ run: WorkflowRun, _ timeline: RunTimeline, status: String) -> String {
    var text = "run \(run.runID) \(status)"
    if let s = timeline.start, let e = run.status.isTerminal ? (run.endedAt ?? timeline.end) : nil {
      text += " after " + RunRendering.shortDuration(nanoseconds: e.nanoseconds - s.nanoseconds)
    }
    if let stop = timeline.budgetStop { text += ": budget exceeded: \(stop)" }
    else if let node = run.failedNode { text += ": step \(node) failed" }
    else if run.status == .canceled, let reason = run.terminalReason { text += ": \(reason)" }
    text += "; attempts=\(timeline.entries.count) tokens=\(run.usage.tokens) dollars=\(Money.text(run.usage.dollars)) saved_dollars=\(Money.text(run.saved.dollars))"
    return text
  }

  static func summaryJSON(_ run: WorkflowRun, _ timeline: RunTimeline, status: String) -> JSONValue {
    var m: [(String, JSONValue)] = [("run_id", .string(run.runID)), ("status", .string(status))]
    if let s = timeline.start, let e = run.endedAt ?? (run.status.isTerminal ? timeline.end : nil) {
      m.append(("duration_ms", .int((e.nanoseconds - s.nanoseconds) / 1_000_000)))
    }
    if let stop = timeline.budgetStop { m.append(("budget_exceeded", .string(stop))) }
    if let node = run.failedNode { m.append(("failed_node", .string(node))) }
    m += [
      ("attempts", .int(timeline.entries.count)), ("tokens", .int(run.usage.tokens)), ("dollars", .number(Money.text(run.usage.dollars))),
      ("saved_dollars", .number(Money.text(run.saved.dollars))),
    ]
    return .object(m)
  }

  // MARK: - A terminal

  /// The table for a person: aligned, times from the run's start, and a bar per attempt on
  /// one time axis (`TimelineBar`), so overlaps, gaps and retries show at a glance.
  static func terminal(_ run: WorkflowRun, _ timeline: RunTimeline, status: String, now: WALTimestamp, barWidth: Int = 40) -> String {
    guard let start = timeline.start else { return summary(run, timeline, status: status) + "\n" }
    let end = run.status.isTerminal ? max(start, timeline.end ?? start) : max(now, timeline.end ?? now)
    let bar = TimelineBar(start: start, end: end, width: barWidth)
    var table = TableRenderer(["START", "STEP", "ATT", "STATUS", "DURATION", "TOKENS", "DOLLARS", "|" + String(repeating: " ", count: barWidth) + "|", "DETAIL"])
    for e in timeline.entries {
      let begin = e.startedAt ?? start
      table.add([
        "+" + RunRendering.shortDuration(nanoseconds: begin.nanoseconds - start.nanoseconds), e.nodeID, String(e.attempt), e.outcome.rawValue,
        e.duration.map { RunRendering.shortDuration(nanoseconds: $0) } ?? "-", String(e.usage.tokens), Money.text(e.usage.dollars),
        "|" + bar.draw(from: begin, to: e.endedAt, glyph: TimelineBar.glyph(e.outcome)) + "|", RunRendering.cut(e.detail, over: 80),
      ])
    }
    let legend = "\(TimelineBar.glyph(.succeeded)) succeeded  \(TimelineBar.glyph(.failed)) failed  \(TimelineBar.glyph(.canceled)) canceled/interrupted/delayed  "
      + "\(TimelineBar.glyph(.running)) running  \(TimelineBar.glyph(.reused)) reused; axis "
      + RunRendering.shortDuration(nanoseconds: end.nanoseconds - start.nanoseconds)
    return table.render() + legend + "\n" + summary(run, timeline, status: status) + "\n"
  }
}
