import ReplayEngine
import WALFormat

/// What every connection of `serve` shares: one backend, behind a lock, and a commit queue.
///
/// Group commit: requests queue their decisions; one thread at a time (the leader) takes
/// everything queued and decides it all against one fresh state in one write. Decisions in
/// one write share a `Batch`, so they see each other (consecutive offsets, a message acked
/// twice, a key produced twice).
///
/// Pipelined sync: the leader appends without syncing, so the next group is decided and
/// written while the syncer thread runs the fdatasync of the ones before; one sync covers
/// every write made before it began. Nothing is answered before the sync covering it: not a
/// write's outcome, not a read of a state holding unsynced writes.
///
/// Each waiting thread is woken alone, when its answer is durable or it is to lead the next
/// write: waking every thread on every write cost more CPU than the requests themselves.
final class BrokerService: @unchecked Sendable {
  // Invariant: `backend` is touched only with `stateLock` held; the queue and sync fields only
  // with `queueLock` held. Locks nest stateLock, then queueLock, never the other way.
  private let backend: LocalBackend
  private let stateLock = Monitor()
  private let queueLock = Monitor()
  private var queue: [Job] = []
  private var leading = false
  /// The threads waiting for an answer, each with its own wake-up.
  private var waiters: [Waiter] = []
  /// Writes made (group commits appended), and how many of them are known durable.
  private var written: UInt64 = 0
  private var synced: UInt64 = 0
  /// What the next sync must make durable; nil when the writes need no sync of their own.
  private var toSync: SegmentSync?
  /// Why a deferred sync failed: every write after the last durable one fails with it.
  private var syncFailure: (any Error)?
  /// Wakes the syncer thread (nil with `--sync none`: there is nothing to sync).
  private let syncerWake: Monitor.Condition?
  /// When each unsynced write began, and how many requests it answers (for `/metrics`).
  private var unsyncedWrites: [(write: UInt64, started: Stopwatch, requests: Int)] = []
  /// Bumped after every durable write, so streaming consumers wake when something changed.
  private(set) var generation: UInt64 = 0
  let metrics = ServerMetrics()
  let directory: String

  /// Decisions made in the same write see each other.
  typealias Batch = BrokerCommands.Batch

  final class Job {
    fileprivate let exclusive: Bool
    fileprivate let run: (BrokerState, RunsState, WALTimestamp, inout Batch) -> [LogEvent]
    // Invariant: `write` and `failure` are read and written with the service's `queueLock`
    // held (or after the job was seen finished under it).
    /// The write the job's decision went into (or, deciding nothing, the last write before it).
    fileprivate var write: UInt64?
    fileprivate var failure: (any Error)?
    init(exclusive: Bool, run: @escaping (BrokerState, RunsState, WALTimestamp, inout Batch) -> [LogEvent]) {
      self.exclusive = exclusive
      self.run = run
    }
  }

  /// A thread waiting for its jobs, or for a write it read, to be durable.
  private final class Waiter {
    let jobs: [Job]
    let write: UInt64?
    let wake: Monitor.Condition
    init(jobs: [Job], write: UInt64?, wake: Monitor.Condition) {
      self.jobs = jobs
      self.write = write
      self.wake = wake
    }
  }

  init(backend: LocalBackend) {
    self.backend = backend
    directory = backend.directory.path
    backend.log.defersSync = true
    syncerWake = backend.log.options.sync == .always ? queueLock.makeCondition() : nil
    if syncerWake != nil {
      Threads.spawn { [weak self] in
        while let service = self, service.syncOnce() {}
      }
    }
  }

  /// On a clean stop, after the last request: the directory ends at its last record again.
  func close() throws {
    try stateLock.withLock {
      guard backend.log.stopped == nil else { return }
      try backend.cutPreallocation()
    }
  }

  /// Why the writer stopped (a failed write or sync: it is fail-stop, never retried), or nil.
  var writerFailure: WALError? { stateLock.withLock { backend.log.stopped } }

