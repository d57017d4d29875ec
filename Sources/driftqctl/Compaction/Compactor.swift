#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import ReplayEngine
import WALFormat

/// Rewrites a directory's sealed segments into one, keeping every record still needed.
///
/// 1. Under `DIR/COMPACT.LOCK` (one compaction at a time), fold the log up to the end of the
///    sealed segments and plan what goes (`CompactionPlan`); the whole log is read, so the
///    offsets and runs that records after the prefix act on stay.
/// 2. Copy the kept records into a new segment (with the plan's `log_compacted` record where
///    the first dropped record was), fsync it, fold it, and check the fold against the
///    original (`CompactionCheck`): a difference aborts, leaving the log untouched.
/// 3. Take the writer lock, check the records appended meanwhile do not touch what is
///    dropped, rename the new segment in, release the lock; remove the replaced files.
/// Writers and readers go on throughout; a writer waits for step 3's rename at most.
final class Compactor {
  let directory: WALDirectory
  let options: WALOptions
  let policy: CompactionPolicy
  let keepArtifacts: Bool
  /// Message rows a fold holds in memory before moving them out (`RowSpill`).
  let spillRows: Int
  private let artifacts: ArtifactStore
  private let crash: CrashPoint
  /// Hears of each record copied into the compacted segment (a progress meter).
  var onCopied: (() -> Void)?

  init(
    directory: WALDirectory, options: WALOptions, policy: CompactionPolicy, keepArtifacts: Bool, crash: CrashPoint, spillRows: Int
  ) {
    self.directory = directory
    self.spillRows = spillRows
    self.options = options
    self.policy = policy
    self.keepArtifacts = keepArtifacts
    self.crash = crash
    artifacts = ArtifactStore(directory: directory.path)
  }

  /// Compacts, or with `dryRun` only reports what compacting would do.
  /// - Throws: `CommandFailure(.unavailable)` when another compaction holds the lock.
  func run(dryRun: Bool) throws -> CompactionReport {
    let lock = try CompactionLock(directory)
    defer { withExtendedLifetime(lock) {} }
    if !dryRun { try CompactedSegmentWriter.removeLeftovers(directory) { _ in } }
    var report = CompactionReport(dryRun: dryRun)
    var segments = try directory.segments()
    report.bytesBefore = try Self.bytes(of: segments)
    report.bytesAfter = report.bytesBefore
    // A directory with no sealed segment (a small one) has its segment being written sealed
    // first, so that what it holds can be compacted; a dry run plans as if it were sealed.
    let onlyActive = segments.count == 1
    if onlyActive && !dryRun, try sealActiveSegment() {
      report.sealedActiveSegment = true
      segments = try directory.segments()
    }
    guard let first = segments.first, let newest = segments.last else { return report }
    let prefix: Prefix
    if onlyActive && dryRun {
      prefix = Prefix(first: first.baseLSN, last: try Self.nextLSN(directory, options) - 1, files: segments)
    } else {
      prefix = Prefix(first: first.baseLSN, last: newest.baseLSN - 1, files: Array(segments.dropLast()))
    }
    guard !prefix.files.isEmpty, prefix.last >= prefix.first else { return report }
    report.firstLSN = prefix.first
    report.lastLSN = prefix.last
    report.segmentsRewritten = prefix.files.count

    // 1. Plan from the state at the end of the prefix.
    let reader = WALLog(directory: directory, options: options)
    let spill = RowSpill(directory: directory, rows: spillRows)
    let folded = try Folded(reading: reader, through: prefix.last, spill: spill)
    try spill.checkIntact()
    let plan = CompactionPlan(
      broker: folded.broker, runs: folded.runs, policy: policy, tailFloors: folded.tailFloors, pinnedRuns: folded.pinnedRuns,
      deletions: folded.deletions)
    report.messagesDropped = plan.droppedMessages + folded.deletions.messages
    report.runsDropped = plan.droppedRuns.sorted()
    report.partitionStarts = plan.summary.starts.map { "\($0.topic)/\($0.partition)@\($0.offset)" }
    let sweep = keepArtifacts ? [] : try unreferencedArtifacts(plan, alsoUsedBy: folded)

    if plan.dropsNothing {
      return try removing(sweep, into: report, dryRun: dryRun)
    }

    // 2. Decide what stays (a dry run stops here), copy it, and check the copy folds the same.
    let kept = try KeptRecords(WALLog(directory: directory, options: options), prefix: prefix, plan: plan)
    report.recordsDropped = kept.dropped
    guard !dryRun else {
      report.bytesAfter = report.bytesBefore - (try Self.bytes(of: prefix.files)) + kept.bytes
      return try removing(sweep, into: report, dryRun: true)
    }
    let writer = try CompactedSegmentWriter(directory: directory, baseLSN: prefix.first, endLSN: prefix.last)
    do {
      try copy(kept, of: prefix, into: writer)
      try writer.finish()
      crash.pass("written")
      try check(writer, against: folded, plan: plan, prefix: prefix, spill: spill)
      // 3. Swap under the writer lock, after checking what was appended meanwhile.
      try reader.lockExclusive()
      defer { reader.unlock() }
      try folded.readTail(of: reader, conflictingWith: plan)
      crash.pass("locked")
      try writer.swapIn()
      crash.pass("swapped")
      // Checkpoints hold positions in the segments just replaced.
      CheckpointStore(directory: directory).removeAll()
    } catch {
      try? Syscalls.unlink(writer.temporaryPath)
      throw error
    }
    try CompactedSegmentWriter.removeLeftovers(directory) { removed in crash.pass("removed:\(removed)") }
    report.bytesAfter = try Self.bytes(of: try directory.segments())
    return try removing(sweep, into: report, dryRun: false)
  }

