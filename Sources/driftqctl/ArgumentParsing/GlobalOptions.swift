import WALFormat

/// Options every command accepts, before or after the command words, each with a
/// `DRIFTQ_*` environment variable.
extension OptionSpec {
  static let walDirectory = OptionSpec(
    "wal-dir", placeholder: "DIR", help: "The WAL directory to use (created by the first write).",
    environment: "DRIFTQ_WAL_DIR", default: "./driftq-data")
  static let output = OptionSpec(
    "output", short: "o", placeholder: "FORMAT", help: "Output format: text, json or ndjson.",
    environment: "DRIFTQ_OUTPUT", default: "text")
  static let lockTimeout = OptionSpec(
    "lock-timeout", placeholder: "DURATION", help: "How long to wait for another process's writer lock.",
    environment: "DRIFTQ_LOCK_TIMEOUT", default: "10s")
  static let sync = OptionSpec(
    "sync", placeholder: "MODE", help: "always: fdatasync before anything is acknowledged; none: never (unsafe).",
    environment: "DRIFTQ_SYNC", default: "always")
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
    "timeout", placeholder: "DURATION", help: "With --base-url: how long to wait for a server's answer (default 5s; a stream or a run is waited for unless given).",
    environment: "DRIFTQ_TIMEOUT", default: "5s")
  static let help = OptionSpec.flag("help", short: "h", help: "Show help for the command.")
  static let version = OptionSpec.flag("version", help: "Print the version.")

  static let globals: [OptionSpec] = [.walDirectory, .baseURL, .timeout, .output, .lockTimeout, .sync, .segmentSize, .checkpointEvery, .help, .version]
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
    baseURL = args.value(.baseURL)
    runTimeoutMs = try args.duration(.timeout)
  }

  /// The HTTP client for `--base-url`, or nil for the local backend.
  func remote() throws -> HTTPClient? {
    guard let baseURL else { return nil }
    return try HTTPClient(baseURL: baseURL, timeoutMs: requestTimeoutMs, runTimeoutMs: runTimeoutMs)
  }

  /// Refuses `--base-url` for commands that work on a directory only.
  func requireLocal(_ command: String) throws {
    if baseURL != nil {
      throw CommandFailure(.usage, "'\(command)' works on a local WAL directory only (drop --base-url / DRIFTQ_URL)")
    }
  }
}
