import ReplayEngine
import WALFormat

/// `wal compact`: rewrites the sealed segments keeping only what is still needed.
struct WALCompactCommand: Command {
  static let retainAcked = OptionSpec(
    "retain-acked", placeholder: "DURATION",
    help: "Keep settled messages (and their idempotency keys) published within this long (default 7d).")
  static let retainRuns = OptionSpec(
    "retain-runs", placeholder: "DURATION", help: "Keep finished runs whose last event is within this long (default 30d).")
  static let dryRun = OptionSpec.flag("dry-run", help: "Print what would be dropped and the bytes saved; change nothing.")
  static let keepArtifacts = OptionSpec.flag("keep-artifacts", help: "Do not remove artifacts no remaining run uses.")

  static let spec = CommandSpec(
    ["wal", "compact"], abstract: "Shrink a WAL directory: rewrite sealed segments without what is settled and old.",
    discussion: """
      Rewrites every segment but the newest into one. A partition drops the prefix of messages that
      every group settled (a topic no group consumes keeps all), published before --retain-acked,
      and, in a DLQ, redriven; with them go their deliveries, acks and idempotency keys. Finished
      runs older than --retain-runs go with their events; then artifacts no remaining run uses
      (and stored before that cutoff) are removed. Offsets never change. Everything else stays:
      unacked and in-flight messages, DLQ messages not redriven, committed offsets, live runs.
      The new segment is folded and compared with the old log before it is swapped in by one
      rename; a crash at any point leaves the old segments or the new one, never a mix. Writers
      and readers go on meanwhile (a writer waits for the rename at most). Memory does not grow
      with the message count: message rows move to unlinked scratch files beside the log every
      4 MiB (DRIFTQ_COMPACT_SPILL_ROWS rows).
      Exit status: 0 compacted, or nothing to do; 5 another compaction is running.
      Nightly from cron:  15 3 * * *  driftqctl --wal-dir /var/lib/driftq wal compact --retain-acked 7d
      """,
    options: [retainAcked, retainRuns, dryRun, keepArtifacts])

  let globals: GlobalOptions
  let policy: (acked: Int64, runs: Int64)
  /// The retention as given (for saying why records stay).
  let retentionText: (acked: String, runs: String)
  let isDryRun: Bool
  let keepsArtifacts: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    retentionText = (args.value(Self.retainAcked) ?? "7d", args.value(Self.retainRuns) ?? "30d")
    policy = (
      try args.duration(Self.retainAcked) ?? CompactionPolicy.defaultRetainAckedMs,
      try args.duration(Self.retainRuns) ?? CompactionPolicy.defaultRetainRunsMs
    )
    isDryRun = args.flag(Self.dryRun)
    keepsArtifacts = args.flag(Self.keepArtifacts)
  }

  /// The rows a fold holds in memory before spilling them: `DRIFTQ_COMPACT_SPILL_ROWS`, else
  /// 4 MiB of them.
  static func spillRows(_ environment: [String: String]) throws -> Int {
    guard let text = environment[Compactor.RowSpill.environmentKey] else { return Compactor.RowSpill.defaultRows }
    guard let rows = Int(text), rows > 0 else {
      throw CommandFailure(.usage, "\(Compactor.RowSpill.environmentKey) must be a number of rows above 0, not \"\(text)\"")
    }
    return rows
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let directory = try WALDirectory.open(globals.walDirectory)
    let compactor = Compactor(
      directory: directory, options: globals.walOptions,
      policy: CompactionPolicy(retainAckedMs: policy.acked, retainRunsMs: policy.runs, now: context.clock()),
      keepArtifacts: keepsArtifacts, crash: CrashPoint(environment: context.environment),
      spillRows: try Self.spillRows(context.environment))
    let meter = ProgressMeter(context, "copying kept records", unit: .records)
    compactor.onCopied = { meter?.advance(by: 1) }
    var report = try compactor.run(dryRun: isDryRun)
    meter?.finish()
    report.retention = retentionText
    context.print(.object(report.json) { Answer.lines(report.lines) }, as: globals.output)
    return .success
  }
}
