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
    "base-url", placeholder: "URL", help: "Talk to this DriftQ server (http://) instead of a local directory.",
    environment: "DRIFTQ_URL")
  static let timeout = OptionSpec(
    "timeout", placeholder: "DURATION", help: "With --base-url: how long to wait for each answer of the server (default 5s; a consume stream is not cut by it, and a run is waited for unless given).",
    environment: "DRIFTQ_TIMEOUT", default: "5s")
  static let token = OptionSpec(
    "token", placeholder: "TOKEN", help: "With --base-url: send 'Authorization: Bearer TOKEN' (prefer DRIFTQ_TOKEN or --token-file: arguments are visible to other users).",
    environment: "DRIFTQ_TOKEN")
  static let tokenFile = OptionSpec(
    "token-file", placeholder: "FILE", help: "With --base-url: read the bearer token from FILE (its first line).",
    environment: "DRIFTQ_TOKEN_FILE")
  static let help = OptionSpec.flag("help", short: "h", help: "Show help for the command.")
  static let version = OptionSpec.flag("version", help: "Print the version.")

  static let globals: [OptionSpec] = [.walDirectory, .baseURL, .timeout, .token, .tokenFile, .output, .lockTimeout, .sync, .segmentSize, .checkpointEvery, .help, .version]
}

/// How results are printed.
enum OutputFormat: String, Sendable, CaseIterable {
  case text, json, ndjson
}

/// The parsed global options.
struct GlobalOptions: Sendable {
  var walDirectory: String
  var output: OutputFormat
  var walOptions: WALOptions
  /// Bytes of new log after which a writer checkpoints (0: never).
  var checkpointEvery: Int
  /// The server to talk to (nil: the local directory).
  var baseURL: String?
  /// Whether `baseURL` came from the command line (not from DRIFTQ_URL).
  var baseURLGiven = false
  /// The bearer token for the server (never printed).
  var token: String?
  /// `--timeout` as given: the only limit on a synchronous run (nil: wait for its end).
  var runTimeoutMs: Int64?
  /// How long to wait for any other answer.
  var requestTimeoutMs: Int64 { runTimeoutMs ?? 5000 }

  init(_ args: inout ParsedArguments) throws(UsageError) {
    walDirectory = args.value(.walDirectory) ?? "./driftq-data"
    if walDirectory.isEmpty { throw UsageError("--wal-dir must not be empty") }
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
    // Flag > environment > default, per face: an explicit --wal-dir beats DRIFTQ_URL, and
    // both faces on the command line is a contradiction.
    if args.isGiven(.walDirectory) && args.isGiven(.baseURL) {
      throw UsageError("give --wal-dir or --base-url, not both (a command works on one face)")
    }
    baseURLGiven = args.isGiven(.baseURL)
    let url = args.value(.baseURL)
    baseURL = args.isGiven(.walDirectory) ? nil : url
    runTimeoutMs = try args.duration(.timeout)
    let fileGiven = args.isGiven(.tokenFile)
    if args.isGiven(.token) && fileGiven { throw UsageError("give --token or --token-file, not both") }
    let tokenText = args.value(.token)
    let tokenPath = args.value(.tokenFile)
    if let tokenPath, fileGiven || tokenText == nil {
      token = try Self.readToken(tokenPath)
    } else {
      token = tokenText
    }
    if token?.isEmpty == true { throw UsageError("the token is empty") }
    if let token, token.contains(where: { $0 == "\r" || $0 == "\n" || $0 == " " }) {
      throw UsageError("the token must be one word (no spaces or line breaks)")
    }
  }

  /// The first line of a token file (at most 4 KiB).
  private static func readToken(_ path: String) throws(UsageError) -> String {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(path, limit: 4096) } catch {
      throw UsageError("cannot read --token-file \(path): \(error)")
    }
    let line = bytes.prefix { $0 != 10 && $0 != 13 }
    guard let text = String(validating: line, as: UTF8.self) else { throw UsageError("--token-file \(path) is not UTF-8 text") }
    return text
  }

  /// The HTTP client for `--base-url`, or nil for the local backend.
  func remote() throws -> HTTPClient? {
    guard let baseURL else { return nil }
    return try HTTPClient(baseURL: baseURL, timeoutMs: requestTimeoutMs, runTimeoutMs: runTimeoutMs, token: token)
  }

  /// Refuses `--base-url` for commands that work on a directory only.
  func requireLocal(_ command: String) throws {
    if baseURL != nil {
      throw CommandFailure(.usage, "'\(command)' works on a local WAL directory only (drop --base-url / DRIFTQ_URL)")
    }
  }
}
