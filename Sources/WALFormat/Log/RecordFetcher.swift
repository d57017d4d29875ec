#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads single records back by position, checking their checksums.
///
/// The broker state keeps only where a message is, not its bytes, so memory stays small
/// whatever the log's size; `consume` fetches the bodies it delivers through this.
public final class RecordFetcher {
  private let directory: WALDirectory
  private var open: [UInt64: (fd: Int32, salt: UInt32, name: String)] = [:]

  public init(directory: WALDirectory) { self.directory = directory }

  deinit { for entry in open.values { Syscalls.close(entry.fd) } }

  /// The record whose frame starts at `position`.
  /// - Throws: `.corruption` if the frame there is not valid any more.
  public func record(at position: RecordPosition) throws(WALError) -> WALRecord {
    let segment = try segment(position.segmentBaseLSN)
    var frame = [UInt8](repeating: 0, count: RecordFrame.headerSize)
    let location = RecordLocation(segment: segment.name, offset: position.offset)
    let n: Int
    do {
      n = try Syscalls.pread(segment.fd, into: &frame, at: position.offset)
    } catch { throw .io("read", segment.name, error) }
    guard n == RecordFrame.headerSize else { throw WALError(.corruption, "record header missing", location: location) }
    let length = Int(UInt32(littleEndian: frame.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) }))
    guard length <= RecordFrame.maximumPayload else { throw WALError(.corruption, "bad record length \(length)", location: location) }
    // The header is already read: read only the rest of the frame after it.
    frame += [UInt8](repeating: 0, count: RecordFrame.frameLength(payloadLength: length) - RecordFrame.headerSize)
    let m: Int
    do {
      m = try Syscalls.pread(segment.fd, into: &frame, range: RecordFrame.headerSize..<frame.count, at: position.offset + RecordFrame.headerSize)
    } catch { throw .io("read", segment.name, error) }
    guard m == frame.count - RecordFrame.headerSize else { throw WALError(.corruption, "record cut short", location: location) }
    let decoded = frame.withUnsafeBytes { RecordFrame.decode($0, at: 0, salt: segment.salt) }
    guard case .frame(let header, let start, _) = decoded else {
      if case .damaged(let damage) = decoded { throw WALError(.corruption, damage.description, location: location) }
      throw WALError(.corruption, "record cut short", location: location)
    }
    return WALRecord(header: header, payload: Array(frame[start..<start + header.payloadLength]))
  }

  /// The open descriptor and salt of a segment: opened once, its header read and checked.
  private func segment(_ base: UInt64) throws(WALError) -> (fd: Int32, salt: UInt32, name: String) {
    if let entry = open[base] { return entry }
    let file = directory.segmentFile(baseLSN: base)
    let fd: Int32
    do { fd = try Syscalls.open(file.path, flags: O_RDONLY) } catch { throw .io("open", file.path, error) }
    var head = [UInt8](repeating: 0, count: SegmentHeader.size)
    let header: SegmentHeader
    do {
      let n = try Syscalls.pread(fd, into: &head, at: 0)
      header = try SegmentHeader(parsing: Array(head.prefix(n)))
    } catch let error as Errno {
      Syscalls.close(fd)
      throw .io("read", file.path, error)
    } catch {
      Syscalls.close(fd)
      throw WALError(.corruption, "\(error)", location: RecordLocation(segment: file.name, offset: 0))
    }
    if open.count >= 64, let victim = open.first { Syscalls.close(victim.value.fd); open[victim.key] = nil }
    let entry = (fd, header.salt, file.name)
    open[base] = entry
    return entry
  }
}
