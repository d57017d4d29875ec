import ReplayEngine
import WALFormat

/// `runs artifacts`: a run's artifacts, in the Go tool's aligned table.
struct RunsArtifactsCommand: Command {
  static let nodeOption = OptionSpec("node-id", placeholder: "NODE", help: "Only this node's artifacts.")
  static let limit = OptionSpec("limit", placeholder: "N", help: "At most N artifacts.", default: "50")
  static let spec = CommandSpec(["runs", "artifacts"], abstract: "List a run's artifacts (ARTIFACT_ID SIZE TYPE NODE ATT CREATED NAME DESC).", options: [.runID, nodeOption, limit])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let node: String?
  let count: Int

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    node = args.value(Self.nodeOption)
    count = Int(try args.integer(Self.limit, in: 1...10_000) ?? 50)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let metas = Array(try RunsFace.open(globals, context).artifacts(runID: runID, node: node).prefix(count))
    context.print(
      .object(.object([("ok", .bool(true)), ("run_id", .string(runID)), ("count", .int(metas.count)), ("artifacts", .array(metas.map(\.json)))])) {
        if metas.isEmpty { return "(no artifacts found)\n" }
        var table = TableRenderer(["ARTIFACT_ID", "SIZE", "TYPE", "NODE", "ATT", "CREATED", "NAME", "DESC"])
        func dash(_ s: String) -> String { s.isEmpty ? "-" : s }
        for m in metas {
          table.add([m.id, String(m.size), dash(m.contentType), dash(m.nodeID), String(m.attempt), RFC3339.format(m.createdAt), dash(m.originalName), dash(m.description)])
        }
        return table.render()
      }, as: globals.output)
    return .success
  }
}
