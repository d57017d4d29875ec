#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// `runs timeline`: the Go tool's node_finished table; `--follow` streams a run as it goes.
struct RunsTimelineCommand: Command {
  static let follow = OptionSpec.flag("follow", help: "Keep printing rows as the run progresses, until it ends.")
  static let header = "attempt\tstep\tcached\tcache_attempt\tqueue_ms\tworker_ms\tqueued_at\tstarted_at\tended_at"

  static let spec = CommandSpec(
    ["runs", "timeline"], abstract: "The Go tool's timeline of finished steps; cached is true when an output was reused.",
    discussion: "Rows are sorted by attempt, then step. With --follow, rows are printed as steps finish, in order,\nuntil the run ends.",
    options: [.runID, follow, AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let following: Bool
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    following = args.flag(Self.follow)
    at = try AsOf.parse(&args, command: Self.spec.path)
    if following && at != nil { throw UsageError("--follow watches the log grow; --at looks at its past: give one", command: Self.spec.path) }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let runs = try RunsFace.open(globals, context, asOf: at)
    let run = try runs.run(runID)
    // -o json: one {"rows":[...]}, each row written as its step finishes.
    var rows = AnswerStream("rows", format: globals.output, out: context.stdout)
    return try rows.finishing { rows in
      guard following else { return try printAll(run, into: &rows) }
      return try follow(run, context, into: &rows) { try runs.next(after: $0) }
    }
  }

  private func printAll(_ run: WorkflowRun, into rows: inout AnswerStream) throws -> ExitStatus {
    let finished = run.events.filter { $0.event.type == RunEventType.nodeFinished }
    guard !run.events.isEmpty else { throw CommandFailure(.notFound, "runs timeline: no events available for run \(GoQuote.quote(runID))") }
    guard !finished.isEmpty else { throw CommandFailure(.notFound, "runs timeline: couldn't find node_finished events for run \(GoQuote.quote(runID))") }
    let sorted = finished.sorted { a, b in
      let (x, y) = (a.event.attempt ?? 0, b.event.attempt ?? 0)
      return x != y ? x < y : (a.event.nodeID ?? "") < (b.event.nodeID ?? "")
    }
    rows.text(Self.header)
    for e in sorted { rows.row(json(e), text: text(e)) }
    return .success
  }

  /// Prints each new node_finished as it is written, until the run ends; `next` waits for a
  /// change and returns the run again (or says no process is executing it).
  private func follow(
    _ first: WorkflowRun, _ context: CommandContext, into rows: inout AnswerStream, next: (WorkflowRun) throws -> (WorkflowRun, interrupted: Bool)
  ) throws -> ExitStatus {
    rows.text(Self.header)
    var run = first
    var printed = 0
    while true {
      let finished = run.events.filter { $0.event.type == RunEventType.nodeFinished }
      for e in finished.dropFirst(printed) { rows.row(json(e), text: text(e)) }
      printed = finished.count
      context.stdout.flush()
      if run.status.isTerminal || context.stdout.isBroken { return .success }
      let (latest, interrupted) = try next(run)
      if interrupted {
        context.note("run \(runID) is interrupted (no process is executing it); 'driftqctl runs resume --run-id \(runID)' finishes it")
        return .success
      }
      run = latest
    }
  }

  /// A node_finished row as the Go tool printed it (times cut to 19 characters).
  private func text(_ e: RunEventRecord) -> String {
    let p = e.event.payload
    func time(_ key: String) -> String { p?[key]?.stringValue.map { String($0.prefix(19)) } ?? "-" }
    let cached = p?["used_cached_output"] == .bool(true)
    return "\(e.event.attempt ?? 0)\t\(e.event.nodeID ?? "")\t\(cached)\t\(p?["cached_attempt"]?.int64Value ?? 0)\t\(p?["queue_ms"]?.int64Value ?? 0)\t"
      + "\(p?["worker_ms"]?.int64Value ?? 0)\t\(time("queued_at"))\t\(time("started_at"))\t\(time("ended_at"))"
  }

  private func json(_ e: RunEventRecord) -> JSONValue {
    let p = e.event.payload
    return .object([
      ("attempt", .int(e.event.attempt ?? 0)), ("step", .string(e.event.nodeID ?? "")), ("cached", .bool(p?["used_cached_output"] == .bool(true))),
      ("cache_attempt", .int(p?["cached_attempt"]?.int64Value ?? 0)), ("queue_ms", .int(p?["queue_ms"]?.int64Value ?? 0)),
      ("worker_ms", .int(p?["worker_ms"]?.int64Value ?? 0)), ("started_at", p?["started_at"] ?? .null), ("ended_at", p?["ended_at"] ?? .null),
    ])
  }
}
