import ReplayEngine
import WALFormat

/// Parses the command line, dispatches to a command, and turns every outcome into an exit
/// status: nothing below here exits, and every error becomes one `driftqctl: error:` line
/// (and, with `-o json|ndjson`, one JSON line after it).
enum CLI {
  static let version = "0.1.0"

  static func run(_ arguments: [String], in context: CommandContext) -> ExitStatus {
    context.errorFormat = requestedFormat(arguments, environment: context.environment)
    do {
      let invocation = try parse(arguments, environment: context.environment)
      switch invocation {
      case .help(let text), .version(let text):
        context.stdout.write(text)
        return .success
      case .run(let command):
        return try command.run(in: context)
      }
    } catch {
      return ErrorPresenter.present(error, in: context)
    }
  }

  enum Invocation {
    case help(String)
    case version(String)
    case run(any Command)
  }

  /// Finds the command words (global options may come first), binds the options, and builds
  /// the command. `--help` anywhere wins.
  static func parse(_ arguments: [String], environment: [String: String]) throws -> Invocation {
    let tokens = ArgumentTokenizer.tokenize(arguments)
    var path: [String] = []
    var pathIndices: Set<Int> = []
    var valueIndices: Set<Int> = []
    var index = 0
    var wantsHelp = false
    var wantsVersion = false
    while index < tokens.count {
      switch tokens[index] {
      case .option(let name, let isShort, let inline):
        if name == "help" || (isShort && name == "h") { wantsHelp = true }
        if name == "version" && !isShort { wantsVersion = true }
        // A command's own option of the same name (runs promote --version V) takes a value.
        let own = CommandTable.command(for: path)?.spec.options.first { !isShort && $0.name == name }
        let global = own ?? (isShort ? OptionSpec.globals.first { $0.short == Character(name) } : OptionSpec.globals.first { $0.name == name })
        if let global, global.kind != .flag, inline == nil {
          index += 1
          valueIndices.insert(index)
        }
      case .word(let word) where CommandTable.isPrefix(path + [word]):
        path.append(word)
        pathIndices.insert(index)
      case .word, .terminator:
        break
      }
      index += 1
    }
    if wantsHelp { return .help(HelpRenderer.help(for: path)) }
    let ownVersion = CommandTable.command(for: path)?.spec.options.contains { $0.name == "version" } ?? false
    if wantsVersion && !ownVersion { return .version("driftqctl \(version)\n") }
    guard let type = CommandTable.command(for: path) else {
      if path.isEmpty {
        if let first = firstWord(tokens, excluding: valueIndices) {
          let hint = EditDistance.suggestion(for: first, among: CommandTable.nextWords(after: [])).map { " (did you mean '\($0)'?)" } ?? ""
          throw UsageError("unknown command '\(first)'\(hint)")
        }
        throw UsageError("missing command (use: \(CommandTable.nextWords(after: []).joined(separator: ", ")))")
      }
      let next = CommandTable.nextWords(after: path)
      if let stray = firstWord(tokens, excluding: pathIndices.union(valueIndices)) {
        let hint = EditDistance.suggestion(for: stray, among: next).map { " (did you mean '\($0)'?)" } ?? ""
        throw UsageError("unknown subcommand '\(stray)' for '\(path.joined(separator: " "))'\(hint)", command: path)
      }
      throw UsageError("'\(path.joined(separator: " "))' needs a subcommand (use: \(next.joined(separator: ", ")))", command: path)
    }
    let spec = type.spec
    var parsed = ParsedArguments(command: spec, environment: environment)
    index = 0
    while index < tokens.count {
      defer { index += 1 }
      if pathIndices.contains(index) { continue }
      switch tokens[index] {
      case .terminator:
        continue
      case .word(let word) where parsed.acceptsPositional:
        parsed.recordPositional(word)
      case .word(let word):
        let hint = EditDistance.suggestion(for: word, among: CommandTable.nextWords(after: path)).map { " (did you mean '\($0)'?)" } ?? ""
        throw UsageError("unexpected argument '\(word)'\(hint)", command: spec.path)
      case .option(let name, let isShort, let inline):
        guard let option = isShort ? spec.option(short: Character(name)) : spec.option(named: name) else {
          let names = (spec.options + OptionSpec.globals).map(\.name)
          let hint = isShort ? nil : EditDistance.suggestion(for: name, among: names)
          throw UsageError("unknown option \(isShort ? "-" : "--")\(name)" + (hint.map { " (did you mean --\($0)?)" } ?? ""), command: spec.path)
        }
        switch option.kind {
        case .flag:
          if let inline, inline != "true" {
            if inline == "false" { continue }
            throw UsageError("--\(option.name) takes no value", command: spec.path)
          }
          try parsed.record(option, value: nil)
        case .value, .repeated:
          if let inline {
            try parsed.record(option, value: inline)
          } else {
            index += 1
            guard index < tokens.count, case .word(let value) = tokens[index] else {
              // A value may look like an option ("-5", "--x"): accept the raw next argument.
              if index < arguments.count, index < tokens.count, case .option = tokens[index] {
                try parsed.record(option, value: arguments[index])
                continue
              }
              throw UsageError("--\(option.name) needs a value (\(option.placeholder))", command: spec.path)
            }
            try parsed.record(option, value: value)
          }
        }
      }
    }
    let globals = try GlobalOptions(&parsed, faces: !type.opensFace ? .none : type.worksRemotely ? .both : .localOnly)
    _ = parsed.flag(.help)
    _ = parsed.flag(.version)
    let command = try type.init(&parsed, globals: globals)
    try parsed.finish()
    return .run(command)
  }

  /// The `-o`/`--output` format the arguments or DRIFTQ_OUTPUT ask for, read before (and
  /// whatever becomes of) the parse, so that an error about the command line itself is printed
  /// as data too.
  static func requestedFormat(_ arguments: [String], environment: [String: String]) -> OutputFormat {
    let tokens = ArgumentTokenizer.tokenize(arguments)
    var requested: OutputFormat?
    for (index, token) in tokens.enumerated() {
      guard case .option(let name, let isShort, let inline) = token, isShort ? name == "o" : name == "output" else { continue }
      var text = inline
      if text == nil, index + 1 < tokens.count, case .word(let next) = tokens[index + 1] { text = next }
      if let format = text.flatMap(OutputFormat.init(rawValue:)) { requested = format }
    }
    return requested ?? environment["DRIFTQ_OUTPUT"].flatMap(OutputFormat.init(rawValue:)) ?? .text
  }

  private static func firstWord(_ tokens: [ArgumentToken], excluding: Set<Int> = []) -> String? {
    for (i, token) in tokens.enumerated() where !excluding.contains(i) {
      if case .word(let word) = token { return word }
    }
    return nil
  }
}

