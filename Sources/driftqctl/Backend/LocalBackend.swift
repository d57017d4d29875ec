import ReplayEngine
import WALFormat

/// One change to write: a broker event, a run event, or the active index pointer.
enum LogEvent {
  case broker(BrokerEvent)
  case run(RunEvent)
  case indexPointer(version: String, runID: String)
}

/// The local backend: a WAL directory opened in this process, its state folded in memory.
///
/// Reads fold the log; a change takes the writer lock, folds what other processes appended
/// since, decides against that fresh state, appends and fdatasyncs, and only then folds the
/// new events in and returns. So every process sharing the directory decides on the truth.
final class LocalBackend {
  let directory: WALDirectory
  let log: WALLog
  private(set) var state = BrokerState()
  private(set) var runs = RunsState()
  /// Set when the state was folded only up to a point (`--at`): nothing may be written.
  private(set) var asOf: LogPosition?
  private var fetcher: RecordFetcher
  private let context: CommandContext
  /// Bytes of log between writer checkpoints (0: writers make none).
  private let checkpointEvery: Int
  /// Log bytes folded since the state was last checkpointed (or loaded from one).
  private var bytesSinceCheckpoint = 0
  /// Log bytes this process had to fold at open, after the checkpoint it loaded.
  private var bytesFoldedAtOpen = 0
  /// Where the last folded record is (a checkpoint resumes after it).
  private var lastPosition: RecordPosition?
  /// The LSN of the last record folded (a checkpoint's, when the log after it is empty).
  private var lastFoldedLSN: UInt64 = 0
  /// Whether a fold `--at` stopped at a record after the point (so the point is in the log).
  private var stoppedAtPoint = false
  /// Checkpoints that could not be used: the next writer replaces and removes them.
  private var ignoredCheckpoints: [String] = []
  /// Progress of the fold at open (`showingProgress`), at a terminal only.
  private var foldMeter: ProgressMeter?

  private init(directory: WALDirectory, globals: GlobalOptions, context: CommandContext) {
    self.directory = directory
    self.context = context
    checkpointEvery = globals.checkpointEvery
    log = WALLog(directory: directory, options: globals.walOptions)
    fetcher = RecordFetcher(directory: directory)
    log.onTornTailRepaired = { repair in
      let kept = repair.copy.map { "; the bytes are kept in \($0)" } ?? ""
      context.warn("cut off a torn tail at \(repair.location): \(repair.bytesRemoved) bytes (\(repair.reason)); it was never acknowledged\(kept)")
    }
  }

  /// Opens the directory and folds its log. A missing directory is exit 4, unless `creating`
  /// (only `topics create` creates one: every other command needs a topic, so it needs one).
  /// With `asOf` (`--at`), the log is folded only up to that point: a read-only view of the
  /// past, through which nothing is written. With `showingProgress`, a long fold shows its
  /// progress on stderr at a terminal (for commands whose work is mostly the fold).
  static func open(
    _ globals: GlobalOptions, context: CommandContext, creating: Bool = false, asOf point: LogPosition? = nil, showingProgress: Bool = false
  ) throws -> LocalBackend {
    let directory: WALDirectory
    if creating {
      let (opened, created) = try WALDirectory.openOrCreate(globals.walDirectory)
      if created { context.note("created WAL directory \(globals.walDirectory)") }
      directory = opened
    } else {
      directory = try WALDirectory.open(globals.walDirectory)
    }
    if globals.walOptions.sync == .none && point == nil {
      context.warn("--sync none: writes are not fsynced; a crash can lose what this command reports as written")
    }
    let broker = LocalBackend(directory: directory, globals: globals, context: context)
    broker.asOf = point?.resolved(now: context.clock())
    try broker.loadCheckpoint()
    if showingProgress { broker.foldMeter = ProgressMeter(context, "folding the log", unit: .bytes, total: broker.bytesToFold()) }
    try broker.catchUp()
    broker.bytesFoldedAtOpen = broker.bytesSinceCheckpoint
    broker.foldMeter?.finish()
    broker.foldMeter = nil
    try broker.checkPointIsInTheLog(now: context.clock())
    return broker
  }

