import ReplayEngine
import WALFormat

/// `runs list`: run ids newest first, as DriftQ's `/debug/runs` and the Go tool print them;
/// `--long` adds status, start, duration, cost and replays; filters and paging find the run
/// among thousands.
struct RunsListCommand: Command {
  static let limit = OptionSpec("limit", placeholder: "N", help: "At most N runs (a page; --after continues it).", default: "50")
  static let after = OptionSpec("after", placeholder: "RUN_ID", help: "The next page: runs listed after this one.")
  static let status = OptionSpec(
    "status", placeholder: "STATUS", help: "Only runs with this status (queued, running, waiting, interrupted, succeeded, failed, canceled).")
  static let since = OptionSpec("since", placeholder: "DURATION|TIME", help: "Only runs started at or after this time (2h: two hours ago; or RFC 3339).")
  static let workflow = OptionSpec("workflow", placeholder: "ID", help: "Only runs of this workflow id.")
  static let long = OptionSpec.flag("long", short: "l", help: "A table: status, started, duration, tokens, dollars, saved, replays.")

  static let spec = CommandSpec(
    ["runs", "list"], abstract: "List runs newest first: ids (or (no runs)), or a table with --long.",
    discussion: """
      Newest first: by end, else start. Without --long, one id per line, as the Go tool prints them.
      When more runs match than --limit, standard error names the next page's --after. Replays work in
      place, so a replayed run is listed once; REPLAYS counts them and names the latest one's mode.
      Over HTTP, driftqctl serve filters and pages; DriftQ-Core lists only its newest 500 runs, and
      its runs' details are read one request per run.
      """,
    options: [limit, after, status, since, workflow, long, AsOf.option],
    examples: ["driftqctl runs list --long --status failed --since 24h", "driftqctl runs list --limit 500 --after ai-news-20261121T160000.000000000Z"])

  static let statuses: Set<String> = ["queued", "running", "waiting", "interrupted", "succeeded", "failed", "canceled"]

  static let worksRemotely = true
  let globals: GlobalOptions
  let query: RunListQuery
  let sinceText: String?
  let long: Bool
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    let count = Int(try args.integer(Self.limit, in: 1...1_000_000) ?? 50)
    let wanted = args.value(Self.status)
    if let wanted, !Self.statuses.contains(wanted) {
      throw UsageError("invalid value \"\(wanted)\" for --status: expected one of \(Self.statuses.sorted().joined(separator: ", "))", command: Self.spec.path)
    }
    sinceText = args.value(Self.since)
    if let sinceText, ValueParsers.pastTime(sinceText, now: .now()) == nil {
      throw UsageError("invalid value \"\(sinceText)\" for --since: expected a duration (2h, 30m) or an RFC 3339 time", command: Self.spec.path)
    }
    let workflowID = args.value(Self.workflow)
    long = args.flag(Self.long)
    query = RunListQuery(
      limit: count, after: args.value(Self.after), status: wanted, since: nil, workflow: workflowID,
      details: long || wanted != nil || workflowID != nil || sinceText != nil)
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    var query = self.query
    query.since = sinceText.flatMap { ValueParsers.pastTime($0, now: context.clock()) }
    let page = try RunsFace.open(globals, context, asOf: at).list(query)
    if let next = page.nextAfter { context.note("more runs match: the next page is 'driftqctl runs list --after \(next)' with the same filters") }
    context.print(Self.answer(page, long: long), as: globals.output)
    return .success
  }

  static func answer(_ page: RunListPage, long: Bool) -> Answer {
    let runs = page.runs
    var members: [(String, JSONValue)] = [("ok", .bool(true)), ("count", .int(runs.count)), ("runs", .array(runs.map { .string($0.runID) }))]
    members.append(("rows", .array(runs.map(\.json))))
    if let next = page.nextAfter { members.append(("next_after", .string(next))) }
    return Answer(document: .object(members), lines: runs.map(\.json)) {
      if runs.isEmpty { return "(no runs)\n" }
      return long ? table(runs) : Answer.lines(runs.map(\.runID))
    }
  }

  /// `--long`: one aligned row per run (`-` where the face does not say).
  static func table(_ runs: [RunSummary]) -> String {
    var table = TableRenderer(["RUN_ID", "STATUS", "WORKFLOW", "STARTED", "DURATION", "TOKENS", "DOLLARS", "SAVED", "REPLAYS"])
    for r in runs {
      let replays = r.replays.map { n in n == 0 ? "-" : "\(n) (last: \(r.lastReplayMode ?? "?"))" } ?? "-"
      table.add([
        r.runID, r.status ?? "-", r.workflowID ?? "-", RunRendering.short(r.startedAt),
        r.duration.map { RunRendering.shortDuration(nanoseconds: $0) } ?? "-", r.usage.map { String($0.tokens) } ?? "-",
        r.usage.map { Money.text($0.dollars) } ?? "-", r.saved.map { Money.text($0.dollars) } ?? "-", replays,
      ])
    }
    return table.render()
  }
}
