import CDriftQ
#if canImport(Glibc)
import Glibc
#endif

/// A connected byte stream, plain TCP or TLS over it, with the reads and writes HTTP needs:
/// read what is there within a deadline, write everything, notice a peer that left. It owns
/// its socket: `close` (or the end of its life) ends TLS first, then closes the descriptor,
/// so a close_notify can never land on a descriptor number reused by another connection.
final class Channel {
  let fd: Int32
  /// The TLS connection, or nil for plain TCP.
  private var tls: UnsafeMutableRawPointer?
  private var closed = false

  /// Plain TCP on `fd`.
  init(plain fd: Int32) {
    self.fd = fd
    tls = nil
  }

  private init(fd: Int32, tls: UnsafeMutableRawPointer) {
    self.fd = fd
    self.tls = tls
  }

  deinit { close() }

  /// Ends TLS (close_notify) and closes the socket; later calls do nothing.
  func close() {
    guard !closed else { return }
    closed = true
    if let tls { driftq_tls_close(tls) }
    tls = nil
    _ = Glibc.close(fd)
  }

  /// Runs the client handshake on connected `fd`, verifying that the certificate names
  /// `host`, within `milliseconds`.
  static func client(_ fd: Int32, host: String, context: TLSContext, milliseconds: Int32) throws(TLSContext.Failure) -> Channel {
    setTimeouts(fd, milliseconds: milliseconds)
    var error = [CChar](repeating: 0, count: 512)
    guard let tls = driftq_tls_connect(context.handle, fd, host, context.insecure ? 1 : 0, &error, error.count) else {
      throw TLSContext.Failure(error)
    }
    return ready(fd, tls)
  }

  /// Runs the server handshake on accepted `fd` within `milliseconds`.
  static func server(_ fd: Int32, context: TLSContext, milliseconds: Int32) throws(TLSContext.Failure) -> Channel {
    setTimeouts(fd, milliseconds: milliseconds)
    var error = [CChar](repeating: 0, count: 512)
    guard let tls = driftq_tls_accept(context.handle, fd, &error, error.count) else {
      throw TLSContext.Failure(error)
    }
    return ready(fd, tls)
  }

  /// After the handshake the socket is non-blocking: a partial TLS record never holds a read
  /// past its deadline; waiting is done with poll.
  private static func ready(_ fd: Int32, _ tls: UnsafeMutableRawPointer) -> Channel {
    setTimeouts(fd, milliseconds: 0)
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    return Channel(fd: fd, tls: tls)
  }

  /// SO_RCVTIMEO and SO_SNDTIMEO (0: none), which bound the blocking handshake.
  private static func setTimeouts(_ fd: Int32, milliseconds: Int32) {
    var time = timeval(tv_sec: Int(milliseconds / 1000), tv_usec: Int(milliseconds % 1000) * 1000)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
  }

  /// Reads what is available, waiting at most `milliseconds` (-1: no limit); nil on
  /// timeout, [] at the end of the stream or on an error.
  func read(max: Int, milliseconds: Int32) -> [UInt8]? {
    guard let tls else { return Socket.read(fd, max: max, milliseconds: milliseconds) }
    let deadline = milliseconds < 0 ? nil : MonotonicClock.nowMs() + Int64(milliseconds)
    var buffer = [UInt8](repeating: 0, count: max)
    while true {
      if driftq_tls_pending(tls) == 0 {
        let wait = deadline.map { Int32(clamping: Swift.max(0, $0 - MonotonicClock.nowMs())) } ?? -1
        var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&request, 1, wait)
        if ready == 0 { return nil }
        if ready < 0 && errno != EINTR { return [] }
      }
      let n = buffer.withUnsafeMutableBytes { driftq_tls_read(tls, $0.baseAddress, $0.count) }
      if n > 0 { return Array(buffer[0..<n]) }
      if n != -2 { return [] }
      // Part of a record arrived: wait for the rest, within the same deadline.
      if let deadline, MonotonicClock.nowMs() >= deadline { return nil }
    }
  }

  /// Writes every byte; false when the peer is gone.
  @discardableResult
  func write(_ bytes: [UInt8]) -> Bool {
    guard let tls else { return Socket.write(fd, bytes) }
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return driftq_tls_write(tls, base + done, raw.count - done)
      }
      if n > 0 {
        done += n
        continue
      }
      guard n == -2 else { return false }
      var request = pollfd(fd: fd, events: Int16(POLLOUT) | Int16(POLLIN), revents: 0)
      if poll(&request, 1, 30_000) <= 0 { return false }
    }
    return true
  }

  /// Whether the peer closed its side (a streaming response stops then).
  func peerClosed() -> Bool {
    if let tls, driftq_tls_pending(tls) > 0 { return false }
    return Socket.peerClosed(fd)
  }
}

/// Milliseconds on the monotonic clock, for deadlines.
enum MonotonicClock {
  static func nowMs() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
  }
}
