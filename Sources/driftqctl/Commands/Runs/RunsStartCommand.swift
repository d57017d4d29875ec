import ReplayEngine
import WALFormat

/// `runs start`: creates a run from a workflow spec and runs it (here, or detached).
struct RunsStartCommand: Command {
  static let workflow = OptionSpec("workflow", placeholder: "FILE", help: "The workflow spec (JSON).", required: true)
  static let input = OptionSpec("input", placeholder: "JSON", help: "The run input (root nodes get it).", default: "{}")
  static let runIDOption = OptionSpec("run-id", placeholder: "ID", help: "The run's id.", default: "spec-<UTC time>")
  static let detach = OptionSpec.flag("detach", help: "Run in a background process; print the run id and return.")

  static let spec = CommandSpec(
    ["runs", "start"], abstract: "Run a workflow spec (a DAG of built-in handlers and commands) to its end.",
    discussion: """
      The spec and input are stored with the run, so it can be replayed after any restart. Exit 0
      when the run succeeds, 1 when it fails or is canceled (the reason on stderr). A killed run is
      shown as interrupted; 'driftqctl runs resume' finishes it without re-running finished steps.
      The spec format is under WORKFLOW SPECS in driftqctl(1).
      """,
    options: [workflow, input, runIDOption, detach],
    examples: ["driftqctl runs start --workflow pipeline.json --input '{\"url\":\"https://example.com\"}'"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let specPath: String
  let inputText: String?
  let requestedID: String?
  let detached: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    specPath = try args.required(Self.workflow)
    inputText = args.value(Self.input)
    requestedID = args.value(Self.runIDOption)
    detached = args.flag(Self.detach)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let spec = try RunsSupport.loadSpec(specPath)
    let input = try RunsSupport.parseInput(inputText)
    if let requestedID { try RunsSupport.checkRunID(requestedID) }
    let runID = requestedID ?? RunsSupport.newRunID(prefix: "spec", now: context.clock())
    let (run, status) = try RunsFace.open(globals, context, creating: true).start(spec: spec, input: input, runID: runID, detach: detached, quiet: false)
    context.print(RunsSupport.started(runID, status: run?.status.rawValue ?? "running"), as: globals.output)
    return status
  }
}
