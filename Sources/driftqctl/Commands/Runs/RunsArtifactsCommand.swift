import ReplayEngine
import WALFormat

/// `runs artifacts`: a run's artifacts, in the Go tool's aligned table.
struct RunsArtifactsCommand: Command {
  static let nodeOption = OptionSpec("node-id", placeholder: "NODE", help: "Only this node's artifacts.")
  static let limit = OptionSpec("limit", placeholder: "N", help: "At most N artifacts.", default: "50")
  static let spec = CommandSpec(["runs", "artifacts"], abstract: "List a run's artifacts (ARTIFACT_ID SIZE TYPE NODE ATT CREATED NAME DESC).", options: [.runID, nodeOption, limit])

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
    let backend = try LocalBackend.open(globals, context: context)
    let run = try RunsSupport.run(runID, in: backend)
    let store = ArtifactStore(directory: backend.directory.path)
    // The run's own events say which artifacts it made: blobs are shared by content, so the
    // meta file alone (last writer wins) would lose a run whose output another run repeated.
    var metas: [ArtifactMeta] = []
    for execution in run.executions where node == nil || execution.nodeID == node {
      var ids = execution.artifacts
      if case .artifact(let id, _)? = execution.output, !execution.usedCachedOutput { ids.append(id) }
      for id in ids {
        guard var meta = try? store.meta(id) else { continue }
        meta.runID = runID
        meta.nodeID = execution.nodeID
        meta.attempt = execution.attempt
        meta.createdAt = execution.endedAt ?? meta.createdAt
        metas.append(meta)
      }
    }
    metas.sort { ($0.nodeID, $0.attempt, $0.createdAt.nanoseconds, $0.id) < ($1.nodeID, $1.attempt, $1.createdAt.nanoseconds, $1.id) }
    metas = Array(metas.prefix(count))
    switch globals.output {
    case .text:
      if metas.isEmpty { context.stdout.line("(no artifacts found)"); return .success }
      var table = TableRenderer(["ARTIFACT_ID", "SIZE", "TYPE", "NODE", "ATT", "CREATED", "NAME", "DESC"])
      func dash(_ s: String) -> String { s.isEmpty ? "-" : s }
      for m in metas {
        table.add([m.id, String(m.size), dash(m.contentType), dash(m.nodeID), String(m.attempt), RFC3339.format(m.createdAt), dash(m.originalName), dash(m.description)])
      }
      context.stdout.write(table.render())
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([("ok", .bool(true)), ("run_id", .string(runID)), ("count", .int(metas.count)), ("artifacts", .array(metas.map(\.json)))])))
    }
    return .success
  }
}