  /// Reads the state (caught up with other processes' writes first).
  /// Answers once the writes it saw are synced: a state holding unsynced writes is not told.
  func read<T>(_ body: (BrokerState, RunsState) throws -> T) throws -> T {
    let (value, seen) = try stateLock.withLock {
      try backend.catchUp()
      let value = try body(backend.state, backend.runs)
      return (value, queueLock.withLock { written })
    }
    try queueLock.withLock {
      guard seen > synced else { return }
      let waiter = Waiter(jobs: [], write: seen, wake: queueLock.makeCondition())
      while !isFinished(waiter) { waitAlone(waiter) }
      if seen > synced, let syncFailure { throw syncFailure }
    }
    return value
  }

  /// A decision queued for a write; its result once `wait` saw it written.
  final class Pending<T> {
    fileprivate let job: Job
    fileprivate var result: Result<T, any Error>?
    fileprivate init(job: Job) { self.job = job }

    /// What `wait(jobs:)` waits for.
    var ticket: Job { job }

    /// The decision's result, or why it failed (the write, or the decision itself).
    func get() throws -> T {
      if let failure = job.failure { throw failure }
      guard let result else { throw CommandFailure(.failure, "the request was not decided") }
      return try result.get()
    }
  }

  /// Decides and durably writes one request's events, batched with concurrent requests.
  /// `exclusive` work (leasing messages) is written alone: it must see everything before it.
  func commit<T>(exclusive: Bool = false, _ decide: @escaping (BrokerState, RunsState, WALTimestamp, inout Batch) throws -> ([LogEvent], T)) throws -> T {
    let pending = enqueue(exclusive: exclusive, decide)
    wait(pending)
    return try pending.get()
  }

  /// Queues a decision for the next write without waiting: a connection's pipelined requests
  /// are all queued, then waited for together, and share one write.
  func enqueue<T>(exclusive: Bool = false, _ decide: @escaping (BrokerState, RunsState, WALTimestamp, inout Batch) throws -> ([LogEvent], T)) -> Pending<T> {
    var pending: Pending<T>?
    let job = Job(exclusive: exclusive) { broker, runs, now, batch in
      do {
        let (events, value) = try decide(broker, runs, now, &batch)
        pending?.result = .success(value)
        return events
      } catch {
        pending?.result = .failure(error)
        return []
      }
    }
    let made = Pending<T>(job: job)
    pending = made
    queueLock.withLock { queue.append(job) }
    return made
  }

  func wait<T>(_ pending: Pending<T>) { wait(jobs: [pending.job]) }

  /// Writes queued decisions (leading the writes, or waiting for the thread that does) until
  /// every one of `jobs` is durable or failed. A leader whose own answers are not yet synced
  /// goes on leading what queued meanwhile; one that is done hands the lead to a waiter.
  func wait(jobs: [Job]) {
    let waiter = Waiter(jobs: jobs, write: nil, wake: queueLock.makeCondition())
    while true {
      let batch: [Job]? = queueLock.withLock {
        while true {
          if isFinished(waiter) {
            if !leading && !queue.isEmpty { waiters.first { !isFinished($0) && $0.write == nil }?.wake.signal() }
            return nil
          }
          if !leading, !queue.isEmpty { return takeBatch() }
          waitAlone(waiter)
        }
      }
      guard let batch else { return }
      lead(batch)
    }
  }

  /// Waits on `waiter`'s own condition (with `queueLock` held) until it is woken; the timeout
  /// is a backstop, never the mechanism.
  private func waitAlone(_ waiter: Waiter) {
    waiters.append(waiter)
    waiter.wake.wait(milliseconds: 200)
    waiters.removeAll { $0 === waiter }
  }

  /// Whether `waiter` may go on: each job failed or synced, or the write it read synced. With
  /// `queueLock` held.
  private func isFinished(_ waiter: Waiter) -> Bool {
    if let write = waiter.write { return write <= synced || syncFailure != nil }
    return waiter.jobs.allSatisfy { job in
      if job.failure != nil { return true }
      guard let write = job.write else { return false }
      if write <= synced { return true }
      if let syncFailure {
        job.failure = syncFailure
        return true
      }
      return false
    }
  }

