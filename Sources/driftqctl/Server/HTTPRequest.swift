/// One parsed HTTP/1.1 request.
struct HTTPRequest: Sendable {
  var method: String
  var path: String
  var rawQuery: String
  var version: String
  /// Header names lower-cased, in order.
  var headers: [(String, String)]
  var body: [UInt8]
  /// Whether the request had a body (Content-Length ≠ 0 or chunked): DriftQ then reads JSON
  /// and ignores the query string.
  var hasBody: Bool

  func header(_ name: String) -> String? { headers.first { $0.0 == name }?.1 }

  var query: [String: String] {
    var values: [String: String] = [:]
    for pair in rawQuery.split(separator: "&", omittingEmptySubsequences: true) {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      let key = URLEncoding.decode(String(parts[0]))
      if values[key] == nil { values[key] = parts.count > 1 ? URLEncoding.decode(String(parts[1])) : "" }
    }
    return values
  }

  /// Whether the connection stays open after this request.
  var keepAlive: Bool {
    let connection = header("connection")?.lowercased() ?? ""
    return version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive"
  }
}

/// Percent-encoding for query strings.
enum URLEncoding {
  static func decode(_ text: String) -> String {
    var bytes: [UInt8] = []
    var iterator = Array(text.utf8).makeIterator()
    while let b = iterator.next() {
      if b == UInt8(ascii: "+") { bytes.append(0x20); continue }
      if b == UInt8(ascii: "%"), let h = iterator.next(), let l = iterator.next(), let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16) {
        bytes.append(v)
        continue
      }
      bytes.append(b)
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  static func encode(_ text: String) -> String {
    var out = ""
    for b in text.utf8 {
      switch b {
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
        UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
        out.unicodeScalars.append(Unicode.Scalar(b))
      default:
        let hex = String(b, radix: 16, uppercase: true)
        out += "%" + (hex.count == 1 ? "0" + hex : hex)
      }
    }
    return out
  }
}