  /// Bytes of segment after the last record folded (a checkpoint's), for progress; an estimate
  /// (a segment that cannot be sized counts nothing).
  private func bytesToFold() -> Int? {
    guard let segments = try? directory.segments() else { return nil }
    let from = lastPosition?.segmentBaseLSN ?? 0
    let sizes = segments.filter { $0.baseLSN >= from }.map { (try? Syscalls.fileSize(atPath: $0.path)) ?? 0 }
    return max(0, sizes.reduce(0, +) - (lastPosition?.offset ?? 0))
  }

  /// Starts from the newest checkpoint that is intact and matches the log (then only the
  /// tail is folded). One that does not is ignored with a warning; the log is the truth.
  private func loadCheckpoint() throws {
    let store = CheckpointStore(directory: directory)
    let names = store.names()
    guard !names.isEmpty else { return }
    let limit = try lastLSNAsOf()
    for name in names {
      guard let lsn = CheckpointStore.lsn(ofName: name) else { continue }
      if let limit, lsn > limit { continue }
      let checkpoint: Checkpoint
      do {
        checkpoint = try store.load(name, recovery: CheckpointRecovery(directory: directory, lsn: lsn, context: context).message)
      } catch {
        ignore(name, "it is damaged (\(error))")
        continue
      }
      switch try log.resume(after: checkpoint.lastPosition, lsn: checkpoint.lsn, firstSegmentSalt: checkpoint.firstSegmentSalt) {
      case .resumed: break
      case .otherLog:
        ignore(name, "it does not match the log (the log was compacted or rewritten since)")
        continue
      case .lost(let what, let location):
        // Checkpoints cover only records that were synced: a log that no longer holds them
        // lost acknowledged writes to outside damage, which a fold must not paper over.
        throw WALError(.corruption, "checkpoint \(name) covers the log up to LSN \(checkpoint.lsn), but \(what): acknowledged records were lost (the log was truncated, zero-filled or a segment removed)", location: location)
      }
      state = checkpoint.broker
      runs = checkpoint.runs
      lastPosition = checkpoint.lastPosition
      lastFoldedLSN = checkpoint.lsn
      return
    }
  }

  /// The last LSN a fold `--at` this point takes in (nil: no limit). For a time, the first
  /// record stamped after it is found through the segments' seek indexes.
  private func lastLSNAsOf() throws -> UInt64? {
    switch asOf {
    case .lsn(let lsn)?: return lsn
    case .time(let time)?:
      let probe = WALLog(directory: directory, options: log.options)
      try probe.seek(toTime: WALTimestamp(nanoseconds: time.nanoseconds == .max ? .max : time.nanoseconds + 1))
      return try probe.next().map { $0.record.lsn - 1 }
    case .ago?, nil: return nil
    }
  }

  private func ignore(_ name: String, _ reason: String) {
    context.warn("checkpoint \(name) ignored: \(reason); the log is folded instead")
    ignoredCheckpoints.append(name)
  }

  /// Folds every record appended since the last call (by any process). When a compaction
  /// replaced the segments meanwhile, the positions held are stale: fold again from the start.
  func catchUp() throws {
    for attempt in 1... {
      do {
        if try log.isSuperseded() { refoldFromStart() }
        while let logged = try log.next() {
          if let asOf, asOf.isPassed(by: logged.record) {
            stoppedAtPoint = true
            return
          }
          try fold(logged)
        }
        return
      } catch let error as WALError where error.code == .superseded && attempt < 5 {
        refoldFromStart()
      }
    }
  }

  private func refoldFromStart() {
    state = BrokerState()
    runs = RunsState()
    bytesSinceCheckpoint = 0
    lastPosition = nil
    lastFoldedLSN = 0
    log.restart()
    fetcher = RecordFetcher(directory: directory)
  }

  /// Folds one record. A record the fold cannot apply (damage its checksums could not see, a
  /// record whose predecessors a salvage lost, a payload from a newer writer) is reported with
  /// its LSN and skipped: one bad record never makes the rest of the directory unreadable.
  private func fold(_ logged: LoggedRecord) throws {
    do {
      try LogFold.apply(logged.record, at: logged.position, broker: &state, runs: &runs)
    } catch {
      unappliedRecords += 1
      if unappliedRecords <= Self.unappliedWarnings {
        context.warn("record LSN \(logged.record.lsn) (\(logged.record.kind.name)) cannot be applied and is skipped: \(error.message)")
      } else if unappliedRecords == Self.unappliedWarnings + 1 {
        context.warn("more records cannot be applied; they are skipped too (run 'driftqctl wal dump' to see them)")
      }
    }
    counted(logged)
  }

