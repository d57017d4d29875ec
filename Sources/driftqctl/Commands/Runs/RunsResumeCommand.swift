import ReplayEngine
import WALFormat

/// `runs resume`: finishes an interrupted (or waiting) run without re-running finished steps.
struct RunsResumeCommand: RunIDCommand {
  static let spec = CommandSpec(
    ["runs", "resume"], abstract: "Finish an interrupted run; steps that succeeded are not run again.",
    discussion: "Steps that were running when the run's process stopped are recorded as interrupted (this does not\nuse up a retry) and run again; due timers fire. Exit 5 if another process is executing the run.",
    options: [.runID])

  let globals: GlobalOptions
  let runID: String


  func run(in context: CommandContext) throws -> ExitStatus {
    let backend = try LocalBackend.open(globals, context: context)
    _ = try RunsSupport.run(runID, in: backend)
    let (run, status) = try RunsSupport.execute(backend, runID: runID, context: context)
    RunsSupport.printStarted(runID, context, format: globals.output, status: run.status.rawValue)
    return status
  }
}
