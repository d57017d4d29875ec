#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file mapped read-only into memory, unmapped when the last reference goes. Used for
/// checkpoint tables, which are append-only and never truncated while they may be mapped
/// (a mapping past a file's end would fault), and for sealed segments that `wal verify`
/// reads (no copy into a buffer, and reading is then half of what `cat` does).
public final class MappedFile: @unchecked Sendable {
  // Invariant: `base` and `count` never change; the mapping lives until deinit.
  public let count: Int
  private let base: UnsafeRawPointer?

  /// Maps the first `count` bytes of `path`.
  /// - Throws: when the file is shorter than `count` or cannot be mapped.
  public convenience init(path: String, count: Int) throws(Errno) {
    let fd = try Syscalls.open(path, flags: O_RDONLY)
    defer { Syscalls.close(fd) }
    try self.init(fd: fd, count: count)
  }

  /// Maps the first `count` bytes of the file open as `fd` (which may be closed after).
  /// - Throws: when the file is shorter than `count` or cannot be mapped.
  public init(fd: Int32, count: Int) throws(Errno) {
    guard try Syscalls.fileSize(fd) >= count else { throw Errno(rawValue: EINVAL) }
    self.count = count
    if count == 0 {
      base = nil
      return
    }
    guard let mapped = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0), mapped != MAP_FAILED else { throw Errno.current }
    base = UnsafeRawPointer(mapped)
  }

  deinit {
    if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
  }

  /// Lets the kernel unmap the pages inside `range` (rounded inward to whole pages): resident
  /// memory counts the mapped pages touched, so a long mapping read in order releases what
  /// it has passed. The bytes stay readable: the next touch maps them again from the page
  /// cache, or the file.
  public func releasePages(_ range: Range<Int>) {
    guard let base, range.lowerBound >= 0, range.upperBound <= count else { return }
    let page = Int(sysconf(Int32(_SC_PAGESIZE)))
    let start = (range.lowerBound + page - 1) / page * page
    let end = range.upperBound / page * page
    guard end > start else { return }
    _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
  }

  /// The bytes `range` (which must lie within the mapping).
  public func withBytes<T>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "mapped range out of bounds")
    return try body(UnsafeRawBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count))
  }
}
