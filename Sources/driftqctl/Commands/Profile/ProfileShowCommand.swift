import ReplayEngine
import WALFormat

/// `profile show [NAME]`: one profile's settings (the token file's path, never the token).
struct ProfileShowCommand: Command {
  static let name = PositionalSpec(
    "NAME", help: "The profile (default: the one --profile or DRIFTQ_PROFILE names, else the current one).", required: false,
    values: .profile)
  static let spec = CommandSpec(
    ["profile", "show"], abstract: "Show a profile's settings (default: the one in use).", arguments: [name], options: [])

  static let opensFace = false
  let globals: GlobalOptions
  let name: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    name = try args.positional(Self.name) ?? globals.profileName
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let file = try ProfileStore.located(in: context.environment).load()
    guard let wanted = name ?? file.current else {
      throw CommandFailure(.notFound, "no profile is in use (save one with 'driftqctl profile set', make it current with 'driftqctl profile use')")
    }
    guard let profile = file[wanted] else {
      throw CommandFailure(.notFound, "no profile named \"\(wanted)\" ('driftqctl profile list' shows the saved ones)")
    }
    let current = file.current == profile.name
    context.print(
      .object(profile.json(current: current)) {
        var lines = ["name=\(profile.name)", "current=\(current)"]
        lines += [("base_url", profile.baseURL), ("token_file", profile.tokenFile), ("wal_dir", profile.walDirectory)]
          .compactMap { key, value in value.map { "\(key)=\($0)" } }
        return Answer.lines(lines)
      }, as: globals.output)
    return .success
  }
}
