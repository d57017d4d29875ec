import ReplayEngine
import Synchronization
import WALFormat

/// Answers for message rows of a damaged checkpoint block: the log is folded up to the
/// checkpoint's LSN once (saying so on stderr), and the row is taken from that fold. Damage
/// found this late is rare (the checkpoint's own checksum passed), and never used as data.
final class CheckpointRecovery: Sendable {
  private let directory: WALDirectory
  private let lsn: UInt64
  private let context: CommandContext
  private let folded = Mutex<BrokerState?>(nil)

  init(directory: WALDirectory, lsn: UInt64, context: CommandContext) {
    self.directory = directory
    self.lsn = lsn
    self.context = context
  }

  /// The message at `offset` of `key` as the log has it. A log that cannot be folded ends
  /// the process with the reason (exit 3): there is nothing true left to answer with.
  @Sendable func message(_ key: PartitionKey, _ offset: Int64) -> StoredMessage {
    let state = folded.withLock { cached -> BrokerState? in
      if cached == nil { cached = fold() }
      return cached
    }
    guard let message = state?.topics[key.topic]?.partitions[safe: key.partition]?[safe: offset] else {
      fail("the log up to LSN \(lsn) has no message \(key.topic)/\(key.partition)@\(offset), which a checkpoint names")
    }
    return message
  }

  private func fold() -> BrokerState? {
    context.warn("a checkpoint block failed its checksum; folding the log up to LSN \(lsn) instead")
    var broker = BrokerState()
    var runs = RunsState()
    do { try LogFold.fold(WALLog(directory: directory), through: lsn, broker: &broker, runs: &runs) } catch {
      fail("folding the log: \(error)")
    }
    return broker
  }

  private func fail(_ message: String) -> Never {
    Entrypoint.stop(CommandFailure(.corruption, message), in: context)
  }
}
