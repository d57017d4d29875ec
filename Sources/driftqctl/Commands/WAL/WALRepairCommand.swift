import ReplayEngine
import WALFormat

/// `wal repair`: cuts off a torn tail (keeping a `.broken` copy); refuses corruption unless forced.
struct WALRepairCommand: Command {
  static let force = OptionSpec.flag("force", help: "Also truncate at corruption, dropping everything after it (copies kept).")

  static let spec = CommandSpec(
    ["wal", "repair"], abstract: "Cut off a torn tail, keeping a .broken copy; refuses corruption unless --force.",
    discussion: "Takes the writer lock. With --force, truncates the damaged segment at the first bad frame and\nmoves every later segment aside as <name>.broken: that data is dropped from the log.",
    options: [force])

  let globals: GlobalOptions
  let forced: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    forced = args.flag(Self.force)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let log = WALLog(directory: try WALDirectory.open(globals.walDirectory), options: globals.walOptions)
    let outcome = try WALRepair.repair(log, force: forced)
    var members: [(String, JSONValue)] = [("action", .string(outcome.action.rawValue))]
    if let location = outcome.location {
      members += [("segment", .string(location.segment)), ("byte", .int(location.offset))]
    }
    members += [("bytes_removed", .int(outcome.bytesRemoved)), ("broken_copies", .array(outcome.brokenCopies.map { .string($0) }))]
    context.print(
      .object(.object(members)) {
        guard outcome.action != .nothingToDo else { return "nothing to repair: no torn tail and no corruption\n" }
        let what = outcome.action == .truncatedTornTail ? "cut a torn tail" : "truncated at corruption"
        return Answer.lines(
          ["\(what) at \(outcome.location.map(\.description) ?? "?"): \(outcome.bytesRemoved) bytes removed"] + outcome.brokenCopies.map { "kept a copy: \($0)" })
      }, as: globals.output)
    return .success
  }
}
