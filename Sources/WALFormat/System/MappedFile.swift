#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file mapped read-only into memory, unmapped when the last reference goes. Used for
/// checkpoint tables, which are append-only and never truncated while they may be mapped
/// (a mapping past a file's end would fault).
public final class MappedFile: @unchecked Sendable {
  // Invariant: `base` and `count` never change; the mapping lives until deinit.
  public let count: Int
  private let base: UnsafeRawPointer?

  /// Maps the first `count` bytes of `path`.
  /// - Throws: when the file is shorter than `count` or cannot be mapped.
  public init(path: String, count: Int) throws(Errno) {
    let fd = try Syscalls.open(path, flags: O_RDONLY)
    defer { Syscalls.close(fd) }
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

  /// The bytes `range` (which must lie within the mapping).
  public func withBytes<T>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
    precondition(range.lowerBound >= 0 && range.upperBound <= count, "mapped range out of bounds")
    return try body(UnsafeRawBufferPointer(start: base.map { $0 + range.lowerBound }, count: range.count))
  }
}
