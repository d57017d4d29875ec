import ReplayEngine
import WALFormat

/// `profile delete NAME`: forgets a profile (and, if it was current, that there is one).
struct ProfileDeleteCommand: Command {
  static let name = PositionalSpec("NAME", help: "The profile to delete.", values: .profile)
  static let spec = CommandSpec(["profile", "delete"], abstract: "Delete a saved profile.", arguments: [name], options: [])

  static let opensFace = false
  let globals: GlobalOptions
  let name: String

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    name = try args.positional(Self.name) ?? ""
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let store = try ProfileStore.located(in: context.environment)
    let wasCurrent = try store.update(lockTimeoutMs: globals.walOptions.lockTimeoutMilliseconds) { file in
      let current = file.current == name
      guard file.delete(name) else {
        throw CommandFailure(.notFound, "no profile named \"\(name)\" ('driftqctl profile list' shows the saved ones)")
      }
      return current
    }
    context.print(
      .object(.object([("deleted", .string(name)), ("was_current", .bool(wasCurrent))])) { [name] in
        "deleted profile \"\(name)\"" + (wasCurrent ? " (it was the current one: no profile is in use now)" : "") + "\n"
      }, as: globals.output)
    return .success
  }
}
