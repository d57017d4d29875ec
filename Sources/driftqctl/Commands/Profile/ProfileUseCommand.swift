import ReplayEngine
import WALFormat

/// `profile use NAME`: makes a saved profile the current one (used by every command that names
/// no face and no other profile); `--none` goes back to using none.
struct ProfileUseCommand: Command {
  static let name = PositionalSpec("NAME", help: "The profile to make current.", required: false, values: .profile)
  static let none = OptionSpec.flag("none", help: "Use no profile from now on.")
  static let spec = CommandSpec(
    ["profile", "use"], abstract: "Make a saved profile the current one (--none: use none).",
    arguments: [name], options: [none], examples: ["driftqctl profile use prod", "driftqctl profile use --none"])

  static let opensFace = false
  let globals: GlobalOptions
  /// nil: no profile.
  let chosen: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    let name = try args.positional(Self.name)
    let none = args.flag(Self.none)
    switch (name, none) {
    case (nil, false): throw UsageError("give a profile NAME, or --none", command: Self.spec.path)
    case (_?, true): throw UsageError("give a profile NAME or --none, not both", command: Self.spec.path)
    default: chosen = name
    }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let store = try ProfileStore.located(in: context.environment)
    try store.update(lockTimeoutMs: globals.walOptions.lockTimeoutMilliseconds) { file in
      if let chosen, file[chosen] == nil {
        throw CommandFailure(.notFound, "no profile named \"\(chosen)\" ('driftqctl profile list' shows the saved ones)")
      }
      file.current = chosen
    }
    context.print(
      .object(.object([("current", chosen.map { .string($0) } ?? .null)])) { [chosen] in
        chosen.map { "using profile \"\($0)\"\n" } ?? "using no profile\n"
      }, as: globals.output)
    return .success
  }
}
