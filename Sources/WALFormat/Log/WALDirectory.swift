#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One segment file of a directory.
public struct SegmentFile: Sendable, Hashable {
  public var name: String
  public var path: String
  public var baseLSN: UInt64

  public init(name: String, path: String, baseLSN: UInt64) {
    self.name = name
    self.path = path
    self.baseLSN = baseLSN
  }
}

/// The layout of a WAL directory and the checks made before anything is read:
///
///     DIR/FORMAT          "driftq-wal <major>.<minor>"; an unknown major version is refused
///     DIR/LOCK            flock(2) by the one writer while it appends
///     DIR/wal/<20-digit base LSN>.seg
///
/// Read-only commands never create anything; the first write creates the directory.
public struct WALDirectory: Sendable {
  public static let formatName = "driftq-wal"
  public static let formatMajor = 1
  public static let formatMinor = 0

  public let path: String
  public var walPath: String { path + "/wal" }
  public var lockPath: String { path + "/LOCK" }
  public var formatPath: String { path + "/FORMAT" }
  /// Sparse seek indexes, one per segment (derived; see `SegmentIndex`).
  public var indexPath: String { path + "/index" }

  private init(path: String) { self.path = path }

  /// Opens an existing directory and checks its FORMAT file.
  /// - Throws: `.missing` when there is no directory (or an empty one), `.foreignData` when
  ///   it is not a driftq WAL directory, `.unsupportedVersion` for a newer major version.
  public static func open(_ path: String) throws(WALError) -> WALDirectory {
    let directory = WALDirectory(path: path)
    let kind: Syscalls.FileKind
    do { kind = try Syscalls.kind(of: path) } catch { throw .io("stat", path, error) }
    switch kind {
    case .missing: throw WALError(.missing, "no WAL directory at \(path)")
    case .directory: break
    default: throw WALError(.foreignData, "\(path) is not a directory")
    }
    let formatKind: Syscalls.FileKind
    do { formatKind = try Syscalls.kind(of: directory.formatPath) } catch { throw .io("stat", directory.formatPath, error) }
    if formatKind == .missing {
      let names: [String]
      do { names = try Syscalls.listDirectory(path) } catch { throw .io("list", path, error) }
      if names.isEmpty { throw WALError(.missing, "no WAL directory at \(path) (it is empty)") }
      // A first creation stopped before FORMAT was renamed into place leaves at most FORMAT.tmp
      // and an empty wal/: nothing was ever written, so the directory counts as not created.
      if Set(names).isSubset(of: ["FORMAT.tmp", "wal"]), (try? Syscalls.listDirectory(directory.walPath))?.isEmpty ?? true {
        throw WALError(.missing, "no WAL directory at \(path) (its creation was interrupted; the next write creates it)")
      }
      throw WALError(.foreignData, "\(path) is not a driftq WAL directory (no FORMAT file)")
    }
    try directory.checkFormat()
    return directory
  }

  /// Opens the directory, creating it (and its FORMAT file, durably) when missing or empty.
  /// - Returns: the directory and whether it was created now.
  public static func openOrCreate(_ path: String) throws(WALError) -> (WALDirectory, created: Bool) {
    do {
      return (try open(path), false)
    } catch where error.code == .missing {
      let directory = WALDirectory(path: path)
      do {
        try makeDirectories(path)
        if try Syscalls.kind(of: directory.walPath) != .directory { try Syscalls.makeDirectory(directory.walPath) }
        let text = "\(formatName) \(formatMajor).\(formatMinor)\n"
        // Also fsyncs DIR, which covers the wal/ entry made just before.
        try Syscalls.writeFileAtomically(directory.formatPath, contents: Array(text.utf8), directory: path)
        let parent = parentDirectory(of: path)
        try? Syscalls.fsyncDirectory(parent)
      } catch { throw .io("create", path, error) }
      return (directory, true)
    }
  }

  /// `mkdir -p`: creates `path` and any missing parents.
  private static func makeDirectories(_ path: String) throws(Errno) {
    if try Syscalls.kind(of: path) == .directory { return }
    let parent = parentDirectory(of: path)
    if parent != path, parent != "/", parent != "." { try makeDirectories(parent) }
    try Syscalls.makeDirectory(path)
  }

