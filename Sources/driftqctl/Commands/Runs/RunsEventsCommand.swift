import ReplayEngine
import WALFormat

/// `runs events`: the run's event log.
struct RunsEventsCommand: RunReadCommand {
  static let spec = CommandSpec(["runs", "events"], abstract: "Show the run's events (TIME NODE ATT EVENT DETAIL), or (no events).", options: [.runID, AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let at: LogPosition?


  func run(in context: CommandContext) throws -> ExitStatus {
    let run = try RunsSupport.load(runID, globals: globals, context: context, asOf: at).run
    context.print(
      .list("events", run.events.map { RunRendering.event($0, run: run) }) {
        if run.events.isEmpty { return "(no events)\n" }
        return Answer.lines(["TIME\tNODE\tATT\tEVENT\tDETAIL"] + run.events.map { e in
          let detail = e.event.payload.map { RunRendering.cut(JSONWriter.encode($0), over: 140) } ?? ""
          return "\(RFC3339.format(e.at))\t\(e.event.nodeID ?? "")\t\(e.event.attempt.map(String.init) ?? "")\t\(e.event.type)\t\(detail)"
        })
      }, as: globals.output)
    return .success
  }
}
