#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Reads an open `/v1/consume` answer line by line, as a worker does: the status line and
/// headers, then the chunked body, one NDJSON line at a time (blank keep-alive lines
/// included, as empty strings).
struct NDJSONStreamReader {
  let fd: Int32
  private var raw: [UInt8] = []
  private var body: [UInt8] = []
  private var headRead = false
  private(set) var status = 0
  private(set) var ended = false

  init(fd: Int32) { self.fd = fd }

  /// The next line, or nil once the stream ended or the socket read failed (or timed out:
  /// `HTTPTestClient.connect` sets a receive timeout).
  mutating func nextLine() -> String? {
    while true {
      if let newline = body.firstIndex(of: 10) {
        let line = String(decoding: body[..<newline], as: UTF8.self)
        body.removeSubrange(...newline)
        return line
      }
      if ended { return nil }
      if !decodeAvailable() && !receive() { return nil }
    }
  }

  /// Moves what `raw` holds into `body` (the head first, then whole chunks); false when it
  /// needs more bytes.
  private mutating func decodeAvailable() -> Bool {
    var progressed = false
    if !headRead {
      guard let end = find([13, 10, 13, 10], in: raw) else { return false }
      let head = String(decoding: raw[..<end], as: UTF8.self)
      status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
      raw.removeSubrange(..<(end + 4))
      headRead = true
      progressed = true
    }
    while let lineEnd = find([13, 10], in: raw) {
      guard let size = Int(String(decoding: raw[..<lineEnd], as: UTF8.self), radix: 16) else {
        ended = true
        return true
      }
      let start = lineEnd + 2
      guard raw.count >= start + size + 2 else { break }
      if size == 0 {
        ended = true
        return true
      }
      body += raw[start..<(start + size)]
      raw.removeSubrange(..<(start + size + 2))
      progressed = true
    }
    return progressed
  }

  private mutating func receive() -> Bool {
    var chunk = [UInt8](repeating: 0, count: 65536)
    let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
    guard n > 0 else { return false }
    raw += chunk[0..<n]
    return true
  }

  private func find(_ needle: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= needle.count else { return nil }
    for i in 0...(bytes.count - needle.count) where bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle {
      return i
    }
    return nil
  }
}
