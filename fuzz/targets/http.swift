// Fuzz target: the HTTP/1.1 request reader of `serve` (HTTPConnection, HTTPRequest,
// URLEncoding, RequestInput), fed the way the server feeds it: bytes arriving on a plain
// (not TLS) Channel over a socket.
//
// Input: the bytes a client sends on one connection (any number of pipelined requests). They
// are written to one end of a socket pair, which is then closed; the connection reads
// requests from the other end until it fails or the bytes run out, with the server's token
// check (token "fuzz").
// Properties, for every request read:
//   - method, path and header names have the shapes the parser promises;
//   - a body is exactly its Content-Length, or the chunks' sum, within the limit;
//   - writing the request out again (same framing) and reading it back gives the same
//     method, target, version, headers and body;
//   - each query value survives URLEncoding.encode then decode;
//   - RequestInput reads a body as one JSON object or refuses it, without trapping.
#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
@testable import driftqctl

let limits = HTTPConnection.Limits(maxHeaderBytes: 2048, maxBodyBytes: 4096, readTimeoutMs: 2000, idleTimeoutMs: 2000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  // A socket pair holds about 200 KiB; the fuzzer's inputs are far smaller.
  guard size <= 64 << 10 else { return 0 }
  let requests = read(Array(UnsafeBufferPointer(start: data, count: size)))
  for request in requests {
    check(request)
    let again = read(serialize(request))
    guard again.count == 1, same(again[0], request) else {
      fail("request does not read back the same: \(request) -> \(again)")
    }
  }
  return 0
}

/// Every request the server would read from a connection that sent `bytes`, then closed.
func read(_ bytes: [UInt8]) -> [HTTPRequest] {
  var fds: [Int32] = [0, 0]
  guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { fail("socketpair: \(errno)") }
  let channel = Channel(plain: fds[0])  // closes its end when it goes
  defer { channel.close() }
  var done = 0
  while done < bytes.count {
    let n = bytes.withUnsafeBytes { send(fds[1], $0.baseAddress! + done, $0.count - done, Int32(MSG_NOSIGNAL)) }
    guard n > 0 else { fail("send: \(errno)") }
    done += n
  }
  close(fds[1])
  let connection = HTTPConnection(channel: channel, limits: limits) { request in
    request.header("authorization").map { Router.authorized($0, token: "fuzz") } ?? true
  }
  var requests: [HTTPRequest] = []
  while requests.count < 256 {
    do { requests.append(try connection.next()) } catch {
      switch error {
      case .reject(let status, _): if ![400, 413, 431, 501].contains(status) { fail("reject status \(status)") }
      case .closed, .timedOut, .unauthorized: break
      }
      break
    }
    _ = connection.hasBufferedRequest
  }
  return requests
}

func check(_ r: HTTPRequest) {
  guard !r.method.isEmpty, r.method.utf8.allSatisfy({ (65...90).contains($0) }) else { fail("method \(r.method)") }
  // Bytes, not Characters: "HTTP/1." then a combining mark is one Character past the prefix.
  guard r.path.utf8.first == UInt8(ascii: "/"), r.version.utf8.starts(with: "HTTP/1.".utf8) else { fail("path \(r.path) version \(r.version)") }
  for (name, _) in r.headers where name.isEmpty || !name.utf8.allSatisfy({ (97...122).contains($0) || (48...57).contains($0) || $0 == 45 || $0 == 95 }) {
    fail("header name \(name)")
  }
  guard r.body.count <= limits.maxBodyBytes else { fail("body of \(r.body.count) bytes past the limit") }
  if let length = r.header("content-length") {
    guard Int(length) == r.body.count, r.hasBody == !r.body.isEmpty else { fail("body of \(r.body.count) bytes for Content-Length \(length)") }
  } else if r.header("transfer-encoding") == nil {
    guard r.body.isEmpty, !r.hasBody else { fail("a body without framing") }
  } else {
    guard r.hasBody else { fail("a chunked request without hasBody") }
  }
  for (_, value) in r.query {
    guard URLEncoding.decode(URLEncoding.encode(value)) == value else { fail("URLEncoding does not round-trip \(value)") }
  }
  _ = r.keepAlive
  do {
    let input = try RequestInput(r, allowed: ["topic", "key", "value", "group", "owner", "partition", "offset", "envelope"])
    _ = try input.string("topic", aliases: ["name"])
    _ = try input.integer("partition", invalid: "invalid partition")
    if let json = input.json { guard case .object = json else { fail("RequestInput kept a JSON \(json.typeName)") } }
  } catch {
    _ = error.message
  }
}

/// The request as a client would send it: the same framing (chunked, Content-Length or none).
func serialize(_ r: HTTPRequest) -> [UInt8] {
  let target = r.rawQuery.isEmpty ? r.path : r.path + "?" + r.rawQuery
  var head = "\(r.method) \(target) \(r.version)\r\n"
  for (name, value) in r.headers { head += "\(name): \(value)\r\n" }
  head += "\r\n"
  var bytes = Array(head.utf8)
  if r.header("transfer-encoding") != nil {
    if !r.body.isEmpty { bytes += Array((String(r.body.count, radix: 16) + "\r\n").utf8) + r.body + [13, 10] }
    bytes += Array("0\r\n\r\n".utf8)
  } else {
    bytes += r.body
  }
  return bytes
}

func same(_ a: HTTPRequest, _ b: HTTPRequest) -> Bool {
  a.method == b.method && a.path == b.path && a.rawQuery == b.rawQuery && a.version == b.version && a.body == b.body
    && a.hasBody == b.hasBody && a.headers.count == b.headers.count && zip(a.headers, b.headers).allSatisfy { $0 == $1 }
}

func fail(_ message: String) -> Never {
  fatalError("property violated: \(message)")
}