  /// Seals the segment being written under the writer lock (see `WALLog.sealSegment`).
  private func sealActiveSegment() throws -> Bool {
    let log = WALLog(directory: directory, options: options)
    try log.lockExclusive()
    defer { log.unlock() }
    while try log.next() != nil {}
    return try log.sealSegment()
  }

  /// The LSN the next record would get (the log read to its end).
  private static func nextLSN(_ directory: WALDirectory, _ options: WALOptions) throws -> UInt64 {
    let log = WALLog(directory: directory, options: options)
    var last: UInt64 = 0
    while let logged = try log.next() { last = logged.record.lsn }
    return last + 1
  }

  /// The sealed prefix: every segment but the newest.
  struct Prefix {
    var first: UInt64
    var last: UInt64
    var files: [SegmentFile]
  }

  /// Writes the prefix's records as `kept` has them into `writer`.
  private func copy(_ kept: KeptRecords, of prefix: Prefix, into writer: CompactedSegmentWriter) throws {
    let log = WALLog(directory: directory, options: options)
    while let logged = try log.next(), logged.record.lsn <= prefix.last {
      guard let record = kept.replacement(for: logged.record) else { continue }
      try writer.append(record)
      onCopied?()
      crash.pass("copied:\(record.lsn)")
    }
  }

  /// Folds the new segment on its own and compares it with the original fold, then folds
  /// the records after the prefix on top: they must still apply.
  private func check(_ writer: CompactedSegmentWriter, against original: Folded, plan: CompactionPlan, prefix: Prefix, spill: RowSpill) throws {
    let file = SegmentFile(name: writer.target.name, path: writer.temporaryPath, baseLSN: writer.target.baseLSN)
    guard case .success(let scanner) = SegmentScanner.open(file) else {
      throw CommandFailure(.failure, "compaction aborted: the new segment does not read back")
    }
    var broker = BrokerState()
    var runs = RunsState()
    scan: while true {
      switch try scanner.step() {
      case .frame(let header, let offset, _):
        let record = WALRecord(header: header, payload: scanner.payload())
        try LogFold.apply(record, at: RecordPosition(segmentBaseLSN: file.baseLSN, offset: offset), broker: &broker, runs: &runs)
        try spill.folded(into: &broker)
      case .end: break scan
      case .damaged(let damage): throw CommandFailure(.failure, "compaction aborted: the new segment reads back damaged: \(damage)")
      }
    }
    let differences = CompactionCheck.differences(
      before: original.broker, beforeRuns: original.runs, after: broker, afterRuns: runs, droppedRuns: plan.droppedRuns)
    try spill.checkIntact()
    guard differences.isEmpty else {
      throw CommandFailure(.failure, "compaction aborted, the log is unchanged: the compacted records fold differently (\(differences.prefix(3).joined(separator: "; ")))")
    }
    let tail = WALLog(directory: directory, options: options)
    try tail.seek(toLSN: prefix.last + 1)
    do {
      try LogFold.fold(tail, broker: &broker, runs: &runs)
    } catch let error as ReplayError {
      throw CommandFailure(.failure, "compaction aborted, the log is unchanged: later records would not fold on the compacted ones (\(error))")
    }
  }

  /// Artifacts no remaining run names, stored before the runs retention cutoff (an artifact
  /// younger than that may belong to a step whose event is not written yet).
  private func unreferencedArtifacts(_ plan: CompactionPlan, alsoUsedBy folded: Folded) throws -> [String] {
    let used = folded.artifactsInUse(besides: plan.droppedRuns)
    let cutoff = policy.runsCutoff
    var unused: [String] = []
    for id in try artifacts.ids() where !used.contains(id) {
      if let storedAt = try? artifacts.storedAt(id), storedAt < cutoff { unused.append(id) }
    }
    return unused
  }

  private func removing(_ ids: [String], into report: CompactionReport, dryRun: Bool) throws -> CompactionReport {
    var report = report
    report.artifactsRemoved = ids
    for id in ids {
      report.artifactBytesRemoved += dryRun ? artifacts.size(id) : try artifacts.remove(id)
    }
    return report
  }

  static func bytes(of files: [SegmentFile]) throws -> Int {
    var total = 0
    for file in files {
      do { total += try Syscalls.fileSize(atPath: file.path) } catch { throw WALError.io("stat", file.path, error) }
    }
    return total
  }
}