  /// Records skipped by the fold, and how many of them are named on stderr.
  private(set) var unappliedRecords = 0
  private static let unappliedWarnings = 5

  /// `--at` must name a point the log has reached: an LSN it holds, a time not in the future.
  private func checkPointIsInTheLog(now: WALTimestamp) throws {
    switch asOf {
    case .lsn(let lsn)? where !stoppedAtPoint && lsn > lastFoldedLSN:
      throw CommandFailure(.usage, "--at \(lsn) is past the end of the log (its last LSN is \(lastFoldedLSN))")
    case .time(let time)? where time > now:
      throw CommandFailure(.usage, "--at @\(RFC3339.format(time)) is in the future")
    default:
      return
    }
  }

  private func counted(_ logged: LoggedRecord) {
    let frameLength = RecordFrame.frameLength(payloadLength: logged.record.payload.count)
    bytesSinceCheckpoint += frameLength
    foldMeter?.advance(by: frameLength)
    lastPosition = logged.position
    lastFoldedLSN = logged.record.lsn
  }

  /// Writes a checkpoint of the state now (`wal checkpoint`), under the writer lock.
  /// `progress` hears the message rows of each partition as they are stored.
  func checkpoint(progress: ((Int) -> Void)? = nil) throws -> CheckpointStore.Written? {
    try locked { _ in try writeCheckpoint(progress: progress) }
  }

  /// Under the lock and caught up: checkpoints the state, and removes checkpoints this
  /// process found unusable. Nil when the log is empty.
  private func writeCheckpoint(progress: ((Int) -> Void)? = nil) throws -> CheckpointStore.Written? {
    guard let lastPosition, let salt = try log.firstSegmentSalt() else { return nil }
    try log.syncDeferred()  // a checkpoint covers only synced records
    let store = CheckpointStore(directory: directory)
    let written: CheckpointStore.Written
    do {
      written = try store.write(broker: state, runs: runs, lsn: lastFoldedLSN, lastPosition: lastPosition, firstSegmentSalt: salt, progress: progress)
    } catch { throw WALError.io("write checkpoint in", store.path, error) }
    try store.adopt(written, into: &state, recovery: CheckpointRecovery(directory: directory, lsn: state.lastLSN, context: context).message)
    for name in ignoredCheckpoints where name != written.name { try? Syscalls.unlink(store.path + "/" + name) }
    ignoredCheckpoints = []
    bytesSinceCheckpoint = 0
    return written
  }

  /// After a write: a checkpoint when enough log accumulated since the last one, or when one
  /// found unusable needs replacing. A failure to write one is a warning: the append stands.
  /// A process that had to fold a long tail at open (past a sixteenth of the interval)
  /// checkpoints with its first write, so that the processes after it, such as one publish
  /// each, open from a checkpoint and fold little: opening costs the tail, not the interval.
  /// A deferred sync that fails here fails the write (and stops the writer).
  private func checkpointIfDue() throws {
    guard checkpointEvery > 0,
      bytesSinceCheckpoint >= checkpointEvery || bytesFoldedAtOpen >= checkpointEvery / 16 || !ignoredCheckpoints.isEmpty
    else { return }
    bytesFoldedAtOpen = 0
    try log.syncDeferred()
    do { _ = try writeCheckpoint() } catch {
      context.warn("could not write a checkpoint: \(error)")
      bytesSinceCheckpoint = 0
    }
  }

  /// Decides and durably applies a broker change. `decide` sees the state as of now, under
  /// the lock; its events are appended and fsynced before they are folded in and returned.
  func commit<T>(_ decide: (BrokerState, WALTimestamp) throws -> (events: [BrokerEvent], result: T)) throws -> T {
    try commitAll { broker, _, now in
      let (events, result) = try decide(broker, now)
      return (events.map { .broker($0) }, result)
    }
  }

