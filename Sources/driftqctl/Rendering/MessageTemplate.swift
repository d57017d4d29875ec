import ReplayEngine

/// `--format`: a message printed through a template, in the spirit of kcat's `-f`, so output
/// pipes into other tools without jq. Tokens: `%t` topic, `%p` partition, `%o` offset, `%k`
/// key, `%v` value, `%a` attempts, `%T` publish time (RFC 3339; empty where unknown), `%e`
/// last error, `%%` a percent sign; escapes `\n`, `\t`, `\r`, `\\`. Keys and values are
/// written as their bytes.
struct MessageTemplate {
  enum Piece: Equatable {
    case text([UInt8])
    case topic, partition, offset, key, value, attempts, time, lastError
  }

  let pieces: [Piece]

  /// The fields a template may name.
  struct Fields {
    var topic: String
    var partition: Int
    var offset: Int64
    var key: [UInt8]
    var value: [UInt8]
    var attempts: Int
    var time: String
    var lastError: String
  }

  init(_ text: String, command: [String]) throws(UsageError) {
    var pieces: [Piece] = []
    var literal: [UInt8] = []
    var bytes = Array(text.utf8)[...]
    func flush() {
      if !literal.isEmpty { pieces.append(.text(literal)) }
      literal = []
    }
    while let byte = bytes.popFirst() {
      switch byte {
      case UInt8(ascii: "%"):
        guard let token = bytes.popFirst() else { throw UsageError("--format ends in a lone %", command: command) }
        let piece: Piece
        switch token {
        case UInt8(ascii: "t"): piece = .topic
        case UInt8(ascii: "p"): piece = .partition
        case UInt8(ascii: "o"): piece = .offset
        case UInt8(ascii: "k"): piece = .key
        case UInt8(ascii: "v"): piece = .value
        case UInt8(ascii: "a"): piece = .attempts
        case UInt8(ascii: "T"): piece = .time
        case UInt8(ascii: "e"): piece = .lastError
        case UInt8(ascii: "%"):
          literal.append(token)
          continue
        default:
          throw UsageError("--format: unknown token %\(Character(UnicodeScalar(token))) (known: %t %p %o %k %v %a %T %e %%)", command: command)
        }
        flush()
        pieces.append(piece)
      case UInt8(ascii: "\\"):
        guard let escaped = bytes.popFirst() else { throw UsageError("--format ends in a lone \\", command: command) }
        switch escaped {
        case UInt8(ascii: "n"): literal.append(10)
        case UInt8(ascii: "t"): literal.append(9)
        case UInt8(ascii: "r"): literal.append(13)
        case UInt8(ascii: "\\"): literal.append(escaped)
        default: throw UsageError("--format: unknown escape \\\(Character(UnicodeScalar(escaped))) (known: \\n \\t \\r \\\\)", command: command)
        }
      default:
        literal.append(byte)
      }
    }
    flush()
    self.pieces = pieces
  }

  func render(_ fields: Fields) -> [UInt8] {
    var out: [UInt8] = []
    for piece in pieces {
      switch piece {
      case .text(let bytes): out += bytes
      case .topic: out += fields.topic.utf8
      case .partition: out += String(fields.partition).utf8
      case .offset: out += String(fields.offset).utf8
      case .key: out += fields.key
      case .value: out += fields.value
      case .attempts: out += String(fields.attempts).utf8
      case .time: out += fields.time.utf8
      case .lastError: out += fields.lastError.utf8
      }
    }
    return out
  }

  /// The fields of a message item as consume, peek and tail print it (DriftQ's ConsumeItem,
  /// with `topic` and `time` where the command has them), its base64 key or value decoded.
  static func fields(ofItem item: String, topic: String) -> Fields? {
    guard let json = try? JSONParser.parse(bytes: Array(item.utf8)) else { return nil }
    func bytes(_ name: String) -> [UInt8] {
      let text = json[name]?.stringValue ?? ""
      if json[name + "_encoding"]?.stringValue == "base64" { return Base64.decode(text) ?? Array(text.utf8) }
      return Array(text.utf8)
    }
    return Fields(
      topic: json["topic"]?.stringValue ?? topic, partition: Int(json["partition"]?.int64Value ?? -1), offset: json["offset"]?.int64Value ?? -1,
      key: bytes("key"), value: bytes("value"), attempts: Int(json["attempts"]?.int64Value ?? 0), time: json["time"]?.stringValue ?? "",
      lastError: json["last_error"]?.stringValue ?? "")
  }
}

extension MessageTemplate {
  /// The `--format` of a command, checked: it replaces the JSON forms, so `-o json|ndjson`
  /// with it is a contradiction.
  static func option(_ args: inout ParsedArguments, globals: GlobalOptions, command: [String]) throws(UsageError) -> MessageTemplate? {
    guard let text = args.value(.messageFormat) else { return nil }
    if globals.output != .text { throw UsageError("--format prints its own lines: drop -o \(globals.output.rawValue)", command: command) }
    return try MessageTemplate(text, command: command)
  }
}

extension OptionSpec {
  static let messageFormat = OptionSpec(
    "format", placeholder: "TEMPLATE", help: "Print each message through TEMPLATE: %t %p %o %k %v %a %T %e %%, escapes \\n \\t (instead of JSON; not with -o).")
}
