import ReplayEngine

/// A saved set of face settings under a name (`prod`, `staging`): a server, the file that
/// holds its token (never the token), and a WAL directory. Each one is used only when neither
/// the command line nor the environment gives that setting.
struct Profile: Equatable, Sendable {
  var name: String
  var baseURL: String?
  /// Read when the profile's server is used; a profile never stores a token itself.
  var tokenFile: String?
  var walDirectory: String?

  static let maximumNameLength = 64

  /// What is wrong with `name` as a profile name, or nil: 1–64 letters, digits, `.`, `_` or
  /// `-`, not starting with `-` or `.` (so names are safe in files, shells and completion).
  static func problem(withName name: String) -> String? {
    if name.isEmpty { return "a profile name must not be empty" }
    if name.count > maximumNameLength { return "a profile name is at most \(maximumNameLength) characters" }
    let allowed = name.unicodeScalars.allSatisfy {
      ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)
    }
    if !allowed || name.hasPrefix("-") || name.hasPrefix(".") {
      return "invalid profile name \"\(name)\": use letters, digits, '.', '_' and '-' (not first)"
    }
    return nil
  }

  /// The profile as `profile show` and `profile list` print it in JSON: every setting, null
  /// when unset, so the shape never changes.
  func json(current: Bool) -> JSONValue {
    func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
    return .object([
      ("name", .string(name)), ("current", .bool(current)), ("base_url", text(baseURL)),
      ("token_file", text(tokenFile)), ("wal_dir", text(walDirectory)),
    ])
  }

  /// `base_url=… token_file=… wal_dir=…` for the settings it has.
  var settingsText: String {
    [("base_url", baseURL), ("token_file", tokenFile), ("wal_dir", walDirectory)]
      .compactMap { name, value in value.map { "\(name)=\($0)" } }.joined(separator: " ")
  }
}
