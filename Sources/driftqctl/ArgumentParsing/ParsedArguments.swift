import ReplayEngine
import WALFormat

/// Option values bound to one command, read through typed accessors that mark each option
/// consumed; `finish()` rejects anything given that the command did not read.
struct ParsedArguments {
  let command: CommandSpec
  private var values: [String: [String]] = [:]
  private var given: [String] = []
  private var consumed: Set<String> = []
  /// Words given by position, in order, and which of them the command read.
  private var positionals: [String] = []
  private var positionalsRead = 0
  let environment: [String: String]

  init(command: CommandSpec, environment: [String: String]) {
    self.command = command
    self.environment = environment
  }

  mutating func record(_ option: OptionSpec, value: String?) throws(UsageError) {
    if option.kind == .value, values[option.name] != nil {
      throw UsageError("--\(option.name) was given more than once", command: command.path)
    }
    values[option.name, default: []].append(value ?? "")
    given.append(option.name)
  }

  func isGiven(_ option: OptionSpec) -> Bool { values[option.name] != nil }

  /// Whether the command has room for another positional word.
  var acceptsPositional: Bool {
    guard let last = command.arguments.last else { return false }
    return last.isRepeated || positionals.count < command.arguments.count
  }

  mutating func recordPositional(_ word: String) {
    positionals.append(word)
  }

  /// The word given for `argument` (nil when it was not given; an error when it is required).
  mutating func positional(_ argument: PositionalSpec) throws(UsageError) -> String? {
    guard let index = command.arguments.firstIndex(of: argument) else { return nil }
    positionalsRead = max(positionalsRead, index + 1)
    guard index < positionals.count else {
      if argument.isRequired { throw UsageError("missing \(argument.name)", command: command.path) }
      return nil
    }
    return positionals[index]
  }

  /// Every word from `argument`'s position on (a repeated last argument).
  mutating func positionals(_ argument: PositionalSpec) -> [String] {
    guard let index = command.arguments.firstIndex(of: argument) else { return [] }
    positionalsRead = positionals.count
    return index < positionals.count ? Array(positionals[index...]) : []
  }

  /// The option's value from the command line only (not its environment variable).
  mutating func commandLineValue(_ option: OptionSpec) -> String? {
    consumed.insert(option.name)
    return values[option.name]?.last
  }

  /// The option's value: from the command line, else its environment variable, else nil.
  mutating func value(_ option: OptionSpec) -> String? {
    consumed.insert(option.name)
    if let given = values[option.name]?.last { return given }
    if let variable = option.environment, let fromEnvironment = environment[variable], !fromEnvironment.isEmpty {
      return fromEnvironment
    }
    return nil
  }

  mutating func required(_ option: OptionSpec) throws(UsageError) -> String {
    guard let text = value(option) else { throw UsageError("missing required option --\(option.name)", command: command.path) }
    return text
  }

  mutating func flag(_ option: OptionSpec) -> Bool {
    consumed.insert(option.name)
    return values[option.name] != nil
  }

  mutating func repeated(_ option: OptionSpec) -> [String] {
    consumed.insert(option.name)
    return values[option.name] ?? []
  }

  private func invalid(_ option: OptionSpec, _ text: String, _ expected: String) -> UsageError {
    UsageError("invalid value \"\(text)\" for --\(option.name): expected \(expected)", command: command.path)
  }

  /// A partition number: 0 to the largest partition a topic can have.
  mutating func partition(_ option: OptionSpec) throws(UsageError) -> Int? {
    try integer(option, in: 0...Int64(NameRules.maximumPartitions - 1)).map { Int($0) }
  }

  mutating func integer(_ option: OptionSpec, in range: ClosedRange<Int64> = Int64.min...Int64.max) throws(UsageError) -> Int64? {
    guard let text = value(option) else { return nil }
    guard let number = Int64(text), range.contains(number) else {
      throw invalid(option, text, range.upperBound == Int64.max ? "an integer ≥ \(range.lowerBound)" : "an integer from \(range.lowerBound) to \(range.upperBound)")
    }
    return number
  }

  mutating func choice<T: RawRepresentable & CaseIterable>(_ option: OptionSpec, default fallback: T) throws(UsageError) -> T where T.RawValue == String {
    guard let text = value(option) else { return fallback }
    guard let chosen = T(rawValue: text) else {
      throw invalid(option, text, "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
    }
    return chosen
  }

  /// A duration in milliseconds: `250ms`, `2s`, `1.5s`, `1m30s`, `2h`, or `0`.
  mutating func duration(_ option: OptionSpec) throws(UsageError) -> Int64? {
    guard let text = value(option) else { return nil }
    guard let ms = ValueParsers.milliseconds(text) else {
      throw invalid(option, text, "a duration such as 500ms, 2s, 1m30s")
    }
    return ms
  }

  /// A byte count: `4096`, `64KiB`, `64MiB`, `1GiB` (also KB/MB/GB as powers of 1000).
  mutating func byteSize(_ option: OptionSpec) throws(UsageError) -> Int? {
    guard let text = value(option) else { return nil }
    guard let bytes = ValueParsers.bytes(text) else { throw invalid(option, text, "a size such as 4096, 64KiB or 64MiB") }
    return bytes
  }

  /// Rejects options that were given but that the command does not use.
  func finish() throws(UsageError) {
    if positionalsRead < positionals.count {
      throw UsageError("unexpected argument '\(positionals[positionalsRead])'", command: command.path)
    }
    for name in given where !consumed.contains(name) {
      throw UsageError("option --\(name) does not apply to '\(command.name)'", command: command.path)
    }
  }
}

/// Text-to-value conversions shared by options and NDJSON input.
enum ValueParsers {
  /// `2h` (that long before `now`) or an RFC 3339 time.
  static func pastTime(_ text: String, now: WALTimestamp) -> WALTimestamp? {
    if let time = RFC3339.parse(text) { return time }
    return milliseconds(text).map { now.adding(milliseconds: -$0) }
  }

  static func milliseconds(_ text: String) -> Int64? {
    if text == "0" { return 0 }
    var total: Double = 0
    var rest = Substring(text)
    guard !rest.isEmpty else { return nil }
    while !rest.isEmpty {
      let number = rest.prefix { $0.isNumber || $0 == "." }
      guard !number.isEmpty, let value = Double(number) else { return nil }
      rest = rest.dropFirst(number.count)
      let unit = rest.prefix { $0.isLetter }
      rest = rest.dropFirst(unit.count)
      let scale: Double
      switch unit {
      case "ms": scale = 1
      case "s": scale = 1000
      case "m": scale = 60_000
      case "h": scale = 3_600_000
      case "d": scale = 86_400_000
      default: return nil
      }
      total += value * scale
    }
    guard total < 9.0e15 else { return nil }
    return Int64(total.rounded())
  }

  static func bytes(_ text: String) -> Int? {
    let digits = text.prefix { $0.isNumber }
    guard let number = Int(digits) else { return nil }
    let scale: Int
    switch text.dropFirst(digits.count).lowercased() {
    case "", "b": scale = 1
    case "k", "kib": scale = 1 << 10
    case "m", "mib": scale = 1 << 20
    case "g", "gib": scale = 1 << 30
    case "kb": scale = 1000
    case "mb": scale = 1_000_000
    case "gb": scale = 1_000_000_000
    default: return nil
    }
    let (bytes, overflow) = number.multipliedReportingOverflow(by: scale)
    return overflow ? nil : bytes
  }
}
