import ReplayEngine
import WALFormat

/// `serve`: DriftQ's HTTP API from a WAL directory, for DriftQ's SDKs, starters and tools.
struct ServeCommand: Command {
  static let addr = OptionSpec("addr", placeholder: "HOST:PORT", help: "Where to listen (port 0: any free port, printed).", environment: "DRIFTQ_ADDR", default: "127.0.0.1:8080")
  static let token = OptionSpec("token", placeholder: "TOKEN", help: "Require 'Authorization: Bearer TOKEN' on every request.", environment: "DRIFTQ_TOKEN")
  static let maxConnections = OptionSpec("max-connections", placeholder: "N", help: "Connections served at once; more get 503.", default: "256")
  static let maxHeaderBytes = OptionSpec("max-header-bytes", placeholder: "BYTES", help: "Largest request head; larger gets 431.", default: "16KiB")
  static let maxBodyBytes = OptionSpec("max-body-bytes", placeholder: "BYTES", help: "Largest request body; larger gets 413.", default: "16MiB")
  static let readTimeout = OptionSpec("read-timeout", placeholder: "DURATION", help: "Time to receive a whole request once it began; slower gets 408.", default: "10s")
  static let idleTimeout = OptionSpec("idle-timeout", placeholder: "DURATION", help: "Keep-alive connections idle this long are closed.", default: "60s")
  static let allowCommandSteps = OptionSpec.flag(
    "allow-command-steps", help: "Run workflow steps with a \"run\" command that clients send (/debug/run-spec, run-replay); off by default.")
  static let tlsCert = OptionSpec("tls-cert", placeholder: "FILE", help: "Serve HTTPS with this PEM certificate chain (with --tls-key).")
  static let tlsKey = OptionSpec("tls-key", placeholder: "FILE", help: "The PEM private key of --tls-cert.")
  // Flow control: DriftQ-Core's defaults (see ServeDefaults), each overridable.
  static let maxInflight = OptionSpec(
    "max-inflight", placeholder: "N", help: "Unacked leases a consume stream may hold per group and partition, as DriftQ-Core (0: no cap).",
    default: "2")
  static let defaultLease = OptionSpec(
    "default-lease-ms", placeholder: "MS", help: "Lease of a consume stream that sends no lease_ms, as DriftQ-Core.", default: "2000")
  static let maxPartitionMsgs = OptionSpec(
    "max-partition-msgs", placeholder: "N",
    help: "Answer produce 429 (Retry-After: 1) once a partition holds N messages past the slowest active group's committed offset, as DriftQ-Core (0: off).",
    default: "100")
  static let maxPartitionBytes = OptionSpec(
    "max-partition-bytes", placeholder: "BYTES", help: "The same limit in key+value bytes (0: off).", default: "64KiB")

  static let spec = CommandSpec(
    ["serve"], abstract: "Serve DriftQ's HTTP API (/v1/*, /metrics, /debug runs and topics) from the WAL directory.",
    discussion: """
      Loopback by default. Prints one line, 'listening on HOST:PORT', once it accepts connections.
      Every acknowledged write is fdatasynced; concurrent requests share fsyncs (group commit),
      and the next group is written while the last one syncs. Reads answer only what is synced.
      64 KiB of zeros are kept written ahead of the appends (a sync then skips the inode); other
      processes take them as the log's end, and they are cut off on exit.
      Run-starting /debug calls answer when the run ends; each run executes in a child process.
      Local commands may use the same directory at the same time. SIGINT/SIGTERM: stop accepting,
      finish the requests in flight, exit 0 (exit 1 when the writer had stopped after a failed
      write or sync; /v1/healthz answers 503 from that moment).
      Flow control starts as DriftQ-Core's: 2 unacked leases per group and partition, a 2000 ms
      lease, and 429 once a partition holds 100 messages or 64KiB unacked (topics created with
      their own --max-buffered-* keep those). A stream never receives a message it still holds.
      """,
    options: [
      addr, token, tlsCert, tlsKey, maxConnections, maxHeaderBytes, maxBodyBytes, readTimeout, idleTimeout, maxInflight, defaultLease,
      maxPartitionMsgs, maxPartitionBytes, allowCommandSteps,
    ],
    examples: ["driftqctl serve --addr 127.0.0.1:8080 --wal-dir /var/lib/driftq"])

