/// A parsed JSON document. Objects keep their key order; numbers keep their text so that
/// 64-bit offsets survive exactly (no trip through Double).
public enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  /// The number's literal text, already checked against JSON's number grammar.
  case number(String)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  public static func int<T: BinaryInteger>(_ value: T) -> JSONValue { .number(String(value)) }

  /// The value for `key` of an object (nil for other values or a missing key).
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.first { $0.0 == key }?.1
  }

  public var stringValue: String? {
    if case .string(let s) = self { return s }
    return nil
  }

  /// The value as a 64-bit integer when it is an integral number in range.
  public var int64Value: Int64? {
    guard case .number(let text) = self else { return nil }
    if let exact = Int64(text) { return exact }
    // 1e3 or 5.0: accept when the value is integral and exact.
    guard let double = Double(text), double.rounded() == double, abs(double) < 9.0e15 else { return nil }
    return Int64(double)
  }

  public var doubleValue: Double? {
    guard case .number(let text) = self else { return nil }
    return Double(text)
  }

  public var isNull: Bool { if case .null = self { return true } else { return false } }

  /// A short name of the value's type, for error messages.
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "boolean"
    case .number: return "number"
    case .string: return "string"
    case .array: return "array"
    case .object: return "object"
    }
  }
}

extension JSONValue {
  /// How deeply arrays and objects nest (a scalar is 0), counted as `JSONParser` counts
  /// against its `maximumDepth`, stopping once past `limit`.
  public func depth(stoppingPast limit: Int = JSONParser.maximumDepth) -> Int {
    switch self {
    case .null, .bool, .number, .string: return 0
    case .array(let items): return 1 + (limit <= 0 ? 0 : items.lazy.map { $0.depth(stoppingPast: limit - 1) }.max() ?? 0)
    case .object(let members): return 1 + (limit <= 0 ? 0 : members.lazy.map { $0.1.depth(stoppingPast: limit - 1) }.max() ?? 0)
    }
  }
}
