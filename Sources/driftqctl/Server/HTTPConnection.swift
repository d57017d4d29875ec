#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// Reads requests from one client connection, with every length and wait bounded.
final class HTTPConnection {
  /// Why no request could be read.
  enum Failure: Error {
    /// The client closed, or stayed idle past the keep-alive limit: close quietly.
    case closed
    /// A request began but did not arrive in time (408).
    case timedOut
    /// The request is malformed (400), its headers too large (431), its body too large (413),
    /// or its framing unsupported (501).
    case reject(status: Int, message: String)
    /// The request lacks the server's token (401); its body was not read.
    case unauthorized
  }

  struct Limits {
    var maxHeaderBytes = 16 << 10
    var maxBodyBytes = 16 << 20
    var readTimeoutMs: Int32 = 10_000
    var idleTimeoutMs: Int32 = 60_000
  }

  /// The connection (plain or TLS).
  let channel: Channel
  let limits: Limits
  /// Whether a request's headers carry what the server requires (its token); checked before
  /// any of its body is read, so an unauthenticated client cannot make the server hold one.
  private let authorize: (HTTPRequest) -> Bool
  private var buffer: [UInt8] = []
  /// When the request being read must have arrived whole: `--read-timeout` after its first
  /// byte, however slowly the rest trickles in.
  private var deadline: WALTimestamp?

  init(channel: Channel, limits: Limits, authorize: @escaping (HTTPRequest) -> Bool = { _ in true }) {
    self.channel = channel
    self.limits = limits
    self.authorize = authorize
  }

  /// Reads more bytes: within the idle limit while no request has begun, then within what is
  /// left of the request's deadline.
  private func fill() throws(Failure) {
    let waitMs: Int32
    if let deadline {
      let left = (deadline.nanoseconds - WALTimestamp.now().nanoseconds) / 1_000_000
      guard left > 0 else { throw .timedOut }
      waitMs = Int32(clamping: left)
    } else {
      waitMs = buffer.isEmpty ? limits.idleTimeoutMs : limits.readTimeoutMs
    }
    guard let chunk = channel.read(max: 64 << 10, milliseconds: waitMs) else {
      throw buffer.isEmpty && deadline == nil ? .closed : .timedOut
    }
    if chunk.isEmpty { throw .closed }
    if deadline == nil { deadline = WALTimestamp.now().adding(milliseconds: Int64(limits.readTimeoutMs)) }
    buffer += chunk
  }

