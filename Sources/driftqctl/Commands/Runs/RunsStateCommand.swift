import ReplayEngine
import WALFormat

/// `runs state`: DriftQ's `/debug/run-state` document, pretty-printed.
struct RunsStateCommand: RunReadCommand {
  static let spec = CommandSpec(["runs", "state"], abstract: "Print the run's full state as JSON: run, nodes, events, timers.", options: [.runID, AsOf.option])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let at: LogPosition?


  func run(in context: CommandContext) throws -> ExitStatus {
    let (run, directory) = try RunsSupport.load(runID, globals: globals, context: context, asOf: at)
    let state = RunRendering.state(run, directory: directory)
    context.print(.object(state) { JSONWriter.encodePretty(state) + "\n" }, as: globals.output)
    return .success
  }
}
