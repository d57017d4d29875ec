import ReplayEngine

/// DriftQ's input rule: a request with a body is read as strict JSON (unknown keys refused)
/// and its query ignored; otherwise the query string is read, trimmed, unknown keys ignored.
struct RequestInput {
  let json: JSONValue?
  let query: [String: String]

  /// The v1 error for a body that is not the JSON expected.
  struct BadBody: Error { var message: String }

  init(_ request: HTTPRequest, allowed: Set<String>) throws(BadBody) {
    if request.hasBody {
      let value: JSONValue
      do { value = try JSONParser.parse(bytes: request.body) } catch {
        throw BadBody(message: "invalid json body: \(error.reason)")
      }
      guard case .object(let members) = value else { throw BadBody(message: "invalid json body: json: cannot unmarshal \(value.typeName) into Go value of type object") }
      for (key, _) in members where !allowed.contains(key) {
        throw BadBody(message: "invalid json body: json: unknown field \"\(key)\"")
      }
      json = value
      query = [:]
    } else {
      json = nil
      query = request.query.mapValues { $0.trimmingTrailingWhitespace() }
    }
  }

  /// A string field (query value or JSON string); a JSON value of another type is refused.
  func string(_ key: String, aliases: [String] = []) throws(BadBody) -> String {
    if let json {
      guard let value = json[key] else { return "" }
      if value.isNull { return "" }
      guard let text = value.stringValue else {
        throw BadBody(message: "invalid json body: json: cannot unmarshal \(value.typeName) into Go struct field .\(key) of type string")
      }
      return text.trimmingTrailingWhitespace()
    }
    for name in [key] + aliases { if let value = query[name], !value.isEmpty { return value } }
    return ""
  }

  /// An integer field: nil when absent; `invalid` when present but not an integer.
  func integer(_ key: String, invalid: String) throws(BadBody) -> Int64? {
    if let json {
      guard let value = json[key], !value.isNull else { return nil }
      guard let number = value.int64Value else {
        throw BadBody(message: "invalid json body: json: cannot unmarshal \(value.typeName) into Go struct field .\(key) of type int")
      }
      return number
    }
    guard let text = query[key], !text.isEmpty else { return nil }
    guard let number = Int64(text) else { throw BadBody(message: invalid) }
    return number
  }
}
