import WALFormat

/// Options every command accepts, before or after the command words, each with a
/// `DRIFTQ_*` environment variable.
extension OptionSpec {
  static let walDirectory = OptionSpec(
    "wal-dir", placeholder: "DIR", help: "The WAL directory to use (created by the first write).",
    environment: "DRIFTQ_WAL_DIR", default: "./driftq-data")
  static let output = OptionSpec(
    "output", short: "o", placeholder: "FORMAT", help: "Output format: text, json or ndjson.",
    environment: "DRIFTQ_OUTPUT", default: "text", values: .choices(OutputFormat.allCases.map(\.rawValue)))
  static let lockTimeout = OptionSpec(
    "lock-timeout", placeholder: "DURATION", help: "How long to wait for another process's writer lock.",
    environment: "DRIFTQ_LOCK_TIMEOUT", default: "10s")
  static let sync = OptionSpec(
    "sync", placeholder: "MODE", help: "always: fdatasync before anything is acknowledged; none: never (unsafe).",
    environment: "DRIFTQ_SYNC", default: "always", values: .choices(SyncPolicy.allCases.map(\.rawValue)))
  static let segmentSize = OptionSpec(
    "segment-size", placeholder: "BYTES", help: "Roll to a new segment past this size (e.g. 64MiB).",
    environment: "DRIFTQ_SEGMENT_SIZE", default: "64MiB")
  static let checkpointEvery = OptionSpec(
    "checkpoint-every", placeholder: "BYTES", help: "Writers checkpoint the folded state after this much new log (0: never).",
    environment: "DRIFTQ_CHECKPOINT_EVERY", default: "4MiB")
  static let baseURL = OptionSpec(
    "base-url", placeholder: "URL", help: "Talk to this DriftQ server (http:// or https://) instead of a local directory.",
    environment: "DRIFTQ_URL")
  static let caCert = OptionSpec(
    "cacert", placeholder: "FILE", help: "With an https:// --base-url: trust the CA certificates in FILE (PEM) instead of the system's.",
    environment: "DRIFTQ_CACERT")
  static let insecure = OptionSpec.flag(
    "insecure", help: "With an https:// --base-url: do not verify the server's certificate or name (unsafe; says so on stderr).")
  static let timeout = OptionSpec(
    "timeout", placeholder: "DURATION", help: "With --base-url: how long to wait for each answer of the server (default 5s; a consume stream is not cut by it, and a run is waited for unless given).",
    environment: "DRIFTQ_TIMEOUT", default: "5s")
  static let token = OptionSpec(
    "token", placeholder: "TOKEN", help: "With --base-url: send 'Authorization: Bearer TOKEN' (prefer DRIFTQ_TOKEN or --token-file: arguments are visible to other users).",
    environment: "DRIFTQ_TOKEN")
  static let tokenFile = OptionSpec(
    "token-file", placeholder: "FILE", help: "With --base-url: read the bearer token from FILE (its first line).",
    environment: "DRIFTQ_TOKEN_FILE")
  static let profile = OptionSpec(
    "profile", placeholder: "NAME", help: "Use this saved profile's settings where no option or variable gives them (see 'driftqctl profile').",
    environment: "DRIFTQ_PROFILE", values: .profile)
  static let help = OptionSpec.flag("help", short: "h", help: "Show help for the command.")
  static let version = OptionSpec.flag("version", help: "Print the version.")

  static let globals: [OptionSpec] = [
    .walDirectory, .baseURL, .timeout, .token, .tokenFile, .caCert, .insecure, .profile, .output, .lockTimeout, .sync, .segmentSize,
    .checkpointEvery, .help, .version,
  ]
  /// The options that choose the face and its credentials.
  static let faceOptions: [OptionSpec] = [.walDirectory, .baseURL, .token, .tokenFile, .profile]
}

/// How results are printed.
enum OutputFormat: String, Sendable, CaseIterable {
  case text, json, ndjson
}

/// The parsed global options.
struct GlobalOptions: Sendable {
  /// Which faces a command has: none (it works on neither), a directory only, or both.
  enum Faces: Sendable {
    case none, localOnly, both
  }

  var walDirectory: String
  var output: OutputFormat
  var walOptions: WALOptions
  /// Bytes of new log after which a writer checkpoints (0: never).
  var checkpointEvery: Int
  /// The server to talk to (nil: the local directory).
  var baseURL: String?
  /// Whether `baseURL` came from the command line (not from DRIFTQ_URL or a profile).
  var baseURLGiven = false
  /// The bearer token for the server (never printed).
  var token: String?
  /// `--cacert`: the CA certificates an https server is verified against (nil: the system's).
  var caFile: String?
  /// `--insecure`: https servers go unverified.
  var insecure = false
  /// `--profile` or DRIFTQ_PROFILE as given (nil: the current profile, if any).
  var profileName: String?
  /// `--timeout` as given: the only limit on a synchronous run (nil: wait for its end).
  var runTimeoutMs: Int64?
  /// How long to wait for any other answer.
  var requestTimeoutMs: Int64 { runTimeoutMs ?? 5000 }

