#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// `runs timeline`: every attempt of every step in the order they began — how it ended
/// (succeeded, reused, failed and why, retried, interrupted, canceled by a budget or a
/// cancel), how long it took and what it cost; `--follow` streams a run until it ends.
struct RunsTimelineCommand: Command {
  static let follow = OptionSpec.flag("follow", help: "Print attempts as they start and end, until the run ends; exit 0 if it succeeded, 1 if not.")

  static let spec = CommandSpec(
    ["runs", "timeline"], abstract: "Every attempt of a run in time order: status, duration, tokens, dollars and why.",
    discussion: """
      Columns (tab-separated): the Go tool's attempt step cached cache_attempt queue_ms worker_ms queued_at
      started_at ended_at, then status (succeeded, reused, failed, interrupted, delayed, canceled, running,
      waiting), duration, tokens, dollars and detail (the error, "retried as attempt N after 200ms", a budget
      stop, the attempt a reused output came from). A last line sums the run up. On a terminal (never in a
      pipe or file) the table is aligned and a bar column draws every attempt on one time axis.
      With --follow an attempt is printed when it starts (status running) and again when it ends; the
      command ends when the run does and exits with its outcome (0 succeeded, 1 failed or canceled).
      """,
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
    guard !run.events.isEmpty else { throw CommandFailure(.notFound, "runs timeline: no events available for run \(GoQuote.quote(runID))") }
    guard following else {
      context.print(Self.answer(run, status: RunRendering.displayStatus(run, directory: runs.directory), now: context.clock()), as: globals.output)
      return .success
    }
    // -o json: one {"rows":[...],"run":{...}}, each row written as it happens.
    var rows = AnswerStream("rows", format: globals.output, out: context.stdout)
    return try rows.finishing(extra: { [("run", $0.summary)] }) { rows in
      try follow(run, runs, context, into: &rows)
    }.status
  }

  /// The whole timeline as one answer (an aligned table with bars on a terminal).
  static func answer(_ run: WorkflowRun, status: String, now: WALTimestamp) -> Answer {
    let timeline = RunTimeline(run)
    let rows = timeline.entries.map(TimelineRendering.json)
    let document = JSONValue.object([("rows", .array(rows)), ("run", TimelineRendering.summaryJSON(run, timeline, status: status))])
    return Answer(document: document, lines: rows) {
      Answer.lines([TimelineRendering.header] + timeline.entries.map(TimelineRendering.text) + [TimelineRendering.summary(run, timeline, status: status)])
    }.onTerminal { TimelineRendering.terminal(run, timeline, status: status, now: now) }
  }

  /// Prints each attempt when it is first seen and again when it ends, until the run ends;
  /// returns the run's outcome as an exit status.
  private func follow(
    _ first: WorkflowRun, _ runs: any Runs, _ context: CommandContext, into rows: inout AnswerStream
  ) throws -> (status: ExitStatus, summary: JSONValue) {
    rows.text(TimelineRendering.header)
    var run = first
    var shown: [String: AttemptOutcome] = [:]
    while true {
      let timeline = RunTimeline(run)
      for e in timeline.entries {
        let key = "\(e.nodeID)\u{0}\(e.attempt)"
        if let before = shown[key], before == e.outcome || before.isFinal { continue }
        shown[key] = e.outcome
        rows.row(TimelineRendering.json(e), text: TimelineRendering.text(e))
      }
      context.stdout.flush()
      let status = RunRendering.displayStatus(run, directory: runs.directory)
      if run.status.isTerminal || context.stdout.isBroken {
        rows.text(TimelineRendering.summary(run, timeline, status: status))
        return (run.status == .succeeded ? .success : .failure, TimelineRendering.summaryJSON(run, timeline, status: status))
      }
      let (latest, interrupted) = try runs.next(after: run)
      if interrupted {
        rows.text(TimelineRendering.summary(run, timeline, status: "interrupted"))
        context.note("run \(runID) is interrupted (no process is executing it); 'driftqctl runs resume --run-id \(runID)' finishes it")
        return (.failure, TimelineRendering.summaryJSON(run, timeline, status: "interrupted"))
      }
      run = latest
    }
  }
}
