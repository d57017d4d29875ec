#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// Where a command step's log lives: while the attempt runs, an append-only spool,
/// `DIR/runs/<run>.<node>.<attempt>.steplog`, that other processes read as it grows
/// (`runs logs --follow`); when it ends, an artifact (`kind: step_log`) that its event names.
/// The spool is always a prefix of the artifact, so a reader goes on from the same offset
/// when the attempt is sealed under it.
enum RunLogs {
  /// What a read of a log gives.
  enum Source: String {
    /// The sealed artifact: the log is whole.
    case artifact
    /// The spool of an attempt that runs (or whose process stopped before sealing it).
    case spool
    /// Nothing yet, or nothing ever (a built-in handler, a command that did not start).
    case none
  }

  /// Part of a log from an offset: complete records only (unless the log is complete).
  struct Chunk {
    var bytes: [UInt8]
    var source: Source
    /// Whether the log will not grow: sealed, or the attempt ended without sealing it.
    var complete: Bool
    /// The log's size when read.
    var size: Int
  }

  /// Bytes one HTTP answer carries at most (a client asks again for more).
  static let chunkLimit = 1 << 20

  static func spoolDirectory(_ directory: String) -> String { directory + "/runs" }

  static func spoolPath(directory: String, runID: String, nodeID: String, attempt: Int) -> String {
    let node = "\(nodeID.utf8.count)-\(SHA256.hex(Array(nodeID.utf8)).prefix(16))"
    return "\(spoolDirectory(directory))/\(RunLocks.safeName(runID)).\(node).\(attempt).steplog"
  }

  /// A new, empty spool open for appending; nil when it cannot be made (the attempt is then
  /// still captured, and sealed when it ends, but cannot be followed).
  static func openSpool(directory: String, runID: String, nodeID: String, attempt: Int) -> Int32? {
    let path = spoolPath(directory: directory, runID: runID, nodeID: nodeID, attempt: attempt)
    try? Syscalls.makeDirectory(spoolDirectory(directory))
    return try? Syscalls.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC)
  }

  static func removeSpool(directory: String, runID: String, nodeID: String, attempt: Int) {
    try? Syscalls.unlink(spoolPath(directory: directory, runID: runID, nodeID: nodeID, attempt: attempt))
  }

  /// Seals a finished capture into the store: the reference its event records.
  static func seal(_ capture: StepLogCapture, run: WorkflowRun, nodeID: String, attempt: Int, store: ArtifactStore, now: WALTimestamp) throws -> StepLogRef {
    let bytes = capture.finish()
    let meta = try store.put(bytes, meta: ArtifactMeta(
      id: "", contentType: "application/x-ndjson", size: 0, createdAt: now, runID: run.runID, workflowID: run.workflowID,
      nodeID: nodeID, attempt: attempt, labels: ["kind": "step_log"], description: "stdout and stderr of node \(nodeID) attempt \(attempt)",
      originalName: "\(nodeID).\(attempt).log.ndjson"))
    return StepLogRef(artifactID: meta.id, bytes: bytes.count, lines: capture.lines, droppedBytes: capture.droppedBytes, droppedLines: capture.droppedLines)
  }

  /// At most `limit` bytes of `execution`'s log from `offset`, from its artifact when sealed,
  /// else from its spool.
  static func chunk(_ execution: NodeExecution, runID: String, from offset: Int, limit: Int, directory: String) throws -> Chunk {
    guard offset >= 0 else { throw CommandFailure(.usage, "a log offset must not be negative") }
    if let log = execution.log {
      let bytes = try ArtifactStore(directory: directory).bytes(log.artifactID, limit: StepLogCapture.maximumStoredBytes)
      let start = min(offset, bytes.count)
      let end = min(bytes.count, start + limit)
      return Chunk(bytes: Array(bytes[start..<end]), source: .artifact, complete: true, size: bytes.count)
    }
    let ended = execution.status != .running && execution.status != .waiting
    let path = spoolPath(directory: directory, runID: runID, nodeID: execution.nodeID, attempt: execution.attempt)
    guard let fd = try? Syscalls.open(path, flags: O_RDONLY | O_CLOEXEC) else {
      return Chunk(bytes: [], source: .none, complete: ended, size: 0)
    }
    defer { Syscalls.close(fd) }
    do {
      let size = try Syscalls.fileSize(fd)
      var bytes = [UInt8](repeating: 0, count: max(0, min(limit, size - offset)))
      let n = bytes.isEmpty ? 0 : try Syscalls.pread(fd, into: &bytes, at: offset)
      bytes.removeSubrange(n...)
      // A record still being written is left for the next read (one that never ends in a
      // newline is given whole: the reader then says the spool is damaged).
      if let last = bytes.lastIndex(of: 10) { bytes.removeSubrange((last + 1)...) } else if bytes.count < limit && !ended { bytes = [] }
      return Chunk(bytes: bytes, source: .spool, complete: ended, size: size)
    } catch {
      throw CommandFailure(.failure, "cannot read the log spool \(path): \(error)")
    }
  }
}

/// An attempt's spool, open for appending while the attempt runs. A write that fails (a full
/// disk) stops the spool, not the step: the log is still sealed whole when the attempt ends.
final class StepLogSpool {
  private var fd: Int32

  init(fd: Int32) { self.fd = fd }

  deinit { if fd >= 0 { Syscalls.close(fd) } }

  func append(_ bytes: [UInt8]) {
    guard fd >= 0, !bytes.isEmpty else { return }
    var done = 0
    let failed = bytes.withUnsafeBytes { raw -> Bool in
      guard let base = raw.baseAddress else { return false }
      while done < raw.count {
        let n = write(fd, base + done, raw.count - done)
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return true }
        done += n
      }
      return false
    }
    if failed {
      Syscalls.close(fd)
      fd = -1
    }
  }
}
