import ReplayEngine
import WALFormat

/// `version`: what `--version` prints; with `-o json`, `{"version":"0.1.0"}` for scripts.
struct VersionCommand: Command {
  static let spec = CommandSpec(["version"], abstract: "Print the version (as --version does).", options: [])

  static let opensFace = false
  let globals: GlobalOptions

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    context.print(.object(.object([("version", .string(CLI.version))])) { "driftqctl \(CLI.version)\n" }, as: globals.output)
    return .success
  }
}
