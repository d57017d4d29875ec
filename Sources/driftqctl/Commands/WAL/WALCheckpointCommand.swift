import ReplayEngine
import WALFormat

/// `wal checkpoint`: snapshots the folded state now, so the next open folds only what follows.
struct WALCheckpointCommand: Command {
  static let spec = CommandSpec(
    ["wal", "checkpoint"], abstract: "Write a checkpoint of the folded broker and run state now.",
    discussion: """
      A checkpoint is a derived snapshot of the state folded up to the last record, in
      DIR/checkpoints: opening the directory loads the newest valid one and folds only the log
      after it. Message rows go to append-only rows files that later checkpoints extend, so a
      checkpoint writes only what is new. Writers make one by themselves after every
      --checkpoint-every of new log (default 4MiB); this makes one on demand (before a
      backup, or after a large import). A damaged or stale checkpoint is ignored with a warning
      and replaced by the next one; the log stays the only source of truth.
      """,
    options: [])

  let globals: GlobalOptions

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    // Progress at a terminal: the fold of the log (most of the time), then the rows stored.
    let backend = try LocalBackend.open(globals, context: context, showingProgress: true)
    let rows = backend.state.topics.values.reduce(0) { $0 + $1.messageCount }
    let meter = ProgressMeter(context, "storing message rows", unit: .records, total: rows)
    let checkpoint = try backend.checkpoint { meter?.advance(by: $0) }
    meter?.finish()
    guard let written = checkpoint else {
      context.note("the log is empty: nothing to checkpoint")
      return .success
    }
    let messages = backend.state.topics.values.reduce(0) { $0 + $1.messageCount }
    let state = backend.state, runs = backend.runs.runs.count
    let members: [(String, JSONValue)] = [
      ("checkpoint", .string(written.name)), ("lsn", .int(state.lastLSN)),
      ("topics", .int(state.topics.count)), ("messages", .int(messages)),
      ("runs", .int(runs)), ("state_bytes", .int(written.bytes)),
      ("rows_written", .int(written.rowsWritten)),
    ]
    context.print(
      .object(.object(members)) {
        "checkpoint \(written.name) at LSN \(CheckpointStore.lsn(ofName: written.name) ?? state.lastLSN): \(state.topics.count) topics, \(messages) messages, \(runs) runs; \(written.bytes) bytes of state, \(written.rowsWritten) message rows written\n"
      }, as: globals.output)
    return .success
  }
}
