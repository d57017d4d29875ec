/// `help [COMMAND...]`: the help `COMMAND --help` prints (the program's, without words), for
/// people who type the word first, as in git, go and kubectl.
struct HelpCommand: Command {
  static let words = PositionalSpec("COMMAND", help: "The command or group (topics, runs replay, ...).", required: false, repeated: true, values: .command)
  static let spec = CommandSpec(
    ["help"], abstract: "Show help for a command or group, as COMMAND --help does.", arguments: [words], options: [],
    examples: ["driftqctl help", "driftqctl help runs replay"])

  static let opensFace = false
  let path: [String]

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    path = args.positionals(Self.words)
    // The first word that makes no command names the mistake, as the parser would.
    var known: [String] = []
    for word in path {
      guard CommandTable.isPrefix(known + [word]) else {
        let hint = EditDistance.suggestion(for: word, among: CommandTable.nextWords(after: known)).map { " (did you mean '\($0)'?)" } ?? ""
        if known.isEmpty { throw UsageError("unknown command '\(word)'\(hint)") }
        throw UsageError("unknown subcommand '\(word)' for '\(known.joined(separator: " "))'\(hint)", command: known)
      }
      known.append(word)
    }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    context.stdout.write(HelpRenderer.help(for: path))
    return .success
  }
}
