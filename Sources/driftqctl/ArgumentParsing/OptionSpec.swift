/// One command-line option, declared once as data: help, parsing, man-page checks and the
/// README check all read it.
struct OptionSpec: Hashable, Sendable {
  enum Kind: Hashable, Sendable {
    /// `--follow`: present or not.
    case flag
    /// `--topic T`: takes the next word (or `--topic=T`).
    case value
    /// `--label k=v`, may be given several times.
    case repeated
  }

  let name: String
  let short: Character?
  let kind: Kind
  let placeholder: String
  let help: String
  /// A `DRIFTQ_*` variable that supplies the value when the option is not given.
  let environment: String?
  let defaultText: String?
  let isRequired: Bool
  /// Other long names accepted for the same option (e.g. `--error` for `--reason`).
  let aliases: [String]
  /// What the value is, for shell completion (by default what the placeholder implies).
  let values: ValueKind

  init(
    _ name: String, short: Character? = nil, kind: Kind = .value, placeholder: String = "VALUE",
    help: String, environment: String? = nil, default defaultText: String? = nil,
    required: Bool = false, aliases: [String] = [], values: ValueKind? = nil
  ) {
    self.name = name
    self.short = short
    self.kind = kind
    self.placeholder = placeholder
    self.help = help
    self.environment = environment
    self.defaultText = defaultText
    self.isRequired = required
    self.aliases = aliases
    self.values = kind == .flag ? .text : values ?? ValueKind(placeholder: placeholder)
  }

  static func flag(_ name: String, short: Character? = nil, help: String) -> OptionSpec {
    OptionSpec(name, short: short, kind: .flag, placeholder: "", help: help)
  }

  /// The words the value must be one of (empty: any value).
  var choices: [String] {
    if case .choices(let words) = values { return words }
    return []
  }

  /// How the option looks in a usage line: `--topic T`, `[--max N]`.
  var usage: String {
    let body = kind == .flag ? "--\(name)" : "--\(name) \(placeholder)"
    return isRequired ? body : "[\(body)]"
  }

  func with(required: Bool) -> OptionSpec {
    OptionSpec(name, short: short, kind: kind, placeholder: placeholder, help: help, environment: environment,
      default: defaultText, required: required, aliases: aliases, values: values)
  }
}
