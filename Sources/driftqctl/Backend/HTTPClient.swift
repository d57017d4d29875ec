#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// An HTTP/1.1 client on our own sockets, plain or TLS (https:// through the system's
/// OpenSSL): keep-alive, Content-Length and chunked bodies, and line streaming for consume. Errors map to exit codes: unreachable or timed out
/// 5, 404 4, anything else 1 with the server's `error`/`message` shown.
final class HTTPClient {
  let base: String
  let host: String
  let port: UInt16
  let prefix: String
  private let hostHeader: String
  /// The `Authorization` header line, or "" (the token is never printed).
  private let authorization: String
  let timeoutMs: Int32
  /// How long a run-starting call may take; -1 waits for the run's end.
  let runTimeoutMs: Int32
  /// The connection, while one is open.
  private var channel: Channel?
  /// Whether the server is spoken to over TLS (https://).
  var isTLS: Bool { tlsSettings != nil }
  /// For https://: how servers are verified (built on first connect).
  private let tlsSettings: (caFile: String?, insecure: Bool)?
  private var tls: TLSContext?
  private var buffer: [UInt8] = []
  /// Whether any byte of an answer to the request being sent has arrived.
  private var answered = false
  /// What `/v1/version` lists in `extensions`, once asked.
  private var extensions: Set<String>?

  struct Response: Error {
    var status: Int
    var headers: [String: String]
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
    var json: JSONValue? { try? JSONParser.parse(bytes: body) }
  }

  init(baseURL: String, timeoutMs requestTimeout: Int64, runTimeoutMs runTimeout: Int64? = nil, token: String? = nil, caFile: String? = nil, insecure: Bool = false) throws {
    let url: ServerURL
    do { url = try ServerURL(baseURL) } catch { throw CommandFailure(.usage, error.description) }
    base = url.text
    host = url.host
    port = url.port
    prefix = url.prefix
    hostHeader = url.hostHeader
    tlsSettings = url.isTLS ? (caFile, insecure) : nil
    authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
    timeoutMs = Int32(clamping: requestTimeout)
    runTimeoutMs = runTimeout.map { Int32(clamping: $0) } ?? -1
  }

  deinit { disconnect() }

  private func unreachable(_ why: String) -> CommandFailure {
    CommandFailure(.unavailable, "cannot reach \(base): \(why)")
  }

  /// The server closed the connection before a whole answer came.
  struct ClosedBeforeAnswer: Error {}