  /// The next write's jobs, taken from the queue (with `queueLock` held): everything queued,
  /// or an exclusive job alone.
  private func takeBatch() -> [Job] {
    leading = true
    if let first = queue.first, first.exclusive { return [queue.removeFirst()] }
    var batch: [Job] = []
    while let next = queue.first, !next.exclusive { batch.append(queue.removeFirst()) }
    return batch
  }

  /// Decides `batch` in one write, appended but (with `--sync always`) not yet synced.
  private func lead(_ batch: [Job]) {
    let started = Stopwatch()
    stateLock.withLock {
      var count = 0
      var failure: (any Error)?
      do {
        count = try backend.commitAll { broker, runs, now in
          var decided = Batch()
          var events: [LogEvent] = []
          for item in batch { events += item.run(broker, runs, now, &decided) }
          return (events, events.count)
        }
      } catch {
        failure = error
      }
      let segment = backend.log.takeUnsynced()
      queueLock.withLock {
        if count > 0 {
          written += 1
          unsyncedWrites.append((written, started, batch.count))
          if let segment { toSync = segment }
        }
        for item in batch {
          item.write = written
          item.failure = failure
        }
        leading = false
        if count > 0, let syncerWake, toSync != nil || synced < written - 1 {
          syncerWake.signal()
        } else if count > 0 {
          // Nothing to sync (--sync none, or a checkpoint synced it) and no sync running:
          // the write is as durable as the ones before it.
          markSynced(through: written)
        } else {
          wakeFinished()
        }
      }
    }
  }

  /// The syncer thread's turn: waits for unsynced writes, syncs them all with one fdatasync,
  /// and wakes the threads whose answers that made durable. False once the writer stopped.
  private func syncOnce() -> Bool {
    guard let syncerWake else { return false }
    let next: (through: UInt64, segment: SegmentSync?)? = queueLock.withLock {
      if synced >= written { syncerWake.wait(milliseconds: 1000) }
      guard synced < written else { return nil }
      defer { toSync = nil }
      return (written, toSync)
    }
    guard let (through, segment) = next else { return true }
    var failure: WALError?
    if let segment {
      do { try segment.sync() } catch { failure = error }
    }
    if let failure { stateLock.withLock { backend.log.stop(because: failure) } }
    return queueLock.withLock {
      if let failure {
        syncFailure = failure
        for waiter in waiters { waiter.wake.signal() }
        queueLock.broadcast()
        return false
      }
      markSynced(through: through)
      return true
    }
  }

  /// Records writes up to `write` as durable and wakes whoever that answers, with
  /// `queueLock` held.
  private func markSynced(through write: UInt64) {
    guard write > synced else { return }
    synced = write
    while let first = unsyncedWrites.first, first.write <= write {
      metrics.recordCommit(microseconds: first.started.microseconds, requests: first.requests)
      unsyncedWrites.removeFirst()
    }
    wakeFinished()
    // Only a write is news for streaming consumers (an empty decision would wake them all).
    generation &+= 1
    queueLock.broadcast()
  }

  /// Wakes every waiting thread that may go on (with `queueLock` held).
  private func wakeFinished() {
    for waiter in waiters where isFinished(waiter) { waiter.wake.signal() }
  }

  /// Waits until something is written (by this server) or `milliseconds` pass.
  func waitForChange(after seen: UInt64, milliseconds: Int) -> UInt64 {
    queueLock.withLock {
      if generation == seen { queueLock.wait(milliseconds: milliseconds) }
      return generation
    }
  }

  var currentGeneration: UInt64 { queueLock.withLock { generation } }

  /// A message's key, value and envelope, read from the log.
  func message(at position: RecordPosition) throws -> MessagePublished {
    try stateLock.withLock { try backend.message(at: position) }
  }

  /// Body reads for decisions inside `commit` (already under the state lock).
  var loader: BrokerDecider.MessageLoader { backend.loader }
}
