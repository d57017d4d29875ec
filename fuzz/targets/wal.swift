// Fuzz target: the WAL segment header, the frame decoder and the segment scanner.
//
// Input: one options byte, then the bytes of a segment file.
//   bit 0  rewrite the segment header's checksum so that it is valid
//   bit 1  rewrite each frame's checksums (following the length fields) so that mutations get
//          past them to the length, padding and LSN rules
//   bit 2  also renumber those frames' LSNs from the header's base LSN
//   bit 3  also scan the bytes as a file with SegmentScanner
//
// Properties checked, beyond "no trap, no out-of-bounds read" (the decoder runs over a heap
// block of exactly the input's size, so ASan sees a read one byte past it):
//   - a parsed header encodes back to the same 32 bytes;
//   - a `.frame` lies inside the buffer, has the documented length, and re-encoding its
//     header and payload with the same salt gives back exactly its bytes;
//   - `.needMoreBytes` asks for more than is there, and never more than one frame can be;
//   - SegmentScanner (buffered preads from a file) finds the same frames, payloads and end
//     as decoding the whole buffer in memory, and `findValidFrame` only finds valid frames.
#if canImport(Glibc)
import Glibc
#endif
import WALFormat

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size >= 1 else { return 0 }
  let options = data[0]
  var bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  if options & 1 != 0 { fixSegmentHeader(&bytes) }
  let header = checkHeader(bytes)
  let salt = header?.salt ?? (bytes.count >= 16 ? le32(bytes, 12) : 0)
  if options & 2 != 0 { fixFrames(&bytes, salt: salt, renumberFrom: options & 4 != 0 ? header?.baseLSN : nil) }

  // An exact-size heap block: any read past the end is an ASan report.
  let block = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
  defer { block.deallocate() }
  bytes.withUnsafeBytes { block.copyMemory(from: $0) }
  let buffer = UnsafeRawBufferPointer(block)
  for offset in 0...bytes.count { checkDecode(buffer, at: offset, salt: salt) }
  let frames = header.map { inMemoryFrames(buffer, header: $0) }
  if options & 8 != 0 { scan(bytes, header: header, expected: frames) }
  return 0
}

func le32(_ b: [UInt8], _ at: Int) -> UInt32 {
  UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
}

func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) {
  for i in 0..<4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
}

func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) {
  for i in 0..<8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
}

func fixSegmentHeader(_ bytes: inout [UInt8]) {
  guard bytes.count >= SegmentHeader.size else { return }
  for (i, m) in SegmentHeader.magic.enumerated() { bytes[i] = m }
  put32(&bytes, 28, CRC32C.checksum(Array(bytes[0..<28])))
}

func fixFrames(_ bytes: inout [UInt8], salt: UInt32, renumberFrom base: UInt64?) {
  var at = SegmentHeader.size
  var lsn = base
  while at + RecordFrame.headerSize <= bytes.count {
    let length = Int(le32(bytes, at))
    let fits = length <= RecordFrame.maximumPayload && at + RecordFrame.headerSize + length <= bytes.count
    if let next = lsn { put64(&bytes, at + 8, next); lsn = next &+ 1 }
    if fits {
      let payload = Array(bytes[(at + RecordFrame.headerSize)..<(at + RecordFrame.headerSize + length)])
      put32(&bytes, at + 24, CRC32C.checksum(payload, seed: salt))
    }
    put32(&bytes, at + 28, CRC32C.checksum(Array(bytes[at..<at + 28]), seed: salt))
    guard fits else { return }
    at += RecordFrame.frameLength(payloadLength: length)
  }
}

func fail(_ message: String) -> Never {
  fatalError("property violated: \(message)")
}

/// The header, when the bytes start with one; checks that it encodes back to the same bytes.
func checkHeader(_ bytes: [UInt8]) -> SegmentHeader? {
  do {
    let header = try SegmentHeader(parsing: bytes)
    var w = ByteWriter()
    header.encode(into: &w)
    guard w.bytes == Array(bytes[0..<SegmentHeader.size]) else { fail("header does not re-encode to its bytes") }
    return header
  } catch {
    switch error {
    case .short(let n): if n != bytes.count || n >= SegmentHeader.size { fail("short(\(n)) for \(bytes.count) bytes") }
    case .zeroFilled: if !bytes.prefix(SegmentHeader.size).allSatisfy({ $0 == 0 }) { fail("zeroFilled for non-zero bytes") }
    default: break
    }
    _ = error.isTornCreation(fileSize: bytes.count)
    _ = error.description
    return nil
  }
}

func checkDecode(_ buffer: UnsafeRawBufferPointer, at offset: Int, salt: UInt32) {
  let available = buffer.count - offset
  switch RecordFrame.decode(buffer, at: offset, salt: salt) {
  case .frame(let h, let payloadStart, let frameLength):
    guard payloadStart == offset + RecordFrame.headerSize else { fail("payload start \(payloadStart) for frame at \(offset)") }
    guard frameLength == RecordFrame.frameLength(payloadLength: h.payloadLength), frameLength % RecordFrame.alignment == 0 else {
      fail("frame length \(frameLength) for payload \(h.payloadLength)")
    }
    guard h.payloadLength >= 0, h.payloadLength <= RecordFrame.maximumPayload, frameLength <= available else {
      fail("frame at \(offset) of \(frameLength) bytes, \(available) available")
    }
    let payload = Array(buffer[payloadStart..<payloadStart + h.payloadLength])
    var w = ByteWriter()
    RecordFrame.encode(lsn: h.lsn, kind: h.kind, flags: h.flags, timestamp: h.timestamp, payload: payload, salt: salt, into: &w)
    guard w.bytes == Array(buffer[offset..<offset + frameLength]) else { fail("frame at \(offset) does not re-encode to its bytes") }
  case .needMoreBytes(let required):
    guard required > available else { fail("needMoreBytes(\(required)) with \(available) available") }
    guard required >= RecordFrame.headerSize, required <= RecordFrame.frameLength(payloadLength: RecordFrame.maximumPayload) else {
      fail("needMoreBytes(\(required))")
    }
  case .damaged(let damage):
    guard damage.offset == offset else { fail("damage at \(damage.offset) for a frame at \(offset)") }
    guard available >= RecordFrame.headerSize else { fail("damage reported with only \(available) bytes") }
    if offset == SegmentHeader.size { _ = damage.description }
  }
}

