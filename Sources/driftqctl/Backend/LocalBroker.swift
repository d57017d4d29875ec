import ReplayEngine
import WALFormat

/// The local backend: a WAL directory opened in this process, its state folded in memory.
///
/// Reads fold the log; a change takes the writer lock, folds what other processes appended
/// since, decides against that fresh state, appends and fdatasyncs, and only then folds the
/// new events in and returns. So every process sharing the directory decides on the truth.
final class LocalBroker {
  let directory: WALDirectory
  let log: WALLog
  private(set) var state = BrokerState()
  private let fetcher: RecordFetcher
  private let context: CommandContext

  private init(directory: WALDirectory, globals: GlobalOptions, context: CommandContext) {
    self.directory = directory
    self.context = context
    log = WALLog(directory: directory, options: globals.walOptions)
    fetcher = RecordFetcher(directory: directory)
    log.onTornTailRepaired = { repair in
      context.warn("cut off a torn tail at \(repair.location): \(repair.bytesRemoved) bytes (\(repair.reason)); it was never acknowledged")
    }
  }

  /// Opens the directory and folds its log. A missing directory is exit 4, unless `creating`
  /// (only `topics create` creates one: every other command needs a topic, so it needs one).
  static func open(_ globals: GlobalOptions, context: CommandContext, creating: Bool = false) throws -> LocalBroker {
    let directory: WALDirectory
    if creating {
      let (opened, created) = try WALDirectory.openOrCreate(globals.walDirectory)
      if created { context.note("created WAL directory \(globals.walDirectory)") }
      directory = opened
    } else {
      directory = try WALDirectory.open(globals.walDirectory)
    }
    if globals.walOptions.sync == .none {
      context.warn("--sync none: writes are not fsynced; a crash can lose what this command reports as written")
    }
    let broker = LocalBroker(directory: directory, globals: globals, context: context)
    try broker.catchUp()
    return broker
  }

  /// Folds every record appended since the last call (by any process).
  func catchUp() throws {
    while let logged = try log.next() {
      try state.apply(logged.record, at: logged.position)
    }
  }

  /// Decides and durably applies a change. `decide` sees the state as of now, under the lock;
  /// its events are appended and fsynced before they are folded in and before this returns.
  func commit<T>(_ decide: (BrokerState, WALTimestamp) throws -> (events: [BrokerEvent], result: T)) throws -> T {
    try log.lockExclusive()
    defer { log.unlock() }
    try catchUp()
    let now = context.clock()
    let (events, result) = try decide(state, now)
    guard !events.isEmpty else { return result }
    let pending = events.map { event -> PendingRecord in
      let (kind, payload) = EventCodec.encode(event)
      return PendingRecord(kind: kind, timestamp: now, payload: payload)
    }
    for (event, logged) in zip(events, try log.append(pending)) {
      try state.apply(event, writtenAs: logged.record, at: logged.position)
    }
    return result
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
