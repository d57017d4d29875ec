import CDriftQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The only place that calls Glibc for file I/O. Every call retries on EINTR; writes loop
/// over short writes; errors come back as `Errno`.
public enum Syscalls {
  /// Runs `call` until it returns something other than -1 with EINTR.
  @inline(__always)
  static func retryingOnInterrupt<T: FixedWidthInteger>(_ call: () -> T) throws(Errno) -> T {
    while true {
      let result = call()
      if result != -1 { return result }
      let error = Errno.current
      if error != .interrupted { throw error }
    }
  }

  public static func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws(Errno) -> Int32 {
    try retryingOnInterrupt { Glibc.open(path, flags | O_CLOEXEC, mode) }
  }

  public static func close(_ fd: Int32) {
    _ = Glibc.close(fd)  // close is not retried on EINTR on Linux: the fd is gone either way.
  }

  /// Reads up to `count` bytes at `offset`; returns how many were read (0 at end of file).
  public static func pread(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(Errno) -> Int {
    var done = 0
    while done < buffer.count {
      let base = buffer.baseAddress.map { $0 + done }
      let n = try retryingOnInterrupt { Glibc.pread(fd, base, buffer.count - done, off_t(offset + done)) }
      if n == 0 { break }
      done += n
    }
    return done
  }

  /// Writes every byte of `buffer` at `offset`, looping over short writes.
  public static func pwriteAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, at offset: Int) throws(Errno) {
    var done = 0
    while done < buffer.count {
      let base = buffer.baseAddress.map { $0 + done }
      let n = try retryingOnInterrupt { Glibc.pwrite(fd, base, buffer.count - done, off_t(offset + done)) }
      if n == 0 { throw Errno.noSpace }
      done += n
    }
  }

  /// Reads into `bytes[range]` (all of `bytes` by default) from `offset`; returns the count.
  public static func pread(_ fd: Int32, into bytes: inout [UInt8], range: Range<Int>? = nil, at offset: Int) throws(Errno) -> Int {
    let range = range ?? 0..<bytes.count
    var result: Result<Int, Errno> = .success(0)
    bytes.withUnsafeMutableBytes { raw in
      do throws(Errno) {
        result = .success(try pread(fd, into: UnsafeMutableRawBufferPointer(rebasing: raw[range]), at: offset))
      } catch { result = .failure(error) }
    }
    return try result.get()
  }

