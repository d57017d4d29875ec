/// `completion SHELL`: a completion script for bash, zsh or fish, generated from the command
/// table, so it offers exactly the commands, options and values this build has.
struct CompletionCommand: Command {
  static let shell = PositionalSpec("SHELL", help: "bash, zsh or fish.", values: .choices(CompletionShell.allCases.map(\.rawValue)))
  static let spec = CommandSpec(
    ["completion"], abstract: "Print a shell completion script (bash, zsh or fish) for this driftqctl.",
    discussion: """
      It completes command words, options, the values of options that have a fixed set, file and
      directory paths, and topic and profile names (asking 'driftqctl topics list' and
      'driftqctl profile list', with the --wal-dir, --base-url and --profile already typed).
        bash: source <(driftqctl completion bash)     (in ~/.bashrc)
        zsh:  source <(driftqctl completion zsh)      (in ~/.zshrc, after compinit)
        fish: driftqctl completion fish | source      (or save it in ~/.config/fish/completions/driftqctl.fish)
      """,
    arguments: [shell], options: [], examples: ["driftqctl completion bash > ~/.local/share/bash-completion/completions/driftqctl"])

  static let opensFace = false
  let chosen: CompletionShell

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    let text = try args.positional(Self.shell) ?? ""
    guard let chosen = CompletionShell(rawValue: text) else {
      throw UsageError("invalid SHELL \"\(text)\": expected bash, zsh or fish", command: Self.spec.path)
    }
    self.chosen = chosen
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    context.stdout.write(chosen.script(for: CompletionModel(CommandTable.all.map { $0.spec })))
    return .success
  }
}
