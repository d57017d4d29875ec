#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// TCP sockets for `serve`: listen on IPv4 or IPv6, accept, read with a deadline, write all.
enum Socket {
  /// Parses `host:port` (`127.0.0.1:8080`, `localhost:0`, `[::1]:8080`, `:8080` = all IPv4).
  static func listen(_ address: String) throws -> (fd: Int32, port: Int) {
    guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else {
      throw CommandFailure(.usage, "invalid --addr \"\(address)\": expected HOST:PORT")
    }
    var host = String(address[..<colon])
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    if host == "localhost" { host = "127.0.0.1" }
    let ipv6 = host.contains(":")
    let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw CommandFailure(.unavailable, "socket: \(Errno.current)") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    var rc: Int32
    if ipv6 {
      var addr = sockaddr_in6()
      addr.sin6_family = sa_family_t(AF_INET6)
      addr.sin6_port = port.bigEndian
      guard inet_pton(AF_INET6, host, &addr.sin6_addr) == 1 else { close(fd); throw CommandFailure(.usage, "invalid --addr host \"\(host)\"") }
      rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
    } else {
      var addr = sockaddr_in()
      addr.sin_family = sa_family_t(AF_INET)
      addr.sin_port = port.bigEndian
      if host.isEmpty || host == "0.0.0.0" {
        addr.sin_addr.s_addr = INADDR_ANY
      } else if inet_pton(AF_INET, host, &addr.sin_addr) != 1 {
        close(fd)
        throw CommandFailure(.usage, "invalid --addr host \"\(host)\"")
      }
      rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    }
    guard rc == 0, Glibc.listen(fd, 512) == 0 else {
      let error = Errno.current
      close(fd)
      throw CommandFailure(.unavailable, "cannot listen on \(address): \(error)")
    }
    var bound = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    let actual = withUnsafePointer(to: &bound) { raw -> Int in
      ipv6 ? Int(UInt16(bigEndian: raw.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port }))
        : Int(UInt16(bigEndian: raw.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }))
    }
    return (fd, actual)
  }

  /// Accepts a connection, or nil when none arrived within `milliseconds`.
  static func accept(_ fd: Int32, milliseconds: Int32) -> Int32? {
    var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    guard poll(&request, 1, milliseconds) > 0 else { return nil }
    let client = Glibc.accept(fd, nil, nil)
    guard client >= 0 else { return nil }
    _ = fcntl(client, F_SETFD, FD_CLOEXEC)
    var one: Int32 = 1
    setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    return client
  }

  /// Reads what is available, waiting at most `milliseconds`; nil on timeout, [] at EOF.
  static func read(_ fd: Int32, max: Int, milliseconds: Int32) -> [UInt8]? {
    var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    let ready = poll(&request, 1, milliseconds)
    if ready == 0 { return nil }
    // Received straight into the array's uninitialized storage: no zero-filling of 64 KiB and
    // no copy per read (a produce is a few hundred bytes).
    while true {
      var interrupted = false
      let bytes = [UInt8](unsafeUninitializedCapacity: max) { storage, count in
        let n = recv(fd, storage.baseAddress, max, 0)
        interrupted = n < 0 && errno == EINTR
        count = Swift.max(n, 0)
      }
      if interrupted { continue }
      return bytes
    }
  }

  /// Writes every byte; false when the peer is gone.
  @discardableResult
  static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { raw -> Int in
        guard let base = raw.baseAddress else { return 0 }
        return send(fd, base + done, raw.count - done, Int32(MSG_NOSIGNAL))
      }
      if n < 0 && errno == EINTR { continue }
      if n <= 0 { return false }
      done += n
    }
    return true
  }

  /// Whether the peer closed its side (a streaming response stops then).
  static func peerClosed(_ fd: Int32) -> Bool {
    let readHangUp: Int16 = 0x2000  // POLLRDHUP (Linux), not exported to Swift
    var request = pollfd(fd: fd, events: Int16(POLLIN) | readHangUp, revents: 0)
    guard poll(&request, 1, 0) > 0 else { return false }
    if request.revents & (readHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0 { return true }
    var byte: UInt8 = 0
    return recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) == 0
  }
}
