import ReplayEngine

/// The profiles file's document: a version, the current profile's name, and the profiles.
///
/// ```
/// {
///   "version": 1,
///   "current": "prod",
///   "profiles": {
///     "prod": {"base_url": "http://10.0.0.5:8080", "token_file": "/home/me/.driftq/prod.token"}
///   }
/// }
/// ```
/// Pretty-printed so people can read and edit it. Reading is strict (an unknown key, a wrong
/// type or a newer version is damage that names the place), so a hand edit's typo is an error,
/// never a setting silently dropped.
struct ProfileFile: Equatable, Sendable {
  static let version = 1
  static let settingKeys = ["base_url", "token_file", "wal_dir"]

  /// The profile `profile use` chose, or nil.
  var current: String?
  /// Sorted by name.
  private(set) var profiles: [Profile] = []

  init() {}

  /// What is wrong with the file, in a sentence.
  struct Damage: Error, Sendable, CustomStringConvertible {
    var description: String
  }

  init(parsing bytes: [UInt8]) throws(Damage) {
    let document: JSONValue
    do { document = try JSONParser.parse(bytes: bytes) } catch { throw Damage(description: error.description) }
    guard case .object(let members) = document else { throw Damage(description: "the document is not a JSON object") }
    for (key, _) in members where !["version", "current", "profiles"].contains(key) {
      throw Damage(description: "unknown key \"\(key)\"")
    }
    guard let version = document["version"]?.int64Value else { throw Damage(description: "\"version\" is missing or not a number") }
    guard version == Int64(Self.version) else {
      throw Damage(description: "version \(version) is not one this driftqctl reads (\(Self.version)); a newer driftqctl wrote it")
    }
    switch document["current"] {
    case nil, .null?: current = nil
    case .string(let name)?: current = name
    case let other?: throw Damage(description: "\"current\" is a \(other.typeName), not a string")
    }
    guard case .object(let entries)? = document["profiles"] else { throw Damage(description: "\"profiles\" is missing or not an object") }
    for (name, entry) in entries {
      if let problem = Profile.problem(withName: name) { throw Damage(description: problem) }
      profiles.append(try Self.profile(name, entry))
    }
    profiles.sort { $0.name < $1.name }
  }

  private static func profile(_ name: String, _ entry: JSONValue) throws(Damage) -> Profile {
    guard case .object(let settings) = entry else { throw Damage(description: "profile \"\(name)\" is not an object") }
    var values: [String: String] = [:]
    for (key, value) in settings {
      guard settingKeys.contains(key) else {
        throw Damage(description: "profile \"\(name)\" has an unknown setting \"\(key)\" (known: \(settingKeys.joined(separator: ", ")))")
      }
      guard case .string(let text) = value, !text.isEmpty else {
        throw Damage(description: "profile \"\(name)\": \"\(key)\" must be a non-empty string")
      }
      values[key] = text
    }
    guard values["base_url"] != nil || values["wal_dir"] != nil else {
      throw Damage(description: "profile \"\(name)\" has neither \"base_url\" nor \"wal_dir\"")
    }
    return Profile(name: name, baseURL: values["base_url"], tokenFile: values["token_file"], walDirectory: values["wal_dir"])
  }

  subscript(name: String) -> Profile? { profiles.first { $0.name == name } }

  /// Adds `profile`, or replaces the one of that name; true when it replaced one.
  @discardableResult
  mutating func set(_ profile: Profile) -> Bool {
    let replaced = profiles.contains { $0.name == profile.name }
    profiles.removeAll { $0.name == profile.name }
    profiles.append(profile)
    profiles.sort { $0.name < $1.name }
    return replaced
  }

  /// Removes the profile (and makes no profile current if it was); false when there was none.
  mutating func delete(_ name: String) -> Bool {
    guard self[name] != nil else { return false }
    profiles.removeAll { $0.name == name }
    if current == name { current = nil }
    return true
  }

  /// The file's bytes, pretty-printed, ending in a newline.
  func encoded() -> [UInt8] {
    func entry(_ profile: Profile) -> JSONValue {
      let settings: [(String, String?)] = [("base_url", profile.baseURL), ("token_file", profile.tokenFile), ("wal_dir", profile.walDirectory)]
      return .object(settings.compactMap { key, value in value.map { (key, JSONValue.string($0)) } })
    }
    var text = "{\n  \"version\": \(Self.version),\n  \"current\": " + JSONWriter.encode(current.map(JSONValue.string) ?? .null) + ",\n"
    text += "  \"profiles\": {"
    text += profiles.map { "\n    " + JSONWriter.encode(.string($0.name)) + ": " + JSONWriter.encode(entry($0)) }.joined(separator: ",")
    text += profiles.isEmpty ? "}\n}\n" : "\n  }\n}\n"
    return Array(text.utf8)
  }
}
