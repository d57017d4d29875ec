/// Which face a command works on, and with what, from three layers: the command line, then
/// the environment, then a profile, then the defaults.
///
/// Each setting is taken from the first layer that has it, except the face itself, which is
/// chosen whole so that no layer mixes with another's: an explicit `--wal-dir` beats every URL
/// (and `--wal-dir` with `--base-url` is a contradiction), `DRIFTQ_URL` beats a profile, and
/// `DRIFTQ_WAL_DIR` chooses the local face over a profile's server. A profile's token file is
/// read only when the profile's own server is the one used, so its token never goes elsewhere.
struct FaceSettings: Equatable, Sendable {
  /// What one layer says (nil: nothing).
  struct Layer: Equatable, Sendable {
    var walDirectory: String?
    var baseURL: String?
    var token: String?
    var tokenFile: String?
  }

  /// Where the bearer token comes from.
  enum Token: Equatable, Sendable {
    case text(String)
    /// Read from the first line of this file; `profile` names the profile that set it.
    case file(String, profile: String?)
  }

  static let defaultWALDirectory = "./driftq-data"

  var walDirectory = Self.defaultWALDirectory
  /// The server to talk to (nil: the local directory).
  var baseURL: String?
  /// Whether `baseURL` came from the command line (a usage error for a directory-only command).
  var baseURLGiven = false
  /// The profile whose server `baseURL` is, if it is one.
  var baseURLProfile: String?
  var token: Token?

  /// Whether a profile could supply anything: not when a WAL directory is named on the command
  /// line or in the environment, which settles the directory and makes the face local unless
  /// a URL is named too.
  static func profileMatters(flags: Layer, environment: Layer) -> Bool {
    flags.walDirectory == nil && environment.walDirectory == nil
  }

  /// `profile` is the profile in use (named, or current), with its name.
  static func resolve(flags: Layer, environment: Layer, profile: Profile?) throws(UsageError) -> FaceSettings {
    if flags.walDirectory != nil && flags.baseURL != nil {
      throw UsageError("give --wal-dir or --base-url, not both (a command works on one face)")
    }
    if flags.token != nil && flags.tokenFile != nil { throw UsageError("give --token or --token-file, not both") }
    var settings = FaceSettings()
    settings.walDirectory = flags.walDirectory ?? environment.walDirectory ?? profile?.walDirectory ?? Self.defaultWALDirectory
    if flags.walDirectory != nil {
      settings.baseURL = nil
    } else if let url = flags.baseURL {
      settings.baseURL = url
      settings.baseURLGiven = true
    } else if let url = environment.baseURL {
      settings.baseURL = url
    } else if environment.walDirectory == nil, let profile, let url = profile.baseURL {
      settings.baseURL = url
      settings.baseURLProfile = profile.name
    }
    if let file = flags.tokenFile {
      settings.token = .file(file, profile: nil)
    } else if let text = flags.token ?? environment.token {
      settings.token = .text(text)
    } else if let file = environment.tokenFile {
      settings.token = .file(file, profile: nil)
    } else if let name = settings.baseURLProfile, let file = profile?.tokenFile {
      settings.token = .file(file, profile: name)
    }
    return settings
  }
}