  func next() throws(Failure) -> HTTPRequest {
    // A request pipelined behind the last one began when its bytes came; otherwise its
    // deadline starts with its first byte.
    deadline = buffer.isEmpty ? nil : WALTimestamp.now().adding(milliseconds: Int64(limits.readTimeoutMs))
    // The head: up to the blank line, within the header limit and the read deadline.
    var headEnd: Int?
    while true {
      if let end = findHeadEnd() { headEnd = end; break }
      if buffer.count > limits.maxHeaderBytes { throw .reject(status: 431, message: "request headers larger than \(limits.maxHeaderBytes) bytes") }
      try fill()
    }
    guard let headEnd else { throw .closed }
    if headEnd > limits.maxHeaderBytes { throw .reject(status: 431, message: "request headers larger than \(limits.maxHeaderBytes) bytes") }
    // The head is ASCII: parse bytes, not Characters (Unicode rules cost per request).
    let head = Array(buffer[0..<headEnd])
    buffer.removeFirst(headEnd + 4)
    var lines = Self.split(head)
    let first = lines.removeFirst()
    let requestLine = first.split(separator: 0x20, omittingEmptySubsequences: false)
    guard requestLine.count == 3, requestLine[2].starts(with: Array("HTTP/1.".utf8)), !requestLine[0].isEmpty,
      requestLine[0].allSatisfy({ (65...90).contains($0) }), requestLine[1].first == UInt8(ascii: "/")
    else { throw .reject(status: 400, message: "malformed request line") }
    var headers: [(String, String)] = []
    for line in lines {
      guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon != line.startIndex, line.first != 0x20, line.first != 0x09 else {
        throw .reject(status: 400, message: "malformed header line")
      }
      let name = line[line.startIndex..<colon].map { (65...90).contains($0) ? $0 + 32 : $0 }
      guard name.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }) else {
        throw .reject(status: 400, message: "malformed header name")
      }
      var value = line[(colon + 1)...]
      while let f = value.first, f == 0x20 || f == 0x09 { value.removeFirst() }
      while let l = value.last, l == 0x20 || l == 0x09 { value.removeLast() }
      headers.append((String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
    }
    let method = String(decoding: requestLine[0], as: UTF8.self)
    let target = String(decoding: requestLine[1], as: UTF8.self)
    let requestVersion = String(decoding: requestLine[2], as: UTF8.self)
    let question = target.firstIndex(of: "?")
    var request = HTTPRequest(
      method: method, path: question.map { String(target[..<$0]) } ?? target,
      rawQuery: question.map { String(target[target.index(after: $0)...]) } ?? "", version: requestVersion,
      headers: headers, body: [], hasBody: false)
    let lengths = headers.filter { $0.0 == "content-length" }.map(\.1)
    let chunked = headers.contains { $0.0 == "transfer-encoding" && $0.1.utf8.count >= 7 && $0.1.lowercased().contains("chunked") }
    if chunked && !lengths.isEmpty { throw .reject(status: 400, message: "both Content-Length and Transfer-Encoding") }
    if headers.contains(where: { $0.0 == "transfer-encoding" }) && !chunked { throw .reject(status: 501, message: "unsupported Transfer-Encoding") }
    // Who asks and how much, before a byte of the body is read (or 100 Continue invites it).
    guard authorize(request) else { throw .unauthorized }
    var length = 0
    if let text = lengths.first {
      // Digits only (no sign, no spaces), at most 18 of them: Int cannot overflow.
      guard Set(lengths).count == 1, !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }), let given = Int(text)
      else { throw .reject(status: 400, message: "invalid Content-Length") }
      guard given <= limits.maxBodyBytes else { throw .reject(status: 413, message: "request body larger than \(limits.maxBodyBytes) bytes") }
      length = given
    }
    if request.header("expect")?.lowercased() == "100-continue" {
      channel.write(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }
    if chunked {
      request.body = try readChunked()
      request.hasBody = true
    } else if !lengths.isEmpty {
      while buffer.count < length { try fill() }
      request.body = Array(buffer[0..<length])
      buffer.removeFirst(length)
      request.hasBody = length != 0
    }
    return request
  }

  /// CRLF-separated lines of a head.
  static func split(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var lines: [ArraySlice<UInt8>] = []
    var start = 0
    var i = 0
    while i + 1 < bytes.count {
      if bytes[i] == 13 && bytes[i + 1] == 10 {
        lines.append(bytes[start..<i])
        start = i + 2
        i += 2
      } else {
        i += 1
      }
    }
    lines.append(bytes[start..<bytes.count])
    return lines
  }

  /// Whether another request's head is already buffered (pipelined behind the last one).
  var hasBufferedRequest: Bool { findHeadEnd() != nil }

  private func findHeadEnd() -> Int? {
    guard buffer.count >= 4 else { return nil }
    for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
      return i
    }
    return nil
  }

  private func readLine() throws(Failure) -> String {
    while true {
      if let i = buffer.firstIndex(of: 10) {
        let line = String(decoding: buffer[0..<i], as: UTF8.self)
        buffer.removeFirst(i + 1)
        return line.trimmingTrailingWhitespace()
      }
      if buffer.count > 1024 { throw .reject(status: 400, message: "malformed chunk header") }
      try fill()
    }
  }

  private func readChunked() throws(Failure) -> [UInt8] {
    var body: [UInt8] = []
    while true {
      let sizeLine = try readLine()
      let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
      // Hex digits only, at most 15 of them (no sign; no Int overflow in what follows).
      guard !sizeText.isEmpty, sizeText.utf8.count <= 15, sizeText.allSatisfy(\.isHexDigit), let size = Int(sizeText, radix: 16)
      else { throw .reject(status: 400, message: "malformed chunk size") }
      if size == 0 {
        while try !readLine().isEmpty {}  // trailers
        return body
      }
      guard size <= limits.maxBodyBytes - body.count else { throw .reject(status: 413, message: "request body larger than \(limits.maxBodyBytes) bytes") }
      while buffer.count < size + 2 { try fill() }
      body += buffer[0..<size]
      buffer.removeFirst(size + 2)
    }
  }
}
