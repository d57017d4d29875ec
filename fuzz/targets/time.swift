// Fuzz target: RFC 3339 timestamps (WALFormat's RFC3339) and the duration and byte-size
// values of options (`--lease-ms`-style durations such as 1m30s, sizes such as 64MiB).
//
// Input: text, tried as a timestamp, a duration and a size; its first 8 bytes are also
// taken as nanoseconds to format.
// Properties:
//   - a timestamp that parses formats to text that parses to the same instant, and that text
//     is its own fixed point (format(parse(format(t))) == format(t));
//   - every Int64 of nanoseconds formats to text that parses back to it exactly;
//   - a duration is 0 or more milliseconds, and "<ms>ms" and "<s>s<ms>ms" read the same;
//   - a size is 0 or more bytes, and "<n>" reads as n;
//   - a log position (`--at`) parses and resolves without trapping.
import WALFormat
@testable import driftqctl

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = UnsafeBufferPointer(start: data, count: size)
  let text = String(decoding: bytes, as: UTF8.self)

  if let time = RFC3339.parse(text) {
    let formatted = RFC3339.format(time)
    guard RFC3339.parse(formatted) == time else { fail("\(text) -> \(time.nanoseconds) -> \(formatted) parses differently") }
    guard formatted.utf8.count >= 20, formatted.hasSuffix("Z") else { fail("format gave \(formatted)") }
    _ = time.adding(milliseconds: Int64(size) - 32)
  }

  if size >= 8 {
    var ns: Int64 = 0
    for i in 0..<8 { ns |= Int64(bytes[i]) << (8 * Int64(i)) }
    let formatted = RFC3339.format(WALTimestamp(nanoseconds: ns))
    guard let back = RFC3339.parse(formatted), back.nanoseconds == ns else {
      fail("\(ns) ns formats to \(formatted), which parses to \(String(describing: RFC3339.parse(formatted)?.nanoseconds))")
    }
  }

  if let ms = ValueParsers.milliseconds(text) {
    guard ms >= 0 else { fail("duration \(text) is \(ms) ms") }
    guard ValueParsers.milliseconds("\(ms)ms") == ms, ValueParsers.milliseconds("\(ms / 1000)s\(ms % 1000)ms") == ms else {
      fail("duration \(text) is \(ms) ms, which does not read back")
    }
  }

  // `--at`: an LSN, @RFC3339 or @-DURATION; resolving a relative one never overflows.
  if let position = try? LogPosition.parse(text, option: "at", command: ["wal", "dump"]) {
    let now = WALTimestamp(nanoseconds: Int64.max - Int64(size))
    _ = position.resolved(now: now)
    _ = LogPosition.isLater(position, than: .ago(milliseconds: Int64(size)), now: now)
  }

  if let n = ValueParsers.bytes(text) {
    guard n >= 0, ValueParsers.bytes(String(n)) == n else { fail("size \(text) is \(n) bytes, which does not read back") }
  }
  return 0
}

func fail(_ message: String) -> Never {
  fatalError("property violated: \(message)")
}
