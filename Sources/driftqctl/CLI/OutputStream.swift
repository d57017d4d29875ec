#if canImport(Glibc)
import Glibc
#endif

/// A buffered output stream: a file descriptor for the real process, memory for tests.
///
/// Writes are buffered and flushed explicitly (commands flush after each durable batch), so
/// large outputs cost few syscalls. A closed pipe sets `isBroken` instead of killing us.
final class OutputStream: @unchecked Sendable {
  // Invariant: used from one thread at a time (commands are sequential).
  private let fd: Int32?
  private var buffer: [UInt8] = []
  private(set) var captured: [UInt8] = []
  private(set) var isBroken = false

  init(fd: Int32) {
    self.fd = fd
    buffer.reserveCapacity(1 << 16)
  }

  /// An in-memory stream for tests.
  init() {
    self.fd = nil
  }

  var capturedText: String { String(decoding: captured, as: UTF8.self) }

  /// Whether a person is looking: the stream is a terminal (never in memory, never a pipe or
  /// a file), so views may draw for the eye (bars, aligned columns) instead of for scripts.
  var isTerminal: Bool {
    guard let fd else { return false }
    return isatty(fd) == 1
  }

  func write(_ text: String) {
    buffer.append(contentsOf: text.utf8)
    if buffer.count >= 1 << 16 { flush() }
  }

  func write(bytes: [UInt8]) {
    buffer.append(contentsOf: bytes)
    if buffer.count >= 1 << 16 { flush() }
  }

  func line(_ text: String) { write(text + "\n") }

  func flush() {
    guard !buffer.isEmpty else { return }
    defer { buffer.removeAll(keepingCapacity: true) }
    guard let fd else {
      captured += buffer
      return
    }
    if isBroken { return }
    var done = 0
    buffer.withUnsafeBytes { raw in
      guard let base = raw.baseAddress else { return }
      while done < raw.count {
        let n = Glibc.write(fd, base + done, raw.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          isBroken = true
          return
        }
        done += n
      }
    }
  }
}
