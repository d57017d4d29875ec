import ReplayEngine
import WALFormat

/// What every connection of `serve` shares: one backend, behind a lock, and a commit queue.
///
/// Group commit: requests queue their decisions; one thread at a time (the leader) takes
/// everything queued, decides it all against one fresh state in one write, fsyncs once, and
/// wakes each request with its own answer. So N concurrent produces cost one fdatasync, and
/// nothing is answered before it is durable. Decisions in one write share a `Batch`, so they
/// see each other (consecutive offsets, a message acked twice, a key produced twice).
final class BrokerService: @unchecked Sendable {
  // Invariant: `backend` is touched only with `stateLock` held; the queue fields only with
  // `queueLock` held.
  private let backend: LocalBackend
  private let stateLock = Monitor()
  private let queueLock = Monitor()
  private var queue: [Job] = []
  private var leading = false
  /// Bumped after every write, so streaming consumers wake when something changed.
  private(set) var generation: UInt64 = 0
  let metrics = ServerMetrics()
  let directory: String

  /// Decisions made in the same write see each other.
  typealias Batch = BrokerCommands.Batch

  final class Job {
    fileprivate let exclusive: Bool
    fileprivate let run: (BrokerState, RunsState, WALTimestamp, inout Batch) -> [LogEvent]
    // Invariant: `done` and `failure` are read and written with the service's `queueLock` held
    // (or after `done` was seen true under it).
    fileprivate var done = false
    fileprivate var failure: (any Error)?
    init(exclusive: Bool, run: @escaping (BrokerState, RunsState, WALTimestamp, inout Batch) -> [LogEvent]) {
      self.exclusive = exclusive
      self.run = run
    }
  }

  init(backend: LocalBackend) {
    self.backend = backend
    directory = backend.directory.path
  }

  /// Why the writer stopped (a failed write or sync: it is fail-stop, never retried), or nil.
  var writerFailure: WALError? { stateLock.withLock { backend.log.stopped } }

  /// Reads the state (caught up with other processes' writes first).
  func read<T>(_ body: (BrokerState, RunsState) throws -> T) throws -> T {
    try stateLock.withLock {
      try backend.catchUp()
      return try body(backend.state, backend.runs)
    }
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
  /// every one of `jobs` is written.
  func wait(jobs: [Job]) {
    while true {
      let lead: [Job]? = queueLock.withLock {
        if jobs.allSatisfy(\.done) { return nil }
        if leading {
          queueLock.wait(milliseconds: 50)
          return []
        }
        var batch: [Job] = []
        if let first = queue.first, first.exclusive {
          batch = [queue.removeFirst()]
        } else {
          while let next = queue.first, !next.exclusive {
            batch.append(queue.removeFirst())
          }
        }
        leading = !batch.isEmpty
        return batch
      }
      guard let lead else { return }
      if lead.isEmpty { continue }
      let started = Stopwatch()
      var failure: (any Error)?
      var written = 0
      do {
        written = try stateLock.withLock {
          try backend.commitAll { broker, runs, now in
            var batch = Batch()
            var events: [LogEvent] = []
            for item in lead { events += item.run(broker, runs, now, &batch) }
            return (events, events.count)
          }
        }
      } catch {
        failure = error
      }
      if written > 0 { metrics.recordCommit(microseconds: started.microseconds, requests: lead.count) }
      queueLock.withLock {
        for item in lead {
          item.failure = failure
          item.done = true
        }
        leading = false
        // Only a write is news for streaming consumers (an empty decision would wake them all).
        if written > 0 { generation &+= 1 }
        queueLock.broadcast()
      }
    }
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
