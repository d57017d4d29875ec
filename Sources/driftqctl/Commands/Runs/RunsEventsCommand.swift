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
    switch globals.output {
    case .text:
      if run.events.isEmpty { context.stdout.line("(no events)"); return .success }
      context.stdout.line("TIME\tNODE\tATT\tEVENT\tDETAIL")
      for e in run.events {
        let detail = e.event.payload.map { RunRendering.cut(JSONWriter.encode($0), over: 140) } ?? ""
        context.stdout.line("\(RFC3339.format(e.at))\t\(e.event.nodeID ?? "")\t\(e.event.attempt.map(String.init) ?? "")\t\(e.event.type)\t\(detail)")
      }
    case .json:
      context.stdout.line(JSONWriter.encode(.array(run.events.map { RunRendering.event($0, run: run) })))
    case .ndjson:
      for e in run.events { context.stdout.line(JSONWriter.encode(RunRendering.event(e, run: run))) }
    }
    return .success
  }
}