  private static func parentDirectory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let parent = String(path[..<slash])
    return parent.isEmpty ? "/" : parent
  }

  private func checkFormat() throws(WALError) {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(formatPath, limit: 256) } catch { throw .io("read", formatPath, error) }
    let text = String(decoding: bytes, as: UTF8.self)
    let line = text.split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
    let parts = line.split(separator: " ")
    guard parts.count == 2, parts[0] == Self.formatName else {
      throw WALError(.foreignData, "\(formatPath) does not name the \(Self.formatName) format")
    }
    let version = parts[1].split(separator: ".")
    guard let major = version.first.flatMap({ Int($0) }) else {
      throw WALError(.foreignData, "\(formatPath): unreadable version \"\(parts[1])\"")
    }
    guard major == Self.formatMajor else {
      throw WALError(.unsupportedVersion, "\(path) uses \(Self.formatName) version \(parts[1]); this driftqctl reads version \(Self.formatMajor).x")
    }
  }

  /// The segment files, in LSN order, without the leftovers a compaction superseded.
  /// - Throws: `.foreignData` for a file in `wal/` that is not a segment (`.broken` copies
  ///   and `.tmp` files are ignored) or a segment that is not a regular file.
  public func segments() throws(WALError) -> [SegmentFile] {
    try segmentsAndLeftovers().segments
  }

  /// The live segments, and the files inside the span of a compacted first segment: what a
  /// compaction replaced but had not yet removed when it stopped. Only the first segment can
  /// be compacted (compaction rewrites a prefix), so one header read tells.
  public func segmentsAndLeftovers() throws(WALError) -> (segments: [SegmentFile], leftovers: [SegmentFile]) {
    let files = try allSegmentFiles()
    guard let first = files.first, files.count > 1, let end = Self.compactedEnd(of: first) else { return (files, []) }
    let leftovers = files.dropFirst().filter { $0.baseLSN <= end }
    return (files.filter { !leftovers.contains($0) }, Array(leftovers))
  }

  /// The last LSN a compacted segment covers, or nil (an ordinary or unreadable header,
  /// which the reader reports in its place).
  static func compactedEnd(of file: SegmentFile) -> UInt64? {
    guard let bytes = try? Syscalls.readSmallFile(file.path, limit: SegmentHeader.size),
      let header = try? SegmentHeader(parsing: bytes)
    else { return nil }
    return header.endLSN
  }

  /// Identifies a segment file (its inode; nil when missing). Compaction replaces the first
  /// segment under the same name, so a changed identity tells a process holding record
  /// positions that they are stale.
  public func identity(of file: SegmentFile) throws(WALError) -> Int? {
    do { return try Syscalls.inode(file.path) } catch {
      if error == .noSuchFile { return nil }
      throw .io("stat", file.path, error)
    }
  }

  private func allSegmentFiles() throws(WALError) -> [SegmentFile] {
    let names: [String]
    do { names = try Syscalls.listDirectory(walPath) } catch {
      if error == .noSuchFile { return [] }
      throw .io("list", walPath, error)
    }
    var files: [SegmentFile] = []
    for name in names {
      // Copies kept aside (`.broken`, `.broken.1`…, torn tails) and temp files are not segments.
      if name.contains(".broken") || name.hasSuffix(".tmp") { continue }
      guard let base = SegmentName.baseLSN(of: name) else {
        throw WALError(.foreignData, "unexpected file wal/\(name) in \(path): not a segment (move it out of the directory)")
      }
      let filePath = walPath + "/" + name
      let kind: Syscalls.FileKind
      do { kind = try Syscalls.kind(of: filePath) } catch { throw .io("stat", filePath, error) }
      // Gone since the listing: a leftover a compaction just removed.
      if kind == .missing { continue }
      guard kind == .regular else {
        throw WALError(.foreignData, "wal/\(name) in \(path) is not a regular file")
      }
      files.append(SegmentFile(name: name, path: filePath, baseLSN: base))
    }
    return files.sorted { $0.baseLSN < $1.baseLSN }
  }

  /// The segment file that would hold records from `baseLSN`, whether or not it exists.
  public func segmentFile(baseLSN: UInt64) -> SegmentFile {
    let name = SegmentName.fileName(baseLSN: baseLSN)
    return SegmentFile(name: name, path: walPath + "/" + name, baseLSN: baseLSN)
  }
}
