import ReplayEngine
import WALFormat

/// `wal import`: a DriftQ-Core broker WAL into a new directory, verified by folding both.
struct WALImportCommand: Command {
  static let from = OptionSpec("from", placeholder: "FILE", help: "The DriftQ-Core broker WAL (its -wal file).", required: true)
  static let spec = CommandSpec(
    ["wal", "import"], abstract: "Import a DriftQ-Core broker WAL into a new WAL directory, verified by folding both.",
    discussion: """
      Topics, messages (keys, values, envelopes, DLQ metadata), committed offsets, retry states
      and consume idempotency keys. Offsets are renumbered per partition (DriftQ-Core v1 numbers
      them per topic). The directory must be new or empty; everything is written in one fsynced
      append, then the directory is folded again and compared with DriftQ-Core's own rebuild.
      """,
    options: [from],
    examples: ["driftqctl wal import --from /data/driftq.wal --wal-dir ./imported"])

  let globals: GlobalOptions
  let path: String

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    path = try args.name(Self.from)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    guard CoreBrokerWAL.recognizes(path) else { throw CommandFailure(.failure, "\(path) is not a DriftQ-Core broker WAL (JSON Lines with a numeric \"type\")") }
    let wal = try CoreBrokerWAL(path: path)
    if let c = wal.corruption {
      throw CommandFailure(.corruption, "\(path) line \(c.line) (byte \(c.byte)): \(c.message); nothing imported")
    }
    if let t = wal.tornTail { context.note("\(path): an unfinished last line (line \(t.line), \(t.length) bytes) is a torn tail and is not imported") }
    let core = CoreImport(try CoreBrokerState(wal))
    let backend = try LocalBackend.open(globals, context: context, creating: true)
    let summary = try backend.commitAll { broker, runs, now in
      guard broker.lastLSN == 0 && runs.order.isEmpty else {
        throw CommandFailure(.failure, "\(globals.walDirectory) already holds a log; import into a new or empty directory")
      }
      let (events, summary) = core.events(now: now)
      return (events.map { .broker($0) }, summary)
    }
    // Fold what was written afresh, from disk, and compare with DriftQ-Core's rebuild.
    let reopened = try LocalBackend.open(globals, context: context)
    let differences = try core.differences(from: reopened.state, load: reopened.message(at:))
    guard differences.isEmpty else {
      throw CommandFailure(.failure, "the imported directory does not fold to DriftQ-Core's state: " + differences.prefix(5).joined(separator: "; "))
    }
    switch globals.output {
    case .text:
      context.stdout.line("imported \(summary.topics) topics, \(summary.messages) messages, \(summary.offsets) committed offsets (\(summary.settled) messages settled), \(summary.retryStates) retry states, \(summary.consumeKeys) consume idempotency keys")
      if summary.retryStatesLeft > 0 { context.stdout.line("\(summary.retryStatesLeft) retry states were not after the settled messages: those messages are simply delivered again") }
      context.stdout.line("verified: \(globals.walDirectory) folds to the same topics, messages and committed offsets as \(path)")
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([
        ("ok", .bool(true)), ("from", .string(path)), ("directory", .string(globals.walDirectory)),
        ("topics", .int(summary.topics)), ("messages", .int(summary.messages)), ("committed_offsets", .int(summary.offsets)),
        ("settled", .int(summary.settled)), ("retry_states", .int(summary.retryStates)), ("retry_states_left", .int(summary.retryStatesLeft)),
        ("consume_keys", .int(summary.consumeKeys)), ("torn_tail", .bool(wal.tornTail != nil)), ("verified", .bool(true)),
      ])))
    }
    return .success
  }
}
