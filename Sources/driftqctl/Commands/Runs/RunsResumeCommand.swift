import ReplayEngine
import WALFormat

/// `runs resume`: finishes an interrupted (or waiting) run without re-running finished steps.
struct RunsResumeCommand: RunIDCommand {
  static let spec = CommandSpec(
    ["runs", "resume"], abstract: "Finish an interrupted run; steps that succeeded are not run again.",
    discussion: "Steps that were running when the run's process stopped are recorded as interrupted (this does not\nuse up a retry) and run again; due timers fire. Exit 5 if another process is executing the run.",
    options: [.runID])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String

  func run(in context: CommandContext) throws -> ExitStatus {
    let (run, status) = try RunsFace.open(globals, context).resume(runID)
    context.print(RunsSupport.started(runID, status: run.status.rawValue), as: globals.output)
    return status
  }
}