  private func connect() throws {
    if channel != nil { return }
    var hints = addrinfo()
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
    var result: UnsafeMutablePointer<addrinfo>?
    let name = host == "localhost" ? "127.0.0.1" : host
    guard getaddrinfo(name, String(port), &hints, &result) == 0, let first = result else { throw unreachable("unknown host \(host)") }
    defer { freeaddrinfo(result) }
    let socketFD = socket(first.pointee.ai_family, Int32(SOCK_STREAM.rawValue), 0)
    guard socketFD >= 0 else { throw unreachable("\(Errno.current)") }
    _ = fcntl(socketFD, F_SETFL, fcntl(socketFD, F_GETFL) | O_NONBLOCK)
    if Glibc.connect(socketFD, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 && errno != EINPROGRESS {
      let error = Errno.current
      close(socketFD)
      throw unreachable("\(error)")
    }
    var request = pollfd(fd: socketFD, events: Int16(POLLOUT), revents: 0)
    var soError: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    if poll(&request, 1, timeoutMs) <= 0 {
      close(socketFD)
      throw unreachable("timed out connecting")
    }
    getsockopt(socketFD, SOL_SOCKET, SO_ERROR, &soError, &length)
    guard soError == 0 else {
      close(socketFD)
      throw unreachable("\(Errno(rawValue: soError))")
    }
    _ = fcntl(socketFD, F_SETFL, fcntl(socketFD, F_GETFL) & ~O_NONBLOCK)
    var one: Int32 = 1
    setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    buffer = []
    guard let tlsSettings else {
      channel = Channel(plain: socketFD)
      return
    }
    do {
      let context = try tls ?? TLSContext.client(caFile: tlsSettings.caFile, insecure: tlsSettings.insecure)
      tls = context
      channel = try Channel.client(socketFD, host: host, context: context, milliseconds: timeoutMs)
    } catch {
      close(socketFD)
      throw unreachable("\(error)")
    }
  }

  private func disconnect() {
    channel?.close()
    channel = nil
    buffer = []
  }

  /// `path` plus the query, percent-encoded.
  func target(_ path: String, _ query: [(String, String)]) -> String {
    let q = query.map { "\(URLEncoding.encode($0.0))=\(URLEncoding.encode($0.1))" }.joined(separator: "&")
    return prefix + path + (q.isEmpty ? "" : "?" + q)
  }

  private func head(_ method: String, _ target: String, body: [UInt8]?, accept: String) -> [UInt8] {
    var text = "\(method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\n\(authorization)User-Agent: driftqctl/\(CLI.version)\r\nAccept: \(accept)\r\n"
    if let body { text += "Content-Type: application/json\r\nContent-Length: \(body.count)\r\n" } else if method == "POST" { text += "Content-Length: 0\r\n" }
    return Array((text + "\r\n").utf8) + (body ?? [])
  }

  /// One request and its whole response, on a kept-alive connection (reconnecting once if the
  /// server closed it in between).
  /// `waitForRun`: the answer comes when a run ends (see `runTimeoutMs`).
  func send(_ method: String, _ path: String, query: [(String, String)] = [], json: JSONValue? = nil, waitForRun: Bool = false) throws -> Response {
    let body = json.map { Array(JSONWriter.encode($0).utf8) }
    let bytes = head(method, target(path, query), body: body, accept: "application/json")
    for attempt in 0..<2 {
      try connect()
      guard channel?.write(bytes) == true else { disconnect(); if attempt == 0 { continue } else { throw unreachable("connection closed") } }
      answered = false
      do {
        return try readResponse(headWaitMs: waitForRun ? runTimeoutMs : timeoutMs)
      } catch is ClosedBeforeAnswer where attempt == 0 && !answered {
        // A kept-alive connection the server had closed: nothing of an answer came, so the
        // request was not handled; once any byte came, it may have been, and is not resent.
        disconnect()
      } catch is ClosedBeforeAnswer {
        throw unreachable("connection closed")
      }
    }
    throw unreachable("connection closed")
  }

  /// Whether the server advertises driftqctl's extension `name` in `/v1/version` (asked
  /// once per client; DriftQ-Core lists none).
  func advertises(_ name: String) throws -> Bool {
    if extensions == nil {
      let response = try send("GET", "/v1/version")
      var names: Set<String> = []
      if response.status == 200, case .array(let items)? = response.json?["extensions"] {
        names = Set(items.compactMap(\.stringValue))
      }
      extensions = names
    }
    return extensions?.contains(name) ?? false
  }

  /// Sends several requests before reading any answer (HTTP/1.1 pipelining), for batches.
  func pipeline(_ requests: [(method: String, path: String, json: JSONValue)]) throws -> [Response] {
    try connect()
    var bytes: [UInt8] = []
    for r in requests { bytes += head(r.method, target(r.path, []), body: Array(JSONWriter.encode(r.json).utf8), accept: "application/json") }
    guard channel?.write(bytes) == true else { disconnect(); throw unreachable("connection closed") }
    do { return try requests.map { _ in try readResponse() } } catch is ClosedBeforeAnswer { throw unreachable("connection closed") }
  }

  private func fill(waitMs: Int32) throws {
    guard let chunk = channel?.read(max: 64 << 10, milliseconds: waitMs) else {
      disconnect()
      throw CommandFailure(.unavailable, "\(base) did not answer within \(waitMs) ms")
    }
    if chunk.isEmpty {
      disconnect()
      throw ClosedBeforeAnswer()
    }
    answered = true
    buffer += chunk
  }

  private func readLine(waitMs: Int32) throws -> String {
    while true {
      if let i = buffer.firstIndex(of: 10) {
        let line = String(decoding: buffer[0..<i], as: UTF8.self)
        buffer.removeFirst(i + 1)
        return line.trimmingTrailingWhitespace()
      }
      if buffer.count > 1 << 20 { disconnect(); throw CommandFailure(.failure, "\(base) sent a line longer than 1 MiB") }
      try fill(waitMs: waitMs)
    }
  }

  private func readHead(waitMs: Int32) throws -> (Int, [String: String]) {
    var statusLine = try readLine(waitMs: waitMs)
    while statusLine.isEmpty { statusLine = try readLine(waitMs: waitMs) }
    let parts = statusLine.split(separator: " ")
    guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
      disconnect()
      throw CommandFailure(.failure, "\(base) did not answer HTTP: \(statusLine.prefix(80))")
    }
    var headers: [String: String] = [:]
    while true {
      let line = try readLine(waitMs: waitMs)
      if line.isEmpty { break }
      if let colon = line.firstIndex(of: ":") {
        headers[line[..<colon].lowercased()] = String(line[line.index(after: colon)...]).trimmingTrailingWhitespace()
      }
    }
    if status == 100 { return try readHead(waitMs: waitMs) }
    return (status, headers)
  }

