/// Draws `--help` text from the command table: the root, a group, or one command.
enum HelpRenderer {
  static func help(for path: [String]) -> String {
    if let command = CommandTable.command(for: path) { return commandHelp(command.spec) }
    return groupHelp(path)
  }

  static func groupHelp(_ path: [String]) -> String {
    let commands = CommandTable.all.map { $0.spec }.filter { $0.path.starts(with: path) }
    var text = ""
    if path.isEmpty {
      text += "driftqctl \(CLI.version): the DriftQ command-line toolkit (broker, DLQ, runs, WAL forensics).\n"
      text += "Every command works on a local WAL directory (--wal-dir, default ./driftq-data).\n\n"
      text += "USAGE: driftqctl [global options] <command> [options]\n\n"
    } else {
      text += "USAGE: driftqctl \(path.joined(separator: " ")) <subcommand> [options]\n\n"
    }
    text += "COMMANDS:\n"
    let width = commands.map { $0.name.count }.max() ?? 0
    for spec in commands {
      text += "  " + spec.name.padding(to: width) + "  " + spec.abstract + "\n"
    }
    text += "\n" + globalOptionsSection()
    text += "\nEXIT STATUS: 0 ok, 1 error, 2 usage, 3 corruption, 4 not found, 5 unavailable.\n"
    text += "See 'driftqctl <command> --help' (or 'driftqctl help <command>') and man driftqctl(1).\n"
    return text
  }

  static func commandHelp(_ spec: CommandSpec) -> String {
    var text = "USAGE: driftqctl \(spec.name)"
    for argument in spec.arguments { text += " " + argument.usage }
    for option in spec.options { text += " " + option.usage }
    text += " [global options]\n\n" + spec.abstract + "\n"
    if !spec.discussion.isEmpty { text += "\n" + spec.discussion + "\n" }
    if !spec.arguments.isEmpty { text += "\nARGUMENTS:\n" + argumentLines(spec.arguments) }
    if !spec.options.isEmpty { text += "\nOPTIONS:\n" + optionLines(spec.options) }
    text += "\n" + globalOptionsSection()
    if !spec.examples.isEmpty {
      text += "\nEXAMPLES:\n" + spec.examples.map { "  " + $0 + "\n" }.joined()
    }
    return text
  }

  static func globalOptionsSection() -> String {
    "GLOBAL OPTIONS (before or after the command):\n" + optionLines(OptionSpec.globals)
  }

  private static func argumentLines(_ arguments: [PositionalSpec]) -> String {
    let width = min(arguments.map(\.name.count).max() ?? 0, 28)
    return arguments.map { argument in
      "  " + argument.name.padding(to: width) + "  " + argument.help + (argument.isRequired ? " (required)" : "") + "\n"
    }.joined()
  }

  private static func optionLines(_ options: [OptionSpec]) -> String {
    let labels = options.map { option -> String in
      var label = option.short.map { "-\($0), " } ?? ""
      label += "--" + option.name
      if option.kind != .flag { label += " " + option.placeholder }
      return label
    }
    let width = min(labels.map(\.count).max() ?? 0, 28)
    var text = ""
    for (option, label) in zip(options, labels) {
      var help = option.help
      if option.isRequired { help += " (required)" }
      if let value = option.defaultText { help += " (default: \(value))" }
      if let variable = option.environment { help += " [$\(variable)]" }
      if option.kind == .repeated { help += " (repeatable)" }
      if !option.aliases.isEmpty { help += " (alias: " + option.aliases.map { "--" + $0 }.joined(separator: ", ") + ")" }
      if label.count > width {
        text += "  " + label + "\n" + String(repeating: " ", count: width + 4) + help + "\n"
      } else {
        text += "  " + label.padding(to: width) + "  " + help + "\n"
      }
    }
    return text
  }
}

extension String {
  /// The string padded with spaces to at least `width` characters.
  func padding(to width: Int) -> String {
    count >= width ? self : self + String(repeating: " ", count: width - count)
  }
}
