#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// `profile set NAME`: saves a profile (replacing one of that name whole), so that a team's
/// servers are named once instead of typed (with their tokens) on every command line.
struct ProfileSetCommand: Command {
  static let name = PositionalSpec("NAME", help: "The profile's name: letters, digits, '.', '_' and '-'.")
  static let baseURL = OptionSpec("base-url", placeholder: "URL", help: "The DriftQ server the profile talks to (as the global --base-url).")
  static let tokenFile = OptionSpec(
    "token-file", placeholder: "FILE", help: "The file whose first line is that server's bearer token (its path is saved, never the token).")
  static let walDirectory = OptionSpec(
    "wal-dir", placeholder: "DIR", help: "The profile's WAL directory: for commands that work on a directory only, or instead of a server.")

  static let spec = CommandSpec(
    ["profile", "set"], abstract: "Save a profile: a server and its token file, a WAL directory, or both.",
    discussion: """
      A profile's settings are used only where no option and no DRIFTQ_* variable gives them, and its
      server only when neither the command line nor the environment names a face. Relative paths are
      saved as absolute ones. Setting an existing profile replaces it whole. 'profile use NAME' makes it
      the current profile; --profile NAME or DRIFTQ_PROFILE uses it for one command.
      """,
    arguments: [name], options: [baseURL, tokenFile, walDirectory],
    examples: [
      "driftqctl profile set prod --base-url http://10.0.0.5:8080 --token-file ~/.config/driftq/prod.token",
      "driftqctl profile set local --wal-dir /var/lib/driftq",
    ])

  static let opensFace = false
  let globals: GlobalOptions
  let profile: Profile

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    let name = try args.positional(Self.name) ?? ""
    if let problem = Profile.problem(withName: name) { throw UsageError(problem, command: Self.spec.path) }
    if args.isGiven(.token) {
      throw UsageError("a profile stores a token file, never a token: put the token in a file only you can read and give --token-file", command: Self.spec.path)
    }
    let url = args.value(Self.baseURL)
    let tokenFile = args.value(Self.tokenFile)
    let directory = args.value(Self.walDirectory)
    guard url != nil || directory != nil else {
      throw UsageError("a profile needs --base-url, --wal-dir or both", command: Self.spec.path)
    }
    if tokenFile != nil && url == nil {
      throw UsageError("--token-file is for the profile's server: give --base-url too", command: Self.spec.path)
    }
    for (option, value) in [(Self.baseURL, url), (Self.tokenFile, tokenFile), (Self.walDirectory, directory)] where value?.isEmpty == true {
      throw UsageError("--\(option.name) must not be empty", command: Self.spec.path)
    }
    if let url {
      do { _ = try ServerURL(url) } catch { throw UsageError(error.description, command: Self.spec.path) }
    }
    profile = Profile(name: name, baseURL: url, tokenFile: tokenFile.map(Self.absolute), walDirectory: directory.map(Self.absolute))
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    if let tokenFile = profile.tokenFile {
      // Read once now so that a wrong path is found today, not at the first command that needs it.
      let token = try GlobalOptions.readToken(tokenFile, what: "--token-file")
      if token.isEmpty || token.contains(" ") { throw CommandFailure(.usage, "--token-file \(tokenFile): the first line must be one word, the token") }
    }
    let store = try ProfileStore.located(in: context.environment)
    let (replaced, current) = try store.update(lockTimeoutMs: globals.walOptions.lockTimeoutMilliseconds) { file in
      (file.set(profile), file.current == profile.name)
    }
    var members: [(String, JSONValue)] = []
    if case .object(let fields) = profile.json(current: current) { members = fields }
    context.print(
      .object(.object(members + [("replaced", .bool(replaced))])) { [profile] in
        "\(replaced ? "replaced" : "saved") profile \"\(profile.name)\" \(profile.settingsText)\n"
          + (current ? "" : "next: driftqctl profile use \(profile.name)\n")
      }, as: globals.output)
    return .success
  }

  /// `path` made absolute from the working directory, so the profile works from anywhere.
  static func absolute(_ path: String) -> String {
    guard !path.hasPrefix("/") else { return path }
    guard let buffer = getcwd(nil, 0) else { return path }
    defer { free(buffer) }
    let directory = String(cString: buffer)
    var relative = Substring(path)
    while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
    if relative == "." || relative.isEmpty { return directory }
    return (directory == "/" ? "" : directory) + "/" + relative
  }
}
