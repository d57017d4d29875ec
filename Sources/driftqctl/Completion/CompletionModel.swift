/// What shell completion needs to know, taken once from the command table: the words that
/// may follow each command prefix, and each command's options and positional arguments. The
/// bash, zsh and fish scripts print the same model in their own syntax, so none can drift
/// from the table (or from another).
struct CompletionModel {
  /// A word that may come next, with a short description (zsh and fish show it).
  struct Word {
    let word: String
    let description: String
  }

  /// One option as typed: its names (`--output`, `-o`), what it does, and what its value is
  /// (nil: a flag, which takes none).
  struct Option {
    let names: [String]
    let help: String
    let value: ValueKind?
  }

  /// A command: its words joined by spaces, its options (its own, then the global ones it
  /// does not shadow) and its positional arguments.
  struct Leaf {
    let path: String
    let options: [Option]
    let arguments: [PositionalSpec]
  }

  /// Each prefix that has words after it ("" for the top level, "topics", ...), in table order.
  let groups: [(prefix: String, words: [Word])]
  let leaves: [Leaf]
  let globals: [Option]

  init(_ specs: [CommandSpec]) {
    var groups: [(prefix: String, words: [Word])] = []
    for spec in specs {
      for depth in 0..<spec.path.count {
        let prefix = spec.path.prefix(depth).joined(separator: " ")
        let word = spec.path[depth]
        let isLeaf = depth == spec.path.count - 1
        if let at = groups.firstIndex(where: { $0.prefix == prefix }) {
          if groups[at].words.contains(where: { $0.word == word }) { continue }
          groups[at].words.append(Word(word: word, description: isLeaf ? spec.abstract : Self.groupDescription(spec.path.prefix(depth + 1), specs)))
        } else {
          groups.append((prefix, [Word(word: word, description: isLeaf ? spec.abstract : Self.groupDescription(spec.path.prefix(depth + 1), specs))]))
        }
      }
    }
    self.groups = groups
    globals = OptionSpec.globals.map(Self.option)
    leaves = specs.map { spec in
      let own = spec.options.map(Self.option)
      let shadowed = Set(spec.options.map(\.name))
      return Leaf(
        path: spec.name, options: own + OptionSpec.globals.filter { !shadowed.contains($0.name) }.map(Self.option), arguments: spec.arguments)
    }
  }

  /// The words after `prefix`, or none.
  func words(after prefix: String) -> [Word] {
    groups.first { $0.prefix == prefix }?.words ?? []
  }

  /// "create, list, lag, peek": what a group holds.
  private static func groupDescription(_ prefix: ArraySlice<String>, _ specs: [CommandSpec]) -> String {
    var next: [String] = []
    for spec in specs where spec.path.count > prefix.count && spec.path.starts(with: prefix) {
      let word = spec.path[prefix.count]
      if !next.contains(word) { next.append(word) }
    }
    return next.joined(separator: ", ")
  }

  private static func option(_ spec: OptionSpec) -> Option {
    Option(
      names: ["--" + spec.name] + spec.aliases.map { "--" + $0 } + (spec.short.map { ["-\($0)"] } ?? []),
      help: spec.help, value: spec.kind == .flag ? nil : spec.values)
  }

  /// A description cut to one short line for a completion menu.
  static func short(_ text: String, limit: Int = 72) -> String {
    let line = text.split(separator: "\n").first.map(String.init) ?? ""
    guard line.count > limit else { return line }
    let cut = line.prefix(limit)
    return String(cut[..<(cut.lastIndex(of: " ") ?? cut.endIndex)]) + "..."
  }

  /// How a value kind is told to the scripts: `-` for a flag, `@file`, `@dir`, `@topic`,
  /// `@profile`, `@command`, `@text`, or the words themselves separated by spaces.
  static func token(_ value: ValueKind?) -> String {
    switch value {
    case nil: return "-"
    case .text?: return "@text"
    case .file?: return "@file"
    case .directory?: return "@dir"
    case .topic?: return "@topic"
    case .profile?: return "@profile"
    case .command?: return "@command"
    case .choices(let words)?: return words.joined(separator: " ")
    }
  }

  /// Single-quoted for bash and zsh.
  static func quoted(_ text: String) -> String {
    "'" + text.replacingAll("'", with: "'\\''") + "'"
  }
}

extension CompletionModel {
  /// One arm of a lookup table the scripts search in order: the first pattern that matches
  /// wins. `patterns` are exact keys, except that a global option's pattern is `* --name`.
  struct Arm {
    let patterns: [String]
    let answer: String
  }

  /// What option `--x` of command `C` takes, keyed `C --x`: every command's own options first
  /// (grouped by answer), then the global options of any command; an unknown option is a flag.
  var valueArms: [Arm] {
    var own: [(answer: String, patterns: [String])] = []
    for leaf in leaves {
      for option in leaf.options where !globals.contains(where: { $0.names == option.names && $0.value == option.value }) {
        let answer = Self.token(option.value)
        let patterns = option.names.map { leaf.path + " " + $0 }
        if let at = own.firstIndex(where: { $0.answer == answer }) { own[at].patterns += patterns } else { own.append((answer, patterns)) }
      }
    }
    var global: [(answer: String, patterns: [String])] = []
    for option in globals {
      let answer = Self.token(option.value)
      let patterns = option.names.map { "* " + $0 }
      if let at = global.firstIndex(where: { $0.answer == answer }) { global[at].patterns += patterns } else { global.append((answer, patterns)) }
    }
    return (own + global).map { Arm(patterns: $0.patterns, answer: $0.answer) }
  }

  /// What the N-th positional word of command `C` is, keyed `C N` (a repeated last argument:
  /// `C *`); no arm: the command takes no more words.
  var argumentArms: [Arm] {
    var arms: [Arm] = []
    for leaf in leaves {
      for (index, argument) in leaf.arguments.enumerated() {
        arms.append(Arm(patterns: [leaf.path + " " + (argument.isRepeated ? "*" : String(index))], answer: Self.token(argument.values)))
      }
    }
    return arms
  }
}
