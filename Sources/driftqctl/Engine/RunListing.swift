import ReplayEngine
import WALFormat

/// Which runs `runs list` asks for: those matching every filter, newest first, a page of at
/// most `limit` after the run `after`. The same filter and paging serve a directory and
/// `serve` (`/debug/runs` with driftqctl's `runs-list` extension), so the two agree.
struct RunListQuery {
  /// DriftQ's `/debug/runs` answers at most this many ids; a longer page is asked for in parts.
  static let serverPage = 500

  var limit: Int
  var after: String?
  /// A status as `runs status` shows it (`interrupted` included).
  var status: String?
  /// Runs that started (or, not started yet, were created) at or after this time.
  var since: WALTimestamp?
  var workflow: String?
  /// Whether more than ids is wanted: against a server without the extension that costs one
  /// request per run, so it is asked for only when shown or filtered on.
  var details: Bool

  var isFiltered: Bool { status != nil || since != nil || workflow != nil }

  func matches(_ summary: RunSummary) -> Bool {
    if let status, summary.status != status { return false }
    if let workflow, summary.workflowID != workflow { return false }
    if let since, (summary.startedAt ?? summary.createdAt).map({ $0 < since }) ?? true { return false }
    return true
  }

  /// The page of `summaries` (newest first, read lazily: a page need not look at every
  /// run): exit 4 when `after` names no run.
  func page<Runs: Sequence<RunSummary>>(_ summaries: Runs) throws -> RunListPage {
    var page = RunListPage()
    var skipping = after != nil
    for summary in summaries {
      if skipping {
        skipping = summary.runID != after
        continue
      }
      guard matches(summary) else { continue }
      if page.runs.count == limit {
        page.nextAfter = page.runs.last?.runID
        break
      }
      page.runs.append(summary)
    }
    if skipping, let after { throw CommandFailure(.notFound, "run not found: \(after) (--after)") }
    return page
  }

  /// The query parameters of driftqctl's `/debug/runs` extension for a part of `count` runs.
  func parameters(count: Int, after: String?) -> [(String, String)] {
    var query = [("limit", String(count)), ("detail", "true")]
    if let after { query.append(("after", after)) }
    if let status { query.append(("status", status)) }
    if let since { query.append(("since_ns", String(since.nanoseconds))) }
    if let workflow { query.append(("workflow", workflow)) }
    return query
  }
}

/// A page of runs, and the run to list after for the next one (nil: that was all).
struct RunListPage {
  var runs: [RunSummary] = []
  var nextAfter: String?
}

/// A run as `runs list` shows it. Over a server without driftqctl's extension only `runID`
/// may be known.
struct RunSummary {
  var runID: String
  var workflowID: String?
  var status: String?
  var createdAt: WALTimestamp?
  var startedAt: WALTimestamp?
  var endedAt: WALTimestamp?
  var usage: Usage?
  var saved: Usage?
  var attempts: Int?
  /// Replays work in place, on the same run id: how many, and the latest one's mode.
  var replays: Int?
  var lastReplayMode: String?

  init(runID: String) { self.runID = runID }

  init(_ run: WorkflowRun, status: String) {
    runID = run.runID
    workflowID = run.workflowID
    self.status = status
    createdAt = run.createdAt
    startedAt = run.startedAt
    endedAt = run.endedAt
    usage = run.usage
    saved = run.saved
    attempts = run.attempts
    replays = run.replays.count
    lastReplayMode = run.replays.last?.mode
  }

  /// How long it ran, first start to end (an unfinished run has no duration yet).
  var duration: Int64? {
    guard let s = startedAt, let e = endedAt else { return nil }
    return e.nanoseconds - s.nanoseconds
  }

  /// The JSON both faces print and `serve` sends (times as RFC 3339, as DriftQ's runs have).
  var json: JSONValue {
    var m: [(String, JSONValue)] = [("run_id", .string(runID))]
    if let workflowID { m.append(("workflow_id", .string(workflowID))) }
    if let status { m.append(("status", .string(status))) }
    for (key, time) in [("created_at", createdAt), ("started_at", startedAt), ("ended_at", endedAt)] {
      if let time { m.append((key, .string(RFC3339.format(time)))) }
    }
    if let duration { m.append(("duration_ms", .int(duration / 1_000_000))) }
    if let usage { m += [("tokens", .int(usage.tokens)), ("dollars", .number(Money.text(usage.dollars)))] }
    if let saved { m.append(("saved_dollars", .number(Money.text(saved.dollars)))) }
    if let attempts { m.append(("attempts", .int(attempts))) }
    if let replays { m.append(("replays", .int(replays))) }
    if let lastReplayMode { m.append(("last_replay_mode", .string(lastReplayMode))) }
    return .object(m)
  }

  init?(json: JSONValue) {
    guard let id = json["run_id"]?.stringValue else { return nil }
    runID = id
    workflowID = json["workflow_id"]?.stringValue
    status = json["status"]?.stringValue
    createdAt = json["created_at"]?.stringValue.flatMap(RFC3339.parse)
    startedAt = json["started_at"]?.stringValue.flatMap(RFC3339.parse)
    endedAt = json["ended_at"]?.stringValue.flatMap(RFC3339.parse)
    if json["dollars"] != nil {
      // Tokens travel summed: the split is not shown by `runs list`.
      usage = Usage(tokensIn: json["tokens"]?.int64Value ?? 0, tokensOut: 0, dollars: json["dollars"]?.doubleValue ?? 0)
    }
    if let saved = json["saved_dollars"]?.doubleValue { self.saved = Usage(dollars: saved) }
    attempts = json["attempts"]?.int64Value.map { Int($0) }
    replays = json["replays"]?.int64Value.map { Int($0) }
    lastReplayMode = json["last_replay_mode"]?.stringValue
  }
}
