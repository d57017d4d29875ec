#if canImport(Glibc)
import Glibc
#endif

/// Reads lines from a file descriptor (or from memory in tests) with a bound on line length,
/// and tells whether more input is ready without blocking, so batch commands can commit a
/// group as soon as the producer pauses.
final class LineReader: @unchecked Sendable {
  // Invariant: used from one thread at a time.
  static let maximumLineBytes = 32 << 20

  private let fd: Int32?
  private var buffer: [UInt8] = []
  private var start = 0
  private var atEOF = false

  init(fd: Int32) { self.fd = fd }

  init(text: String) {
    fd = nil
    buffer = Array(text.utf8)
    atEOF = true
  }

  /// A line that exceeded the bound.
  struct LineTooLong: Error {}

  /// The next line without its newline, or nil at end of input.
  func readLine() throws -> [UInt8]? {
    while true {
      if let newline = buffer[start...].firstIndex(of: 0x0A) {
        let line = Array(buffer[start..<newline])
        start = newline + 1
        compact()
        return line.last == 0x0D ? Array(line.dropLast()) : line
      }
      if buffer.count - start > Self.maximumLineBytes { throw LineTooLong() }
      if atEOF {
        guard start < buffer.count else { return nil }
        let line = Array(buffer[start...])
        start = buffer.count
        return line
      }
      fill()
    }
  }

  /// Whether a complete line can be returned without waiting for the writer.
  func hasBufferedLine() -> Bool {
    if buffer[start...].contains(0x0A) || atEOF { return true }
    guard let fd else { return true }
    var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    if poll(&descriptor, 1, 0) > 0 {
      fill()
      return buffer[start...].contains(0x0A) || atEOF
    }
    return false
  }

  private func compact() {
    if start > 1 << 20 {
      buffer.removeFirst(start)
      start = 0
    }
  }

  private func fill() {
    guard let fd else {
      atEOF = true
      return
    }
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
      let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 {
        atEOF = true
        return
      }
      buffer.append(contentsOf: chunk[0..<n])
      return
    }
  }
}
