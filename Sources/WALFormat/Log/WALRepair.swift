#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `wal repair`: cuts off a torn tail, keeping a `.broken` copy of what it changes.
///
/// Corruption is refused unless forced; forcing truncates at the first corrupt frame and moves
/// every later segment aside as `.broken`, which drops data and is the operator's call.
public enum WALRepair {
  /// What a repair did.
  public struct Outcome: Sendable {
    public enum Action: String, Sendable { case nothingToDo = "nothing_to_do", truncatedTornTail = "truncated_torn_tail", truncatedCorruption = "truncated_corruption" }
    public var action: Action
    public var location: RecordLocation?
    public var bytesRemoved = 0
    /// Files written aside (`<segment>.broken`).
    public var brokenCopies: [String] = []
    public var report: VerificationReport
  }

  /// Repairs `directory` while holding the writer lock of `log`.
  /// - Throws: `.corruption` when corruption is found and `force` is false.
  public static func repair(_ log: WALLog, force: Bool) throws(WALError) -> Outcome {
    try log.lockExclusive()
    defer { log.unlock() }
    let directory = log.directory
    let report = try WALVerifier.verify(directory)
    guard let first = report.problems.min(by: { order($0.location, $1.location) }) else {
      return Outcome(action: .nothingToDo, report: report)
    }
    if report.isCorrupt && !force {
      let corrupt = report.problems.first { $0.kind == .corruption } ?? first
      throw WALError(.corruption, "refusing to repair corruption (\(corrupt.message)); --force truncates here and drops everything after it", location: corrupt.location)
    }
    var outcome = Outcome(action: report.isCorrupt ? .truncatedCorruption : .truncatedTornTail, location: first.location, report: report)
    let files = try directory.segments()
    guard let damagedIndex = files.firstIndex(where: { $0.name == first.location.segment }) else {
      return Outcome(action: .nothingToDo, report: report)
    }
    let damaged = files[damagedIndex]
    do {
      let copy = try unusedName(damaged.path + ".broken")
      try copyFile(damaged.path, to: copy)
      outcome.brokenCopies.append(copy)
      let fd = try Syscalls.open(damaged.path, flags: O_WRONLY)
      defer { Syscalls.close(fd) }
      let size = try Syscalls.fileSize(fd)
      if first.location.offset <= SegmentHeader.size {
        // Nothing valid in this segment: remove it rather than leave a header-less file.
        try Syscalls.unlink(damaged.path)
      } else {
        try Syscalls.ftruncate(fd, first.location.offset)
        try Syscalls.fdatasync(fd)
      }
      outcome.bytesRemoved += size - min(size, first.location.offset)
      for later in files[(damagedIndex + 1)...] {
        outcome.bytesRemoved += (try? Syscalls.fileSize(atPath: later.path)) ?? 0
        let aside = try unusedName(later.path + ".broken")
        try Syscalls.rename(later.path, aside)
        outcome.brokenCopies.append(aside)
      }
      try Syscalls.fsyncDirectory(directory.walPath)
    } catch { throw .io("repair", damaged.path, error) }
    return outcome
  }

  /// `path`, or `path.1`, `path.2`… : the first that does not exist, so that a second repair
  /// never overwrites the copy an earlier one kept.
  public static func unusedName(_ path: String) throws(Errno) -> String {
    var candidate = path
    var n = 0
    while try Syscalls.kind(of: candidate) != .missing {
      n += 1
      candidate = path + ".\(n)"
    }
    return candidate
  }

  private static func order(_ a: RecordLocation, _ b: RecordLocation) -> Bool {
    (a.segment, a.offset) < (b.segment, b.offset)
  }

  /// Copies a file byte for byte and syncs the copy.
  static func copyFile(_ source: String, to destination: String) throws(Errno) {
    let input = try Syscalls.open(source, flags: O_RDONLY)
    defer { Syscalls.close(input) }
    let output = try Syscalls.open(destination, flags: O_WRONLY | O_CREAT | O_TRUNC)
    defer { Syscalls.close(output) }
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var offset = 0
    while true {
      let n = try Syscalls.pread(input, into: &buffer, at: offset)
      if n == 0 { break }
      try Syscalls.pwriteAll(output, buffer, range: 0..<n, at: offset)
      offset += n
    }
    try Syscalls.fsync(output)
  }
}
