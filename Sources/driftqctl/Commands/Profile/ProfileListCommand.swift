import ReplayEngine
import WALFormat

/// `profile list`: the saved profiles, the current one marked.
struct ProfileListCommand: Command {
  static let spec = CommandSpec(
    ["profile", "list"], abstract: "List saved profiles; * marks the current one.", options: [])

  static let opensFace = false
  let globals: GlobalOptions

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let file = try ProfileStore.located(in: context.environment).load()
    let profiles = file.profiles
    let current = file.current
    context.print(
      .list("profiles", profiles.map { $0.json(current: $0.name == current) }, extra: [("current", current.map { .string($0) } ?? .null)]) {
        guard !profiles.isEmpty else { return "(no profiles)\n" }
        var table = TableRenderer(["CURRENT", "NAME", "BASE_URL", "TOKEN_FILE", "WAL_DIR"])
        for profile in profiles {
          table.add([profile.name == current ? "*" : "", profile.name, profile.baseURL ?? "-", profile.tokenFile ?? "-", profile.walDirectory ?? "-"])
        }
        return table.render()
      }, as: globals.output)
    return .success
  }
}
