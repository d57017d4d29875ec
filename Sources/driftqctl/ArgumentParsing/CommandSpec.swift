/// A command's words, help text and options.
struct CommandSpec: Sendable {
  let path: [String]
  let abstract: String
  let discussion: String
  /// Words taken by position, after the command words (`profile use NAME`).
  let arguments: [PositionalSpec]
  let options: [OptionSpec]
  let examples: [String]

  init(
    _ path: [String], abstract: String, discussion: String = "", arguments: [PositionalSpec] = [], options: [OptionSpec],
    examples: [String] = []
  ) {
    self.path = path
    self.abstract = abstract
    self.discussion = discussion
    self.arguments = arguments
    self.options = options
    self.examples = examples
  }

  var name: String { path.joined(separator: " ") }

  /// Finds an option of this command or a global one by long name, alias or short letter.
  func option(named name: String) -> OptionSpec? {
    (options + OptionSpec.globals).first { $0.name == name || $0.aliases.contains(name) }
  }

  func option(short: Character) -> OptionSpec? {
    (options + OptionSpec.globals).first { $0.short == short }
  }
}
