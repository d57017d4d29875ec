import ReplayEngine
import WALFormat

/// `runs report`'s page: one self-contained HTML file (styles inline, no scripts, nothing
/// fetched) that an operator attaches to an incident. It holds the run's summary, its DAG
/// and timeline as inline SVG, what each replay ran, reused and saved, and every attempt.
struct RunReportPage {
  var run: WorkflowRun
  var status: String
  /// When the report is made: the end of the axis for a run still going, and the footer.
  var now: WALTimestamp

  func html() -> String {
    let e = HTMLEscaping.escape
    let timeline = RunTimeline(run)
    let graph = RunGraph(run)
    let savings = ReplaySavings(run, timeline: timeline)
    var page = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>Run \(e(run.runID)) (\(e(status))) · driftqctl report</title>
      <style>\(Self.style)</style>
      </head>
      <body>
      <header>
      <h1>Run <code>\(e(run.runID))</code> <span class="badge \(e(Self.statusClass(status)))">\(e(status))</span></h1>
      <p>Workflow <code>\(e(run.workflowID))</code>\(started)</p>
      </header>

      """
    page += cards(timeline)
    page += "<section><h2>Workflow</h2>\n<div class=\"figure\">\(DAGDiagram.svg(graph))</div>\n\(legend)</section>\n"
    page += "<section><h2>Timeline</h2>\n<p class=\"note\">Every attempt in the order it began, on one time axis; hover a bar for its detail.</p>\n"
    page += "<div class=\"figure\">\(TimelineDiagram.svg(timeline, now: now))</div>\n</section>\n"
    page += replays(savings)
    page += steps(timeline)
    page += "<footer>Made by driftqctl at \(e(RFC3339.format(now))) from the run's events"
    page += "; \(run.events.count) events, \(timeline.entries.count) attempts.</footer>\n</body>\n</html>\n"
    return page
  }

  private var started: String {
    guard let s = run.startedAt else { return ", not started" }
    return ", started \(HTMLEscaping.escape(RFC3339.format(s)))" + (run.endedAt.map { ", ended \(HTMLEscaping.escape(RFC3339.format($0)))" } ?? "")
  }

  private func cards(_ timeline: RunTimeline) -> String {
    let e = HTMLEscaping.escape
    var duration = "–"
    if let s = timeline.start, let end = run.endedAt ?? (run.status.isTerminal ? timeline.end : nil) {
      duration = RunRendering.shortDuration(nanoseconds: end.nanoseconds - s.nanoseconds)
    }
    var items: [(String, String)] = [
      ("Status", status), ("Duration", duration), ("Attempts", String(timeline.entries.count)),
      ("Tokens", String(run.usage.tokens)), ("Spent", "$" + Money.text(run.usage.dollars)),
      ("Saved by reuse", "$" + Money.text(run.saved.dollars)), ("Replays", String(run.replays.count)),
    ]
    if let stop = timeline.budgetStop { items.append(("Budget", "exceeded: " + stop)) }
    if let node = run.failedNode { items.append(("Failed step", node)) }
    let body = items.map { "<div class=\"card\"><div class=\"label\">\(e($0.0))</div><div class=\"value\">\(e($0.1))</div></div>" }.joined(separator: "\n")
    return "<section class=\"cards\">\n\(body)\n</section>\n"
  }

  private var legend: String {
    let items: [(AttemptOutcome?, String)] = [(.succeeded, "ran, succeeded"), (.reused, "reused"), (.failed, "failed"), (.running, "running"), (.canceled, "canceled"), (nil, "not run")]
    return "<p class=\"legend\">" + items.map { outcome, words in
      let look = GraphRendering.look(outcome)
      return "<span><i style=\"background:\(look.fill);border-color:\(look.stroke)\"></i>\(words)</span>"
    }.joined(separator: " ") + "</p>\n"
  }

  private func replays(_ savings: ReplaySavings) -> String {
    let e = HTMLEscaping.escape
    guard savings.executions.count > 1 else { return "<section><h2>Replays</h2>\n<p>The run was not replayed.</p>\n</section>\n" }
    var out = "<section><h2>Replays</h2>\n"
    if let latest = savings.executions.last, latest.fullCost > 0 {
      let share = Int((latest.saved.dollars / latest.fullCost * 100).rounded())
      out += "<p class=\"headline\">The latest replay spent <b>$\(Money.text(latest.spent.dollars))</b> and reused \(latest.reused.count) "
        + "output\(latest.reused.count == 1 ? "" : "s") that had cost $\(Money.text(latest.saved.dollars)): running everything again would have cost "
        + "$\(Money.text(latest.fullCost)), so it saved <b>\(share)%</b>. Across all replays reuse saved <b>$\(Money.text(run.saved.dollars))</b>.</p>\n"
    }
    out += "<table>\n<thead><tr><th>#</th><th>When</th><th>Mode</th><th>From step</th><th>Ran</th><th>Reused</th><th>Spent</th><th>Saved</th></tr></thead>\n<tbody>\n"
    for (index, execution) in savings.executions.enumerated() {
      let when = execution.plan.map { RFC3339.format($0.at) } ?? run.startedAt.map(RFC3339.format) ?? "–"
      let mode = execution.plan.map { $0.mode } ?? "first run"
      out += "<tr><td>\(index)</td><td>\(e(when))</td><td>\(e(mode))</td><td>\(e(execution.plan?.fromStep ?? "–"))</td>"
        + "<td>\(e(execution.ran.joined(separator: ", ")))</td><td>\(e(execution.reused.joined(separator: ", ")))</td>"
        + "<td class=\"num\">$\(Money.text(execution.spent.dollars))</td><td class=\"num\">$\(Money.text(execution.saved.dollars))</td></tr>\n"
    }
    return out + "</tbody>\n</table>\n</section>\n"
  }

  private func steps(_ timeline: RunTimeline) -> String {
    let e = HTMLEscaping.escape
    let start = timeline.start
    var out = "<section><h2>Steps</h2>\n<table>\n<thead><tr><th>Step</th><th>Attempt</th><th>Status</th><th>Started</th><th>Duration</th>"
      + "<th>Tokens</th><th>Dollars</th><th>Detail</th></tr></thead>\n<tbody>\n"
    for node in run.spec.topologicalOrder {
      let entries = timeline.entries.filter { $0.nodeID == node.id }
      if entries.isEmpty {
        out += "<tr><td><code>\(e(node.id))</code></td><td>–</td><td><span class=\"badge notrun\">not run</span></td><td></td><td></td><td></td><td></td><td></td></tr>\n"
      }
      for entry in entries {
        var offset = "–"
        if let began = entry.startedAt, let start { offset = "+" + RunRendering.shortDuration(nanoseconds: began.nanoseconds - start.nanoseconds) }
        let duration = entry.duration.map { RunRendering.shortDuration(nanoseconds: $0) } ?? "–"
        out += "<tr\(entry.superseded ? " class=\"old\"" : "")><td><code>\(e(node.id))</code></td><td class=\"num\">\(entry.attempt)</td>"
          + "<td><span class=\"badge \(e(Self.statusClass(entry.outcome.rawValue)))\">\(e(entry.outcome.rawValue))</span></td>"
          + "<td class=\"num\">\(e(offset))</td><td class=\"num\">\(e(duration))</td><td class=\"num\">\(entry.usage.tokens)</td>"
          + "<td class=\"num\">$\(Money.text(entry.usage.dollars))</td><td>\(e(entry.detail))</td></tr>\n"
      }
    }
    return out + "</tbody>\n</table>\n<p class=\"note\">Greyed rows are attempts from before the run's latest replay.</p>\n</section>\n"
  }

  /// The badge class of a status (`notrun` for anything unknown).
  static func statusClass(_ status: String) -> String {
    switch status {
    case "succeeded", "reused", "failed", "running", "waiting", "canceled", "interrupted", "delayed", "queued": status
    default: "notrun"
    }
  }

  static let style = """
    body{font:14px/1.45 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#111827;margin:24px auto;max-width:1100px;padding:0 16px;background:#fff}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
    code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.95em}header p{margin:0;color:#4b5563}
    .cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:16px}.card{border:1px solid #e5e7eb;border-radius:8px;padding:8px 12px;min-width:120px}
    .card .label{font-size:12px;color:#6b7280}.card .value{font-size:17px;font-weight:600}
    .figure{overflow-x:auto;border:1px solid #f3f4f6;border-radius:8px;padding:6px}
    svg text{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;font-size:12px}svg text.step{font-weight:600;font-size:13px}
    svg text.tick{fill:#6b7280;font-size:11px}svg text.row{fill:#111827}
    table{border-collapse:collapse;width:100%;font-size:13px}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #f3f4f6;vertical-align:top}
    th{color:#4b5563;font-weight:600}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}tr.old td{color:#9ca3af}
    .badge{display:inline-block;border-radius:10px;padding:0 8px;font-size:12px;font-weight:600;background:#f3f4f6;color:#374151}
    .badge.succeeded{background:#dcfce7;color:#14532d}.badge.reused{background:#e0f2fe;color:#0c4a6e}
    .badge.failed,.badge.interrupted{background:#fee2e2;color:#7f1d1d}.badge.running,.badge.waiting,.badge.queued{background:#fef9c3;color:#713f12}
    .legend span{margin-right:14px;font-size:12px;color:#4b5563}.legend i{display:inline-block;width:12px;height:12px;border:1px solid;border-radius:3px;margin-right:4px;vertical-align:-2px}
    .note{color:#6b7280;font-size:12px}.headline{font-size:15px}footer{margin:32px 0 8px;color:#9ca3af;font-size:12px}
    """
}