  init(_ args: inout ParsedArguments, faces: Faces = .both) throws {
    output = try args.choice(.output, default: .text)
    var options = WALOptions()
    options.lockTimeoutMilliseconds = try args.duration(.lockTimeout) ?? 10_000
    options.sync = try args.choice(.sync, default: .always)
    options.segmentSize = try args.byteSize(.segmentSize) ?? (64 << 20)
    guard options.segmentSize >= WALOptions.minimumSegmentSize else {
      throw UsageError("--segment-size must be at least \(WALOptions.minimumSegmentSize) bytes")
    }
    walOptions = options
    checkpointEvery = try args.byteSize(.checkpointEvery) ?? (4 << 20)
    runTimeoutMs = try args.duration(.timeout)
    caFile = args.value(.caCert)
    insecure = args.flag(.insecure)
    if caFile != nil && insecure { throw UsageError("give --cacert or --insecure, not both") }
    profileName = args.value(.profile)
    if args.isGiven(.profile) && profileName?.isEmpty == true { throw UsageError("--profile must not be empty") }
    walDirectory = FaceSettings.defaultWALDirectory
    guard faces != .none else {
      // Accepted (a shell alias may add them) and left alone; a command may declare some of
      // these names itself (`profile set --base-url`), and then they are its own.
      for option in OptionSpec.faceOptions { _ = args.commandLineValue(option) }
      return
    }
    let flags = FaceSettings.Layer(
      walDirectory: args.commandLineValue(.walDirectory), baseURL: args.commandLineValue(.baseURL),
      token: args.commandLineValue(.token), tokenFile: args.commandLineValue(.tokenFile))
    if flags.walDirectory?.isEmpty == true { throw UsageError("--wal-dir must not be empty") }
    func variable(_ option: OptionSpec) -> String? {
      option.environment.flatMap { args.environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
    }
    let environment = FaceSettings.Layer(
      walDirectory: variable(.walDirectory), baseURL: variable(.baseURL), token: variable(.token), tokenFile: variable(.tokenFile))
    var profile: Profile?
    if profileName != nil || FaceSettings.profileMatters(flags: flags, environment: environment) {
      profile = try Self.profile(named: profileName, given: args.isGiven(.profile), environment: args.environment)
    }
    if faces == .localOnly {
      // A server (DRIFTQ_URL, a profile's) is for commands that have two faces; this one has
      // one, so only a --base-url the user typed is an error.
      if flags.baseURL != nil {
        throw UsageError("'\(args.command.name)' works on a local WAL directory only (drop --base-url)", command: args.command.path)
      }
      profile?.baseURL = nil
    }
    let settings = try FaceSettings.resolve(flags: flags, environment: environment, profile: profile)
    walDirectory = settings.walDirectory
    baseURL = faces == .localOnly ? nil : settings.baseURL
    baseURLGiven = settings.baseURLGiven
    switch settings.token {
    case nil: token = nil
    case .text(let text): token = text
    case .file(let path, let profile?): token = try Self.readToken(path, what: "the token file of profile \"\(profile)\"")
    case .file(let path, nil): token = try Self.readToken(path, what: "--token-file")
    }
    if token?.isEmpty == true { throw UsageError("the token is empty") }
    if let token, token.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) {
      throw UsageError("the token must be one word (no spaces or line breaks)")
    }
  }

  /// The profile named by `--profile`/DRIFTQ_PROFILE, else the current one, else nil (also
  /// when the environment names no profiles file and no profile was asked for).
  private static func profile(named name: String?, given: Bool, environment: [String: String]) throws -> Profile? {
    let source = given ? "--profile" : "DRIFTQ_PROFILE"
    guard let directory = ProfileStore.directory(in: environment) else {
      if name == nil { return nil }
      throw CommandFailure(.failure, "\(source) \(name ?? ""): cannot find the profiles file: set XDG_CONFIG_HOME or HOME to an absolute path")
    }
    return try ProfileStore(directory: directory).resolve(named: name, source: source)
  }

  /// The first line of a token file (at most 4 KiB).
  static func readToken(_ path: String, what: String) throws(UsageError) -> String {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(path, limit: 4096) } catch {
      throw UsageError("cannot read \(what) \(path): \(error)")
    }
    let line = bytes.prefix { $0 != 10 && $0 != 13 }
    guard let text = String(validating: line, as: UTF8.self) else { throw UsageError("\(what) \(path) is not UTF-8 text") }
    return text
  }

  /// The HTTP client for `--base-url`, or nil for the local backend.
  func remote(_ context: CommandContext) throws -> HTTPClient? {
    guard let baseURL else { return nil }
    let client = try HTTPClient(
      baseURL: baseURL, timeoutMs: requestTimeoutMs, runTimeoutMs: runTimeoutMs, token: token, caFile: caFile, insecure: insecure)
    if insecure && client.isTLS {
      context.warn("--insecure: the server's certificate and name are not verified; anyone on the path can read and change this traffic")
    }
    return client
  }

  /// Refuses `--base-url` for commands that work on a directory only.
  func requireLocal(_ command: String) throws {
    if baseURL != nil {
      throw CommandFailure(.usage, "'\(command)' works on a local WAL directory only (drop --base-url / DRIFTQ_URL)")
    }
  }
}
