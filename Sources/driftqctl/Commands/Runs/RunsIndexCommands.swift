import ReplayEngine
import WALFormat

/// `runs promote`: points the active index at a succeeded run's version.
struct RunsPromoteCommand: Command {
  static let version = OptionSpec("version", placeholder: "V", help: "The version to make active.", default: "the run id")
  static let spec = CommandSpec(["runs", "promote"], abstract: "Make a succeeded run's version the active index version.", options: [.runID, version])

  static let worksRemotely = true
  let globals: GlobalOptions
  let runID: String
  let value: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    runID = try args.name(.runID)
    value = args.value(Self.version)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let version = value ?? runID
    context.print(IndexOutput.answer("promoted", try RunsFace.open(globals, context).promote(runID: runID, version: version)), as: globals.output)
    return .success
  }
}

/// `runs rollback`: points the active index at an earlier version.
struct RunsRollbackCommand: Command {
  static let to = OptionSpec("to", placeholder: "V", help: "The version to make active.", required: true)
  static let spec = CommandSpec(["runs", "rollback"], abstract: "Set the active index version back to V.", options: [to])

  static let worksRemotely = true
  let globals: GlobalOptions
  let version: String

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    version = try args.name(Self.to)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    context.print(IndexOutput.answer("rolled back", try RunsFace.open(globals, context).rollback(version: version)), as: globals.output)
    return .success
  }
}

/// `runs active-index`: the active index version.
struct RunsActiveIndexCommand: Command {
  static let spec = CommandSpec(["runs", "active-index"], abstract: "Print the active index version (or that none is set).", options: [])

  static let worksRemotely = true
  let globals: GlobalOptions

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let version = try RunsFace.open(globals, context).activeIndex()
    context.print(
      .object(.object([("ok", .bool(true)), ("active_version", .string(version ?? ""))])) {
        (version.map { "active_index_version=\($0)" } ?? "(no active index version set)") + "\n"
      }, as: globals.output)
    return .success
  }
}

/// The Go tool's promote/rollback lines.
enum IndexOutput {
  static func answer(_ verb: String, _ version: String) -> Answer {
    .object(.object([("ok", .bool(true)), ("active_version", .string(version))])) {
      "\(verb) active_index_version=\(version)\nnext: driftqctl runs active-index\n"
    }
  }
}