  /// Decides and durably applies any change, broker and runs alike, in one write.
  func commitAll<T>(_ decide: (BrokerState, RunsState, WALTimestamp) throws -> (events: [LogEvent], result: T)) throws -> T {
    try locked { now in
      let (events, result) = try decide(state, runs, now)
      try write(events, times: nil, now: now)
      return result
    }
  }

  /// As `commitAll`, each record stamped with its event's own time when one is given: an
  /// import keeps the times its source recorded.
  func commitTimed<T>(_ decide: (BrokerState, RunsState, WALTimestamp) throws -> (events: [(LogEvent, WALTimestamp?)], result: T)) throws -> T {
    try locked { now in
      let (timed, result) = try decide(state, runs, now)
      try write(timed.map(\.0), times: timed.map(\.1), now: now)
      return result
    }
  }

  /// Cuts off the zeros the writer keeps ahead of its appends (`WALOptions.preallocate`), under
  /// the lock and caught up (another writer may have cut them already), so that the directory
  /// a long-lived writer leaves ends at its last record.
  func cutPreallocation() throws {
    _ = try locked { _ in try log.cutPreallocation() }
  }

  /// Runs `body` holding the writer lock, caught up with other writers, at the current time.
  private func locked<T>(_ body: (WALTimestamp) throws -> T) throws -> T {
    guard asOf == nil else { throw CommandFailure(.usage, "a state folded with --at is read-only") }
    try log.lockExclusive()
    defer { log.unlock() }
    try catchUp()
    return try body(context.clock())
  }

  /// Appends `events` (under the lock, caught up; each at its time in `times`, else `now`),
  /// fsynced, then folds them in. Events are reached by index, never copied out as a whole:
  /// on `publish --batch` a copy of each event cost as much as encoding it.
  private func write(_ events: [LogEvent], times: [WALTimestamp?]?, now: WALTimestamp) throws {
    guard !events.isEmpty else { return }
    var pending: [PendingRecord] = []
    pending.reserveCapacity(events.count)
    for index in events.indices {
      let stamp = times?[index] ?? now
      switch events[index] {
      case .broker(let brokerEvent):
        let (kind, payload) = EventCodec.encode(brokerEvent)
        pending.append(PendingRecord(kind: kind, timestamp: stamp, payload: payload))
      case .run(let runEvent):
        let payload = runEvent.encoded()
        // The writer never writes what the reader refuses: a run event nested deeper than the
        // parser allows (a long chain of steps passing their input on) would make every later
        // fold fail. It is refused here, and nothing of this write is appended.
        do { _ = try JSONParser.parse(bytes: payload) } catch {
          throw CommandFailure(.failure, "refused to write a \(runEvent.type) event of run \(runEvent.runID) that could not be read back (\(error)); nothing was written")
        }
        pending.append(PendingRecord(kind: .runEvent, timestamp: stamp, payload: payload))
      case .indexPointer(let version, let runID):
        pending.append(PendingRecord(kind: .indexPointer, timestamp: stamp, payload: Array(JSONWriter.encode(.object([("version", .string(version)), ("run_id", .string(runID))])).utf8)))
      }
    }
    let logged = try log.append(pending)
    for index in logged.indices {
      switch events[index] {
      case .broker(let brokerEvent): try state.apply(brokerEvent, writtenAs: logged[index].record, at: logged[index].position)
      case .run(let runEvent): try runs.apply(runEvent, writtenAs: logged[index].record)
      case .indexPointer: try runs.apply(logged[index].record)
      }
      counted(logged[index])
    }
    try checkpointIfDue()
  }

  /// The message stored at `position` (its bytes live only in the log): a published message,
  /// a DLQ copy, or a redriven message.
  func message(at position: RecordPosition) throws -> MessagePublished {
    let record = try fetcher.record(at: position)
    switch try EventCodec.decode(record) {
    case .messagePublished(let message)?: return message
    case .messageDeadLettered(let moved)?: return moved.copy
    case .messageRedriven(let redriven)?: return redriven.message
    default:
      throw WALError(.corruption, "the record at this position is not a message", location: RecordLocation(segment: SegmentName.fileName(baseLSN: position.segmentBaseLSN), offset: position.offset))
    }
  }

  /// Reads message bodies for decisions that copy them (dead-lettering, redrive).
  var loader: BrokerDecider.MessageLoader {
    { [unowned self] stored in try self.message(at: stored.position) }
  }
}
