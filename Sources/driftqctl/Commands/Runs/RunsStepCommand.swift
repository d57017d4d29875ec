import ReplayEngine
import WALFormat

/// `runs step`: every attempt of one node.
struct RunsStepCommand: Command {
  static let attempt = OptionSpec("attempt", placeholder: "N", help: "Only this attempt (0: all).", default: "0")
  static let spec = CommandSpec(["runs", "step"], abstract: "Show every attempt of one node (ATT STATUS DUR START END ERR; STATUS reused for a reused output).", options: [.runID, .nodeID, attempt])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let nodeID: String
  let only: Int

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    nodeID = try args.name(.nodeID)
    only = Int(try args.integer(Self.attempt, in: 0...1_000_000) ?? 0)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let run = try RunsSupport.load(runID, globals: globals, context: context).run
    let rows = run.executions(of: nodeID).filter { only == 0 || $0.attempt == only }.sorted { $0.attempt < $1.attempt }
    guard !rows.isEmpty else {
      throw CommandFailure(.notFound, "runs step: no executions found for node=\(GoQuote.quote(nodeID))" + (only > 0 ? " attempt=\(only)" : ""))
    }
    context.print(
      .list("executions", rows.map { RunRendering.execution($0, run: run) }) {
        Answer.lines(["run_id=\(runID) node_id=\(nodeID)", "ATT\tSTATUS\tDUR\tSTART\tEND\tERR"] + rows.map { e in
          let error = e.error.map { RunRendering.cut($0, over: 90) } ?? "-"
          return "\(e.attempt)\t\(RunRendering.status(e))\t\(RunRendering.duration(e))\t\(RunRendering.short(e.startedAt))\t\(RunRendering.short(e.endedAt))\t\(error.isEmpty ? "-" : error)"
        })
      }, as: globals.output)
    return .success
  }
}