  let globals: GlobalOptions
  let address: String
  let bearer: String?
  let connections: Int
  let limits: HTTPConnection.Limits
  let defaults: ServeDefaults
  let commandSteps: Bool
  /// `--tls-cert` and `--tls-key`, when HTTPS is served.
  let certificate: (cert: String, key: String)?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    address = args.value(Self.addr) ?? "127.0.0.1:8080"
    _ = args.value(Self.token)
    bearer = globals.token  // --token, --token-file or DRIFTQ_TOKEN, read once for both faces
    commandSteps = args.flag(Self.allowCommandSteps)
    switch (args.value(Self.tlsCert), args.value(Self.tlsKey)) {
    case (let cert?, let key?): certificate = (cert, key)
    case (nil, nil): certificate = nil
    default: throw UsageError("--tls-cert and --tls-key go together", command: Self.spec.path)
    }
    if bearer == nil && !Self.isLoopback(address) {
      throw UsageError("serving on \(address), beyond loopback, needs --token: anyone who can reach it could publish, ack and start runs", command: Self.spec.path)
    }
    connections = Int(try args.integer(Self.maxConnections, in: 1...100_000) ?? 256)
    var limits = HTTPConnection.Limits()
    limits.maxHeaderBytes = try args.byteSize(Self.maxHeaderBytes) ?? limits.maxHeaderBytes
    limits.maxBodyBytes = try args.byteSize(Self.maxBodyBytes) ?? limits.maxBodyBytes
    limits.readTimeoutMs = Int32(clamping: try args.duration(Self.readTimeout) ?? 10_000)
    limits.idleTimeoutMs = Int32(clamping: try args.duration(Self.idleTimeout) ?? 60_000)
    // Settings that would leave a server unable to answer anyone are mistakes, not choices.
    for (option, value) in [(Self.maxHeaderBytes, limits.maxHeaderBytes), (Self.maxBodyBytes, limits.maxBodyBytes)] where value < 1024 {
      throw UsageError("--\(option.name) must be at least 1KiB (got \(value) bytes): no request would fit", command: Self.spec.path)
    }
    for (option, value) in [(Self.readTimeout, limits.readTimeoutMs), (Self.idleTimeout, limits.idleTimeoutMs)] where value < 100 {
      throw UsageError("--\(option.name) must be at least 100ms (got \(value) ms)", command: Self.spec.path)
    }
    self.limits = limits
    var defaults = ServeDefaults.driftQCore
    if let cap = try args.integer(Self.maxInflight, in: 0...1_000_000) { defaults.maxInflight = cap == 0 ? nil : Int(cap) }
    defaults.leaseMs = try args.integer(Self.defaultLease, in: 1...86_400_000) ?? defaults.leaseMs
    defaults.producerLimits.maxBufferedMessages =
      try args.integer(Self.maxPartitionMsgs, in: 0...Int64(Int32.max)) ?? defaults.producerLimits.maxBufferedMessages
    defaults.producerLimits.maxBufferedBytes = try args.byteSize(Self.maxPartitionBytes).map { Int64($0) } ?? defaults.producerLimits.maxBufferedBytes
    self.defaults = defaults
  }

  /// Whether `HOST:PORT` listens on loopback only (127.0.0.0/8, ::1, localhost).
  static func isLoopback(_ address: String) -> Bool {
    let host = address.lastIndex(of: ":").map { String(address[..<$0]) } ?? address
    return host == "localhost" || host == "[::1]" || host == "::1" || host.hasPrefix("127.")
  }

  /// The zeros `serve` keeps written ahead of its appends: one sync in about 400 of 160-byte
  /// records grows the file; a poll by another process at the log's end reads at most this.
  static let preallocation = 64 << 10

  func run(in context: CommandContext) throws -> ExitStatus {
    // A certificate that cannot be used stops the start, before the directory is touched.
    let tls: TLSContext?
    do { tls = try certificate.map { try TLSContext.server(certificate: $0.cert, key: $0.key) } } catch {
      throw CommandFailure(.usage, "serve: \(error)")
    }
    // A long-lived writer keeps zeros written ahead of its appends: each sync then writes
    // only the data, not the inode (see WALOptions.preallocate).
    var globals = globals
    if globals.walOptions.sync == .always { globals.walOptions.preallocate = Self.preallocation }
    let backend = try LocalBackend.open(globals, context: context, creating: true)
    let service = BrokerService(backend: backend)
    let (listener, port) = try Socket.listen(address)
    // Everything before the last colon: "127.0.0.1", "[::1]", or "" for every address.
    let host = address.lastIndex(of: ":").map { String(address[..<$0]) } ?? ""
    let configuration = JSONValue.object([
      ("addr", .string(address)), ("wal_path", .string(backend.directory.path)), ("access_log", .bool(false)),
      ("engine_store", .string("file")), ("engine_wal", .string(backend.directory.walPath)),
      ("artifacts_dir", .string(backend.directory.path + "/artifacts")), ("log_level", .string("info")), ("log_format", .string("text")),
      ("max_partition_bytes", .int(defaults.producerLimits.maxBufferedBytes)),
      ("max_partition_msgs", .int(defaults.producerLimits.maxBufferedMessages)), ("max_inflight", .int(defaults.maxInflight ?? 0)),
      ("wal_sync_interval", .string("0s")), ("wal_buffer_bytes", .int(0)),
    ])
    var server: HTTPServer?
    let consume = ConsumeStream(service: service, defaults: defaults, isStopping: { server?.isStopping ?? false })
    let v1 = V1API(service: service, configuration: configuration, producerLimits: defaults.producerLimits)
    let router = Router(v1: v1, consume: consume, token: bearer, service: service, runs: DebugRunsAPI(service: service, sync: globals.walOptions.sync, commandSteps: commandSteps))
    server = HTTPServer(router: router, limits: limits, maxConnections: connections, tls: tls)
    context.stdout.line("listening on \(host.isEmpty ? "0.0.0.0" : host):\(port)")
    context.stdout.flush()
    server?.serve(listener: listener)
    do { try service.close() } catch { context.warn("could not cut the zeros written ahead of the log's end: \(error); the next writer cuts them") }
    if let failure = service.writerFailure {
      // Fail-stop: the exit status tells a supervisor the disk failed, not that we were asked to stop.
      throw CommandFailure(.failure, "serve stopped with its writer failed (\(failure.message)); writes answered 500 since then may or may not be in the log")
    }
    context.note("stopped: every request answered before the signal was written durably")
    return .success
  }
}
