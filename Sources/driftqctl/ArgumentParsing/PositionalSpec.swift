/// A word a command takes by its position (`profile use NAME`, `completion SHELL`), declared
/// once as data like an option: help, parsing and completion read it.
struct PositionalSpec: Hashable, Sendable {
  /// The placeholder shown in usage lines (`NAME`).
  let name: String
  let help: String
  let isRequired: Bool
  /// Takes every remaining word (only the last argument of a command).
  let isRepeated: Bool
  let values: ValueKind

  init(_ name: String, help: String, required: Bool = true, repeated: Bool = false, values: ValueKind = .text) {
    self.name = name
    self.help = help
    self.isRequired = required
    self.isRepeated = repeated
    self.values = values
  }

  /// How the argument looks in a usage line: `NAME`, `[COMMAND...]`.
  var usage: String {
    let body = name + (isRepeated ? "..." : "")
    return isRequired ? body : "[\(body)]"
  }
}
