#if canImport(Glibc)
import Glibc
#endif

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
  }

  struct Limits {
    var maxHeaderBytes = 16 << 10
    var maxBodyBytes = 16 << 20
    var readTimeoutMs: Int32 = 10_000
    var idleTimeoutMs: Int32 = 60_000
  }

  let fd: Int32
  let limits: Limits
  private var buffer: [UInt8] = []

  init(fd: Int32, limits: Limits) {
    self.fd = fd
    self.limits = limits
  }

  private func fill(waitMs: Int32) throws(Failure) {
    guard let chunk = Socket.read(fd, max: 64 << 10, milliseconds: waitMs) else {
      throw buffer.isEmpty ? .closed : .timedOut
    }
    if chunk.isEmpty { throw .closed }
    buffer += chunk
  }

  func next() throws(Failure) -> HTTPRequest {
    // The head: up to the blank line, within the header limit and the read deadline.
    var waitedForFirstByte = buffer.isEmpty
    var headEnd: Int?
    while true {
      if let end = findHeadEnd() { headEnd = end; break }
      if buffer.count > limits.maxHeaderBytes { throw .reject(status: 431, message: "request headers larger than \(limits.maxHeaderBytes) bytes") }
      try fill(waitMs: waitedForFirstByte ? limits.idleTimeoutMs : limits.readTimeoutMs)
      waitedForFirstByte = false
    }
    guard let headEnd else { throw .closed }
    if headEnd > limits.maxHeaderBytes { throw .reject(status: 431, message: "request headers larger than \(limits.maxHeaderBytes) bytes") }
    let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
    buffer.removeFirst(headEnd + 4)
    var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
    let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
    guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1."), !requestLine[0].isEmpty,
      requestLine[0].allSatisfy({ $0.isUppercase }), requestLine[1].hasPrefix("/")
    else { throw .reject(status: 400, message: "malformed request line") }
    var headers: [(String, String)] = []
    for line in lines {
      guard let colon = line.firstIndex(of: ":"), colon != line.startIndex, line.first?.isWhitespace == false else {
        throw .reject(status: 400, message: "malformed header line")
      }
      let name = line[..<colon].lowercased()
      guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { throw .reject(status: 400, message: "malformed header name") }
      headers.append((name, String(line[line.index(after: colon)...]).trimmingTrailingWhitespace()))
    }
    let target = String(requestLine[1])
    let question = target.firstIndex(of: "?")
    var request = HTTPRequest(
      method: String(requestLine[0]), path: question.map { String(target[..<$0]) } ?? target,
      rawQuery: question.map { String(target[target.index(after: $0)...]) } ?? "", version: String(requestLine[2]),
      headers: headers, body: [], hasBody: false)
    let lengths = headers.filter { $0.0 == "content-length" }.map(\.1)
    let chunked = headers.contains { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }
    if chunked && !lengths.isEmpty { throw .reject(status: 400, message: "both Content-Length and Transfer-Encoding") }
    if headers.contains(where: { $0.0 == "transfer-encoding" }) && !chunked { throw .reject(status: 501, message: "unsupported Transfer-Encoding") }
    if request.header("expect")?.lowercased() == "100-continue" {
      Socket.write(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
    }
    if chunked {
      request.body = try readChunked()
      request.hasBody = true
    } else if let text = lengths.first {
      guard Set(lengths).count == 1, let length = Int(text), length >= 0 else { throw .reject(status: 400, message: "invalid Content-Length") }
      guard length <= limits.maxBodyBytes else { throw .reject(status: 413, message: "request body larger than \(limits.maxBodyBytes) bytes") }
      while buffer.count < length { try fill(waitMs: limits.readTimeoutMs) }
      request.body = Array(buffer[0..<length])
      buffer.removeFirst(length)
      request.hasBody = length != 0
    }
    return request
  }

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
      try fill(waitMs: limits.readTimeoutMs)
    }
  }

  private func readChunked() throws(Failure) -> [UInt8] {
    var body: [UInt8] = []
    while true {
      let sizeLine = try readLine()
      let sizeText = sizeLine.split(separator: ";").first.map(String.init) ?? ""
      guard let size = Int(sizeText, radix: 16), size >= 0 else { throw .reject(status: 400, message: "malformed chunk size") }
      if size == 0 {
        while try !readLine().isEmpty {}  // trailers
        return body
      }
      guard body.count + size <= limits.maxBodyBytes else { throw .reject(status: 413, message: "request body larger than \(limits.maxBodyBytes) bytes") }
      while buffer.count < size + 2 { try fill(waitMs: limits.readTimeoutMs) }
      body += buffer[0..<size]
      buffer.removeFirst(size + 2)
    }
  }
}