  /// Writes all of `bytes[range]` (all of `bytes` by default) at `offset`.
  public static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], range: Range<Int>? = nil, at offset: Int) throws(Errno) {
    let range = range ?? 0..<bytes.count
    var failure: Errno?
    bytes.withUnsafeBytes { raw in
      do throws(Errno) {
        try pwriteAll(fd, UnsafeRawBufferPointer(rebasing: raw[range]), at: offset)
      } catch { failure = error }
    }
    if let failure { throw failure }
  }

  public static func fdatasync(_ fd: Int32) throws(Errno) {
    _ = try retryingOnInterrupt { Glibc.fdatasync(fd) }
  }

  public static func fsync(_ fd: Int32) throws(Errno) {
    _ = try retryingOnInterrupt { Glibc.fsync(fd) }
  }

  /// Makes a directory entry (a created, renamed or removed file) durable.
  public static func fsyncDirectory(_ path: String) throws(Errno) {
    let fd = try open(path, flags: O_RDONLY | O_DIRECTORY)
    defer { close(fd) }
    try fsync(fd)
  }

  public static func ftruncate(_ fd: Int32, _ length: Int) throws(Errno) {
    _ = try retryingOnInterrupt { Glibc.ftruncate(fd, off_t(length)) }
  }

  /// The size of the file open as `fd`. Through statx without timestamps, as are `fileSize(atPath:)`
  /// and `inode`: stat'ing the segment being appended to would otherwise make every write
  /// change its inode, and every fdatasync write the inode too (Linux 6.13 and later).
  public static func fileSize(_ fd: Int32) throws(Errno) -> Int {
    Int(try retryingOnInterrupt { driftq_size_of_fd(fd) })
  }

  /// What kind of thing is at `path`, without following a final symbolic link.
  public enum FileKind: Sendable { case missing, regular, directory, symbolicLink, other }

  public static func kind(of path: String) throws(Errno) -> FileKind {
    var info = stat()
    if Glibc.lstat(path, &info) != 0 {
      let error = Errno.current
      if error == .noSuchFile || error == .notDirectory { return .missing }
      throw error
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: return .regular
    case S_IFDIR: return .directory
    case S_IFLNK: return .symbolicLink
    default: return .other
    }
  }

  /// A stamp that changes when entries are added to or removed from a directory (its
  /// modification and change times). Timestamps are coarse, so equal stamps only mean
  /// "probably unchanged": callers use it to skip work, never to decide correctness alone.
  public static func directoryStamp(_ path: String) throws(Errno) -> [Int] {
    let info = try status(path)
    return [info.st_mtim.tv_sec, info.st_mtim.tv_nsec, info.st_ctim.tv_sec, info.st_ctim.tv_nsec, Int(info.st_ino)]
  }

  /// The size of the file at `path`.
  public static func fileSize(atPath path: String) throws(Errno) -> Int { Int(try retryingOnInterrupt { driftq_size_of_path(path) }) }

  /// The inode number of the file at `path`: what identifies it across renames over its name.
  public static func inode(_ path: String) throws(Errno) -> Int { Int(try retryingOnInterrupt { driftq_inode_of_path(path) }) }

  /// When the file at `path` was last modified, in nanoseconds since the epoch.
  public static func modificationTime(_ path: String) throws(Errno) -> Int64 {
    let info = try status(path)
    return Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
  }

  /// `stat(2)` of `path`, following a final symbolic link.
  private static func status(_ path: String) throws(Errno) -> stat {
    var info = stat()
    _ = try retryingOnInterrupt { fstatat(AT_FDCWD, path, &info, 0) }
    return info
  }

  /// Creates a directory with `mode` (before the umask); an existing one is left as it is.
  public static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(Errno) {
    if Glibc.mkdir(path, mode) != 0 {
      let error = Errno.current
      if error != .exists { throw error }
    }
  }

  public static func rename(_ from: String, _ to: String) throws(Errno) {
    _ = try retryingOnInterrupt { Glibc.rename(from, to) }
  }

  public static func unlink(_ path: String) throws(Errno) {
    _ = try retryingOnInterrupt { Glibc.unlink(path) }
  }

  /// Names in a directory, without `.` and `..`, in no particular order.
  public static func listDirectory(_ path: String) throws(Errno) -> [String] {
    guard let dir = Glibc.opendir(path) else { throw Errno.current }
    defer { Glibc.closedir(dir) }
    var names: [String] = []
    while let entry = Glibc.readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names
  }

  /// Tries to take an exclusive `flock`; returns false when another process holds it.
  public static func tryLockExclusive(_ fd: Int32) throws(Errno) -> Bool {
    while true {
      let result = driftq_flock(fd, LOCK_EX | LOCK_NB)
      if result == 0 { return true }
      let error = Errno.current
      if error == .interrupted { continue }
      if error == .wouldBlock { return false }
      throw error
    }
  }

  public static func unlock(_ fd: Int32) {
    _ = driftq_flock(fd, LOCK_UN)
  }

  /// Reads a whole small file (at most `limit` bytes) into memory.
  public static func readSmallFile(_ path: String, limit: Int) throws(Errno) -> [UInt8] {
    let fd = try open(path, flags: O_RDONLY)
    defer { close(fd) }
    let size = min(try fileSize(fd), limit)
    var bytes = [UInt8](repeating: 0, count: size)
    let n = try pread(fd, into: &bytes, at: 0)
    return Array(bytes.prefix(n))
  }

  /// Replaces `path` atomically: write a temporary file, fsync it, rename, fsync the directory.
  public static func writeFileAtomically(_ path: String, contents: [UInt8], directory: String) throws(Errno) {
    let temporary = path + ".tmp"
    let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
    do {
      try pwriteAll(fd, contents, at: 0)
      try fsync(fd)
    } catch {
      close(fd)
      throw error
    }
    close(fd)
    try rename(temporary, path)
    try fsyncDirectory(directory)
  }

  /// Replaces `path` atomically with a file that only its owner may read or write (mode
  /// 0600, never wider whatever the umask): a temporary file of this process, fsync, rename,
  /// fsync the directory. For files that name secrets (the profiles file names token files).
  public static func writePrivateFileAtomically(_ path: String, contents: [UInt8], directory: String) throws(Errno) {
    let temporary = path + ".\(getpid()).tmp"
    _ = try? unlink(temporary)
    let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
    do {
      try pwriteAll(fd, contents, at: 0)
      try fsync(fd)
    } catch {
      close(fd)
      _ = try? unlink(temporary)
      throw error
    }
    close(fd)
    do { try rename(temporary, path) } catch {
      _ = try? unlink(temporary)
      throw error
    }
    try fsyncDirectory(directory)
  }

  /// Replaces `path` by rename without syncing: for derived, checksummed files (a crash
  /// leaves the old file, the new one, or one that fails its checksum and is rebuilt).
  public static func writeFileReplacing(_ path: String, contents: [UInt8]) throws(Errno) {
    let temporary = path + ".\(getpid()).tmp"
    let fd = try open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
    do { try pwriteAll(fd, contents, at: 0) } catch {
      close(fd)
      _ = try? unlink(temporary)
      throw error
    }
    close(fd)
    try rename(temporary, path)
  }
}