  private func readResponse(headWaitMs: Int32? = nil) throws -> Response {
    let (status, headers) = try readHead(waitMs: headWaitMs ?? timeoutMs)
    var body: [UInt8] = []
    if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
      while let chunk = try readChunk(waitMs: timeoutMs) { body += chunk }
    } else if let text = headers["content-length"], let length = Int(text) {
      guard length <= 1 << 30 else { disconnect(); throw CommandFailure(.failure, "\(base) announced a \(length)-byte body") }
      while buffer.count < length { try fill(waitMs: timeoutMs) }
      body = Array(buffer[0..<length])
      buffer.removeFirst(length)
    } else if status != 204 && status != 304 {
      // Close-delimited body.
      while true {
        guard let chunk = channel?.read(max: 64 << 10, milliseconds: timeoutMs), !chunk.isEmpty else { break }
        buffer += chunk
      }
      body = buffer
      disconnect()
    }
    if headers["connection"]?.lowercased() == "close" { disconnect() }
    return Response(status: status, headers: headers, body: body)
  }

  private func readChunk(waitMs: Int32) throws -> [UInt8]? {
    let sizeLine = try readLine(waitMs: waitMs)
    guard let size = Int(sizeLine.split(separator: ";").first ?? "", radix: 16), size >= 0 else {
      disconnect()
      throw CommandFailure(.failure, "\(base) sent a malformed chunk")
    }
    if size == 0 {
      while try !readLine(waitMs: waitMs).isEmpty {}
      return nil
    }
    while buffer.count < size + 2 { try fill(waitMs: waitMs) }
    let chunk = Array(buffer[0..<size])
    buffer.removeFirst(size + 2)
    return chunk
  }

  /// How a stream ended.
  enum StreamEnd {
    /// The server ended it (or `line` returned false).
    case finished
    /// The connection dropped or could not be made (a server restart): a follower reconnects.
    case dropped
    /// `deadline` passed.
    case deadline
  }

  /// Opens a streaming GET and calls `line` for each non-empty line until it returns false,
  /// the stream ends, or `deadline` passes. Headers may come late (DriftQ-Core sends them with
  /// the first message), so only the connect uses the request timeout. An answer other than
  /// 200 is thrown as `failure`.
  func stream(_ path: String, query: [(String, String)], deadline: WALTimestamp?, line: (String) throws -> Bool) throws -> StreamEnd {
    disconnect()
    defer { disconnect() }
    func remainingMs() -> Int32 {
      guard let deadline else { return 3_600_000 }
      return Int32(clamping: max(0, (deadline.nanoseconds - WALTimestamp.now().nanoseconds) / 1_000_000))
    }
    do {
      try connect()
    } catch let failure as CommandFailure where failure.status == .unavailable {
      return .dropped
    }
    guard channel?.write(head("GET", target(path, query), body: nil, accept: "application/x-ndjson")) == true else { return .dropped }
    let status: Int
    let headers: [String: String]
    do { (status, headers) = try readHead(waitMs: remainingMs()) } catch is ClosedBeforeAnswer {
      return .dropped
    } catch let failure as CommandFailure where deadline != nil && failure.status == .unavailable {
      return .deadline  // nothing arrived before the deadline
    }
    guard status == 200 else {
      var body: [UInt8] = []
      if let text = headers["content-length"], let length = Int(text), length < 1 << 20 {
        while buffer.count < length { try fill(waitMs: timeoutMs) }
        body = Array(buffer[0..<length])
      }
      throw Response(status: status, headers: headers, body: body)
    }
    let chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") == true
    var pending: [UInt8] = []
    while true {
      let data: [UInt8]?
      do {
        if chunked { data = try readChunk(waitMs: remainingMs()) } else {
          if buffer.isEmpty { try fill(waitMs: remainingMs()) }
          data = buffer
          buffer = []
        }
      } catch is ClosedBeforeAnswer {
        return chunked ? .dropped : .finished
      } catch let failure as CommandFailure where failure.status == .unavailable {
        if deadline != nil && remainingMs() == 0 { return .deadline }
        throw failure
      }
      guard let data else { return .finished }
      pending += data
      var start = 0
      defer { pending.removeFirst(start) }
      while let newline = pending[start...].firstIndex(of: 10) {
        let text = String(decoding: pending[start..<newline], as: UTF8.self)
        start = newline + 1
        if text.allSatisfy({ $0 == " " || $0 == "\r" }) { continue }  // keep-alive lines
        if try !line(text) { return .finished }
      }
    }
  }

  /// The error a non-2xx answer means: DriftQ's `error`/`message`, or its plain text.
  static func failure(_ response: Response, action: String) -> CommandFailure {
    var message = response.text.trimmingTrailingWhitespace()
    if let json = response.json, let text = json["message"]?.stringValue {
      message = text
      if let reason = json["reason"]?.stringValue, !message.contains(reason) { message += " (\(reason))" }
    }
    let status: ExitStatus
    switch response.status {
    case 404: status = .notFound
    case 429, 503: status = .unavailable
    default: status = .failure
    }
    return CommandFailure(status, "\(action) failed: status=\(response.status) \(message)")
  }
}
