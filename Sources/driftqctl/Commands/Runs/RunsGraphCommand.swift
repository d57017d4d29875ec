import ReplayEngine
import WALFormat

/// `runs graph`: a run's DAG, each step with how it stands and whether it ran or was
/// reused, as Mermaid, Graphviz DOT or text, ready to paste into a document or an issue.
struct RunsGraphCommand: Command {
  enum Format: String, CaseIterable {
    case text, mermaid, dot
  }

  static let format = OptionSpec("format", placeholder: "FORMAT", help: "text, mermaid (GitHub and most wikis draw it) or dot (Graphviz).", default: "text")

  static let spec = CommandSpec(
    ["runs", "graph"], abstract: "Draw a run's workflow: each step's status, and whether it ran or was reused.",
    discussion: """
      Steps stand as of the run's latest replay: succeeded, reused (an earlier attempt's output), failed,
      running, canceled, or not run (upstream of a failure, or not reached yet). Colours: green ran and
      succeeded, blue dashed reused, red failed, yellow running, grey not run. -o json gives nodes and
      edges whatever --format says.
      """,
    options: [.runID, format, AsOf.option],
    examples: ["driftqctl runs graph --run-id r1 --format mermaid > run.mmd", "driftqctl runs graph --run-id r1 --format dot | dot -Tsvg > run.svg"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let chosen: Format
  let at: LogPosition?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    chosen = try args.choice(Self.format, default: .text)
    at = try AsOf.parse(&args, command: Self.spec.path)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let graph = RunGraph(try RunsFace.open(globals, context, asOf: at).run(runID))
    let chosen = chosen
    context.print(
      Answer(document: GraphRendering.json(graph), lines: graph.nodes.map(GraphRendering.json)) {
        switch chosen {
        case .text: GraphRendering.text(graph)
        case .mermaid: GraphRendering.mermaid(graph)
        case .dot: GraphRendering.dot(graph)
        }
      }, as: globals.output)
    return .success
  }
}
