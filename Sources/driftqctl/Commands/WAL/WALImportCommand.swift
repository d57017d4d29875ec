import ReplayEngine
import WALFormat

/// `wal import`: a DriftQ-Core broker WAL into a new directory, verified by folding both.
struct WALImportCommand: Command {
  static let from = OptionSpec("from", placeholder: "FILE", help: "The DriftQ-Core broker WAL (its -wal file).", required: true)
  static let engineWAL = OptionSpec("engine-wal", placeholder: "FILE", help: "Also its engine WAL (-engine-wal): runs, events, the index pointer.")
  static let artifacts = OptionSpec("artifacts", placeholder: "DIR", help: "Also its artifacts directory (-artifacts-dir), each blob checked against its SHA-256.")
  static let spec = CommandSpec(
    ["wal", "import"], abstract: "Import DriftQ-Core's WALs (and artifacts) into a new WAL directory, verified by folding both.",
    discussion: """
      Topics, messages (keys, values, envelopes, DLQ metadata), committed offsets, retry states
      and consume idempotency keys. Offsets are renumbered per partition (DriftQ-Core v1 numbers
      them per topic). With --engine-wal, runs and their events (at their recorded times) and the
      active index version; with --artifacts, every artifact. The directory must be new or empty;
      everything is written in one fsynced append, then the directory is folded again and
      compared with DriftQ-Core's own rebuild.
      """,
    options: [from, engineWAL, artifacts],
    examples: ["driftqctl wal import --from /data/driftq.wal --engine-wal /data/driftq.engine.wal --artifacts /data/driftq.artifacts --wal-dir ./imported"])

  let globals: GlobalOptions
  let path: String
  let enginePath: String?
  let artifactsPath: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    path = try args.name(Self.from)
    enginePath = args.value(Self.engineWAL)
    artifactsPath = args.value(Self.artifacts)
  }

  /// A DriftQ-Core file of `format`, refused when corrupt (nothing is imported then).
  private func read(_ file: String, _ format: CoreWALFile.Format, _ context: CommandContext) throws -> CoreWALFile {
    guard CoreWALFile.recognize(file) == format else { throw CommandFailure(.failure, "\(file) is not a \(format.title)") }
    let meter = ProgressMeter(context, "reading \(file.split(separator: "/").last ?? "")", unit: .bytes, total: try? Syscalls.fileSize(atPath: file))
    let wal = try CoreWALFile(path: file, format: format) { meter?.advance(by: $0) }
    meter?.finish()
    if let c = wal.corruption {
      throw CommandFailure(.corruption, "\(file) line \(c.line) (byte \(c.byte)): \(c.message); nothing imported")
    }
    if let t = wal.tornTail { context.note("\(file): an unfinished last line (line \(t.line), \(t.length) bytes) is a torn tail and is not imported") }
    return wal
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let wal = try read(path, .broker, context)
    let core = CoreImport(try CoreBrokerState(wal))
    let engine = try enginePath.map { CoreRunsImport(state: try CoreEngineState(try read($0, .engine, context))) }
    let backend = try LocalBackend.open(globals, context: context, creating: true)
    // Artifacts first: a damaged blob stops the import before the log is written.
    var artifactCount = 0
    if let artifactsPath {
      let source = ArtifactStore(root: artifactsPath)
      let target = ArtifactStore(directory: backend.directory.path)
      let ids = try source.ids()
      let meter = ProgressMeter(context, "copying artifacts", unit: .records, total: ids.count)
      for id in ids {
        _ = try target.put(try source.bytes(id), meta: try source.meta(id), checkedID: id)
        artifactCount += 1
        meter?.advance(by: 1)
      }
      meter?.finish()
    }
    let summary = try backend.commitTimed { broker, runs, now in
      guard broker.lastLSN == 0 && runs.order.isEmpty else {
        throw CommandFailure(.failure, "\(globals.walDirectory) already holds a log; import into a new or empty directory")
      }
      let (events, summary) = core.events(now: now)
      return (events.map { (.broker($0), nil) } + (engine?.events() ?? []), summary)
    }
    // Fold what was written afresh, from disk, and compare with DriftQ-Core's rebuild.
    let reopened = try LocalBackend.open(globals, context: context, showingProgress: true)
    let meter = ProgressMeter(context, "comparing messages", unit: .records, total: summary.messages)
    let differences =
      try core.differences(from: reopened.state, load: reopened.message(at:), progress: { meter?.advance(by: $0) })
      + (engine?.differences(from: reopened.runs) ?? [])
    meter?.finish()
    guard differences.isEmpty else {
      throw CommandFailure(.failure, "the imported directory does not fold to DriftQ-Core's state: " + differences.prefix(5).joined(separator: "; "))
    }
    let runCount = engine?.state.runOrder.count ?? 0
    let document = JSONValue.object([
      ("ok", .bool(true)), ("from", .string(path)), ("directory", .string(globals.walDirectory)),
      ("topics", .int(summary.topics)), ("messages", .int(summary.messages)), ("committed_offsets", .int(summary.offsets)),
      ("settled", .int(summary.settled)), ("retry_states", .int(summary.retryStates)), ("retry_states_left", .int(summary.retryStatesLeft)),
      ("consume_keys", .int(summary.consumeKeys)), ("runs", .int(runCount)), ("run_events", .int(engine?.state.eventCount ?? 0)),
      ("artifacts", .int(artifactCount)), ("torn_tail", .bool(wal.tornTail != nil)), ("verified", .bool(true)),
    ])
    context.print(
      .object(document) { [artifactCount] in
        var lines = ["imported \(summary.topics) topics, \(summary.messages) messages, \(summary.offsets) committed offsets (\(summary.settled) messages settled), \(summary.retryStates) retry states, \(summary.consumeKeys) consume idempotency keys"]
        if let engine { lines.append("imported \(runCount) runs with \(engine.state.eventCount) events" + (engine.state.activeIndexVersion.map { ", active index version \($0)" } ?? "")) }
        if artifactsPath != nil { lines.append("imported \(artifactCount) artifacts (each checked against its SHA-256)") }
        if summary.retryStatesLeft > 0 { lines.append("\(summary.retryStatesLeft) retry states were not after the settled messages: those messages are simply delivered again") }
        lines.append("verified: \(globals.walDirectory) folds to the same topics, messages and committed offsets" + (engine == nil ? "" : ", runs and node executions") + " as DriftQ-Core's files")
        return Answer.lines(lines)
      }, as: globals.output)
    return .success
  }
}
