/// JSON with object keys sorted at every level: the same value always gives the same bytes,
/// so hashes of specs and inputs are stable.
public enum CanonicalJSON {
  public static func encode(_ value: JSONValue) -> String {
    JSONWriter.encode(sorted(value))
  }

  public static func sorted(_ value: JSONValue) -> JSONValue {
    switch value {
    case .array(let items): return .array(items.map(sorted))
    case .object(let members): return .object(members.sorted { $0.0 < $1.0 }.map { ($0.0, sorted($0.1)) })
    default: return value
    }
  }
}
