#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A tiny HTTP/1.1 client over a raw socket, so tests control every byte they send.
struct HTTPTestClient {
  let port: Int

  struct Response {
    var status: Int
    var headers: [String: String]
    var body: String
  }

  func connect() -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = UInt16(port).bigEndian
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
  }

  func send(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
  }

  /// Sends raw bytes and reads the whole answer (the connection is closed by the request).
  func raw(_ text: String) -> Response? {
    let fd = connect()
    defer { close(fd) }
    send(fd, text)
    var data: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n <= 0 { break }
      data += chunk[0..<n]
    }
    return Self.parse(String(decoding: data, as: UTF8.self))
  }

  func request(_ method: String, _ target: String, body: String? = nil, headers: [String: String] = [:]) -> Response? {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
    for (name, value) in headers { text += "\(name): \(value)\r\n" }
    if let body { text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)" } else { text += "\r\n" }
    return raw(text)
  }

  static func parse(_ text: String) -> Response? {
    guard let split = text.range(of: "\r\n\r\n") else { return nil }
    let head = text[..<split.lowerBound].split(separator: "\r\n").map(String.init)
    guard let statusLine = head.first, statusLine.split(separator: " ").count >= 2, let status = Int(statusLine.split(separator: " ")[1]) else { return nil }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
      if let colon = line.firstIndex(of: ":") { headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
    }
    var body = String(text[split.upperBound...])
    if headers["transfer-encoding"] == "chunked" { body = dechunk(body) }
    return Response(status: status, headers: headers, body: body)
  }

  static func dechunk(_ text: String) -> String {
    var out = ""
    var rest = Substring(text)
    while let end = rest.range(of: "\r\n") {
      guard let size = Int(rest[..<end.lowerBound], radix: 16), size > 0 else { break }
      let start = end.upperBound
      let stop = rest.utf8.index(start, offsetBy: size, limitedBy: rest.utf8.endIndex) ?? rest.endIndex
      out += rest[start..<stop]
      // Skip the chunk's CRLF by bytes: "\r\n" is one Character, so dropFirst(2) would
      // also eat the first digit of the next chunk's size.
      rest = rest[(rest.utf8.index(stop, offsetBy: 2, limitedBy: rest.utf8.endIndex) ?? rest.endIndex)...]
    }
    return out
  }
}

/// A `driftqctl serve` process on a free loopback port, stopped when the value goes away.
final class ServeProcess {
  let process: Process
  let port: Int
  let client: HTTPTestClient

  init(_ cli: CLIProcess, arguments: [String] = [], environment: [String: String] = [:]) throws {
    let address = arguments.contains("--addr") ? [] : ["--addr", "127.0.0.1:0"]
    let (process, stdin, stdout) = try cli.start(["serve"] + address + arguments, environment: environment)
    self.process = process
    try stdin.close()
    let line = CLIProcess.readLines(stdout, atLeast: 1).first ?? ""
    port = Int(line.split(separator: ":").last ?? "") ?? 0
    client = HTTPTestClient(port: port)
  }

  /// SIGTERM, then the exit status.
  func stop() -> Int32 {
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    return process.terminationStatus
  }

  deinit {
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
    }
  }
}