/// What the scanner must find: frames from the end of the header, LSNs in order (a compacted
/// segment may skip ahead within its span), until the first thing that is not such a frame.
enum Outcome: Equatable {
  case end
  case damaged(offset: Int)
}

func inMemoryFrames(_ buffer: UnsafeRawBufferPointer, header: SegmentHeader) -> (frames: [(offset: Int, lsn: UInt64, payload: [UInt8])], outcome: Outcome) {
  var frames: [(offset: Int, lsn: UInt64, payload: [UInt8])] = []
  var at = SegmentHeader.size
  var expected = header.baseLSN
  while at < buffer.count {
    guard case .frame(let h, let start, let length) = RecordFrame.decode(buffer, at: at, salt: header.salt) else {
      return (frames, .damaged(offset: at))
    }
    let skipsAhead = header.endLSN.map { h.lsn > expected && h.lsn <= $0 } ?? false
    guard h.lsn == expected || skipsAhead else { return (frames, .damaged(offset: at)) }
    frames.append((at, h.lsn, Array(buffer[start..<start + h.payloadLength])))
    expected = h.lsn &+ 1
    at += length
  }
  return (frames, .end)
}

let scratchDirectory: String = {
  // tmpfs when there is one: a file is written and read back for every input.
  let base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
  let path = "\(base)/driftq-fuzz-wal-\(getpid())"
  mkdir(path, 0o700)
  atexit { removeScratch() }
  return path
}()

nonisolated(unsafe) var scratchFile: String?

func removeScratch() {
  if let scratchFile { unlink(scratchFile) }
  rmdir(scratchDirectory)
}

func scan(_ bytes: [UInt8], header: SegmentHeader?, expected: (frames: [(offset: Int, lsn: UInt64, payload: [UInt8])], outcome: Outcome)?) {
  let baseLSN = header?.baseLSN ?? 1
  let name = SegmentName.fileName(baseLSN: baseLSN)
  let path = scratchDirectory + "/" + name
  if let old = scratchFile, old != path { unlink(old) }
  scratchFile = path
  do {
    let fd = try Syscalls.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
    defer { Syscalls.close(fd) }
    try Syscalls.pwriteAll(fd, bytes, at: 0)
  } catch { fail("cannot write \(path): \(error)") }

  let scanner: SegmentScanner
  switch SegmentScanner.open(SegmentFile(name: name, path: path, baseLSN: baseLSN), chunkSize: 4096) {
  case .success(let opened):
    scanner = opened
  case .failure(.header(let problem, let fileSize)):
    guard header == nil, fileSize == bytes.count else { fail("scanner refused a header that parses: \(problem)") }
    return
  case .failure(.io(let error)):
    fail("scanner open: \(error)")
  }
  guard let header, let expected, scanner.header == header else { fail("scanner opened a header that does not parse") }

  var found = 0
  var outcome: Outcome?
  var damage: FrameDamage?
  while outcome == nil {
    let step: SegmentScanner.Step
    do { step = try scanner.step() } catch { fail("scanner step: \(error)") }
    switch step {
    case .frame(let h, let offset, let length):
      guard found < expected.frames.count else { fail("scanner found a frame at \(offset) past the last one") }
      let want = expected.frames[found]
      guard offset == want.offset, h.lsn == want.lsn, scanner.payload() == want.payload,
        length == RecordFrame.frameLength(payloadLength: want.payload.count)
      else { fail("scanner frame \(found) at \(offset) differs from the decoded one at \(want.offset)") }
      found += 1
    case .end:
      outcome = .end
    case .damaged(let d):
      outcome = .damaged(offset: d.offset)
      damage = d
    }
  }
  // The in-memory walk stops at a torn last frame as damage, the scanner as `.truncated`.
  guard found == expected.frames.count, outcome == expected.outcome else {
    fail("scanner: \(found) frames then \(String(describing: outcome)); in memory: \(expected.frames.count) then \(expected.outcome)")
  }
  for frame in expected.frames {
    do {
      guard try scanner.holdsFrame(lsn: frame.lsn, at: frame.offset) else { fail("holdsFrame false for the frame at \(frame.offset)") }
    } catch { fail("holdsFrame: \(error)") }
  }
  if let damage {
    do {
      if let next = try scanner.findValidFrame(after: damage.offset) {
        guard next.offset > damage.offset, (next.offset - damage.offset) % RecordFrame.alignment == 0 else {
          fail("findValidFrame after \(damage.offset) gave \(next.offset)")
        }
        let ok = bytes.withUnsafeBytes { raw -> Bool in
          if case .frame(let h, _, _) = RecordFrame.decode(raw, at: next.offset, salt: header.salt) { return h.lsn == next.lsn }
          return false
        }
        guard ok else { fail("findValidFrame gave \(next.offset), which is not a valid frame") }
      }
    } catch { fail("findValidFrame: \(error)") }
  }
}
