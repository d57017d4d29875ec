#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A POSIX error number, described with `strerror` so messages name the real cause.
public struct Errno: Error, RawRepresentable, Hashable, Sendable, CustomStringConvertible {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  /// The calling thread's current `errno`.
  public static var current: Errno { Errno(rawValue: errno) }

  public static let interrupted = Errno(rawValue: EINTR)
  public static let noSuchFile = Errno(rawValue: ENOENT)
  public static let exists = Errno(rawValue: EEXIST)
  public static let wouldBlock = Errno(rawValue: EWOULDBLOCK)
  public static let noSpace = Errno(rawValue: ENOSPC)
  public static let notDirectory = Errno(rawValue: ENOTDIR)

  public var description: String {
    guard let text = strerror(rawValue) else { return "errno \(rawValue)" }
    return String(cString: text)
  }
}
