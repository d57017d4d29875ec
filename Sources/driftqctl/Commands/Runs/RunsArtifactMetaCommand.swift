import ReplayEngine
import WALFormat

/// `runs artifact-meta`: one artifact's metadata.
struct RunsArtifactMetaCommand: Command {
  static let artifactID = OptionSpec("artifact-id", placeholder: "SHA256", help: "The artifact (64 hex digits).", required: true)
  static let spec = CommandSpec(["runs", "artifact-meta"], abstract: "Print an artifact's metadata as JSON.", options: [artifactID])

  static let worksRemotely = true
  let globals: GlobalOptions
  let id: String

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    id = try args.name(Self.artifactID)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let meta = try RunsFace.open(globals, context).artifactMeta(id)
    let document = JSONValue.object([("ok", .bool(true)), ("artifact_id", .string(id)), ("meta", meta)])
    context.print(.object(document) { JSONWriter.encodePretty(document) + "\n" }, as: globals.output)
    return .success
  }
}
