/// One word of the command line, classified.
enum ArgumentToken: Equatable, Sendable {
  /// `--name` or `-n`, with an inline value for `--name=value`.
  case option(name: String, isShort: Bool, inlineValue: String?)
  /// A plain word (a command word or an option's value).
  case word(String)
  /// Everything after `--`.
  case terminator
}

/// Splits argv into tokens; the parser decides which words are values (A1 `SplitArguments`).
enum ArgumentTokenizer {
  static func tokenize(_ arguments: [String]) -> [ArgumentToken] {
    var tokens: [ArgumentToken] = []
    var afterTerminator = false
    for argument in arguments {
      if afterTerminator {
        tokens.append(.word(argument))
      } else if argument == "--" {
        tokens.append(.terminator)
        afterTerminator = true
      } else if argument.hasPrefix("--") {
        let body = argument.dropFirst(2)
        if let eq = body.firstIndex(of: "=") {
          tokens.append(.option(name: String(body[..<eq]), isShort: false, inlineValue: String(body[body.index(after: eq)...])))
        } else {
          tokens.append(.option(name: String(body), isShort: false, inlineValue: nil))
        }
      } else if argument.hasPrefix("-"), argument.count > 1, !(argument.dropFirst().first?.isNumber ?? false) {
        let body = argument.dropFirst()
        if let eq = body.firstIndex(of: "=") {
          tokens.append(.option(name: String(body[..<eq]), isShort: true, inlineValue: String(body[body.index(after: eq)...])))
        } else if body.count > 1 {
          // -ojson: a short option with its value attached.
          tokens.append(.option(name: String(body.prefix(1)), isShort: true, inlineValue: String(body.dropFirst())))
        } else {
          tokens.append(.option(name: String(body), isShort: true, inlineValue: nil))
        }
      } else {
        tokens.append(.word(argument))
      }
    }
    return tokens
  }
}
