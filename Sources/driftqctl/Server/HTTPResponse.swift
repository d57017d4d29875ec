import ReplayEngine
import WALFormat

/// A response: status, headers and body, written with Content-Length (or, for streams, as
/// chunks after `streamHead`).
struct HTTPResponse {
  var status: Int
  var headers: [(String, String)] = []
  var body: [UInt8] = []

  static let reasons: [Int: String] = [
    100: "Continue", 200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
    404: "Not Found", 405: "Method Not Allowed", 408: "Request Timeout", 409: "Conflict", 413: "Payload Too Large",
    429: "Too Many Requests", 431: "Request Header Fields Too Large", 500: "Internal Server Error", 501: "Not Implemented",
    503: "Service Unavailable",
  ]

  /// A JSON body as Go's encoder writes it (ends with a newline).
  static func json(_ status: Int, _ value: JSONValue) -> HTTPResponse {
    HTTPResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: Array((JSONWriter.encode(value) + "\n").utf8))
  }

  /// Pretty JSON (2-space indent), as DriftQ's `/debug` endpoints answer.
  static func prettyJSON(_ status: Int, _ value: JSONValue) -> HTTPResponse {
    HTTPResponse(status: status, headers: [("Content-Type", "application/json; charset=utf-8")], body: Array((JSONWriter.encodePretty(value) + "\n").utf8))
  }

  /// DriftQ's v1 error body `{"error":CODE,"message":…}`.
  static func error(_ status: Int, _ code: String, _ message: String) -> HTTPResponse {
    json(status, .object([("error", .string(code)), ("message", .string(message))]))
  }

  /// DriftQ's `/debug` errors: plain text, like Go's http.Error.
  static func text(_ status: Int, _ message: String) -> HTTPResponse {
    HTTPResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8"), ("X-Content-Type-Options", "nosniff")], body: Array((message + "\n").utf8))
  }

  func serialized(requestID: String, keepAlive: Bool) -> [UInt8] {
    var head = "HTTP/1.1 \(status) \(Self.reasons[status] ?? "Status")\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    head += "X-Request-Id: \(requestID)\r\nDate: \(HTTPDate.now())\r\n"
    if status != 204 && status >= 200 { head += "Content-Length: \(body.count)\r\n" }
    if !keepAlive { head += "Connection: close\r\n" }
    head += "\r\n"
    return Array(head.utf8) + body
  }

  /// The head of a chunked stream (consume): sent at once, before any item.
  static func streamHead(contentType: String, requestID: String) -> [UInt8] {
    Array("HTTP/1.1 200 OK\r\nContent-Type: \(contentType)\r\nX-Request-Id: \(requestID)\r\nDate: \(HTTPDate.now())\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
  }

  static func chunk(_ bytes: [UInt8]) -> [UInt8] {
    Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + [13, 10]
  }
}

/// The `Date` header's format (RFC 7231): `Sat, 21 Nov 2026 15:08:17 GMT`.
enum HTTPDate {
  static func now() -> String {
    let now = WALTimestamp.now()
    let text = RFC3339.format(now)  // 2026-11-21T15:08:17.123Z
    let days = now.nanoseconds / 86_400_000_000_000
    let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
    let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    let parts = text.prefix(10).split(separator: "-")
    guard parts.count == 3, let month = Int(parts[1]) else { return text }
    return "\(weekday), \(parts[2]) \(months[month - 1]) \(parts[0]) \(text.dropFirst(11).prefix(8)) GMT"
  }
}
