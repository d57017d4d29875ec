import ReplayEngine
import WALFormat

/// `runs report`: one self-contained HTML page about a run, to attach to an incident: its
/// summary, DAG and timeline as inline SVG, every attempt, and what replays reused and saved.
struct RunsReportCommand: Command {
  static let spec = CommandSpec(
    ["runs", "report"], abstract: "Write one self-contained HTML page about a run: DAG, timeline, attempts, cost, what replays saved.",
    discussion: """
      The page has no scripts and fetches nothing (styles and the two SVG figures are inline), so it opens
      anywhere and can be mailed or attached as is. Redirect it to a file. -o json gives the same facts as
      one document: the run's summary, its graph, every attempt and each replay's spending and savings.
      """,
    options: [.runID, AsOf.option],
    examples: ["driftqctl runs report --run-id ai-news-20261121T160000.000000000Z > run.html"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let runs = try RunsFace.open(globals, context, asOf: at)
    let run = try runs.run(runID)
    let page = RunReportPage(run: run, status: RunRendering.displayStatus(run, directory: runs.directory), now: context.clock())
    context.print(Answer.object(Self.document(page)) { page.html() }, as: globals.output)
    return .success
  }

  /// The report's facts as JSON.
  static func document(_ page: RunReportPage) -> JSONValue {
    let timeline = RunTimeline(page.run)
    let savings = ReplaySavings(page.run, timeline: timeline)
    return .object([
      ("run", TimelineRendering.summaryJSON(page.run, timeline, status: page.status)),
      ("graph", GraphRendering.json(RunGraph(page.run))),
      ("rows", .array(timeline.entries.map(TimelineRendering.json))),
      ("executions", .array(savings.executions.enumerated().map { index, execution in
        var m: [(String, JSONValue)] = [("replay", .int(index))]
        if let plan = execution.plan {
          m += [("mode", .string(plan.mode)), ("at", .string(RFC3339.format(plan.at)))]
          if let from = plan.fromStep { m.append(("from_step", .string(from))) }
        }
        m += [
          ("ran", .array(execution.ran.map { .string($0) })), ("reused", .array(execution.reused.map { .string($0) })),
          ("dollars", .number(Money.text(execution.spent.dollars))), ("saved_dollars", .number(Money.text(execution.saved.dollars))),
          ("full_rerun_dollars", .number(Money.text(execution.fullCost))),
        ]
        return .object(m)
      })),
    ])
  }
}
