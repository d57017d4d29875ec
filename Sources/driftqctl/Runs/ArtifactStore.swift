#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// Content-addressed artifacts, in DriftQ-Core's layout: `DIR/artifacts/blobs/<id[0:2]>/<id>`
/// for the bytes and `DIR/artifacts/meta/<id[0:2]>/<id>.json` for the description. Every file
/// is written atomically (temp, fsync, rename, directory fsync) before the event naming it.
struct ArtifactStore {
  let root: String

  init(directory: String) { root = directory + "/artifacts" }

  /// A store rooted at `root` itself: DriftQ-Core's `-artifacts-dir` has this same layout.
  init(root: String) { self.root = root }

  /// Every artifact id with a meta file, sorted.
  func ids() throws -> [String] {
    var ids: [String] = []
    do {
      guard try Syscalls.kind(of: root + "/meta") == .directory else { return [] }
      for shard in try Syscalls.listDirectory(root + "/meta").sorted() where shard.count == 2 {
        for name in try Syscalls.listDirectory("\(root)/meta/\(shard)") where name.hasSuffix(".json") {
          let id = String(name.dropLast(5))
          if Self.isValidID(id) && id.hasPrefix(shard) { ids.append(id) }
        }
      }
    } catch {
      throw CommandFailure(.failure, "cannot list artifacts under \(root): \(error)")
    }
    return ids.sorted()
  }

  /// Artifact ids are 64 lowercase hex digits; anything else never becomes a path.
  static func isValidID(_ id: String) -> Bool {
    id.utf8.count == 64 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
  }

  private func blobPath(_ id: String) -> String { "\(root)/blobs/\(id.prefix(2))/\(id)" }
  private func metaPath(_ id: String) -> String { "\(root)/meta/\(id.prefix(2))/\(id).json" }

  /// When the artifact was stored (its meta file's modification time).
  func storedAt(_ id: String) throws -> WALTimestamp { WALTimestamp(nanoseconds: try Syscalls.modificationTime(metaPath(id))) }

  /// The size of an artifact's blob (0 when it has none).
  func size(_ id: String) -> Int { (try? Syscalls.fileSize(atPath: blobPath(id))) ?? 0 }

  /// Deletes an artifact's blob and meta; returns the blob's size.
  func remove(_ id: String) throws -> Int {
    let size = size(id)
    for path in [blobPath(id), metaPath(id)] {
      do throws(Errno) {
        try Syscalls.unlink(path)
      } catch {
        if error != .noSuchFile { throw WALError.io("remove", path, error) }
      }
    }
    return size
  }

  /// Stores `bytes` and its meta; returns the meta (id = SHA-256 of the bytes). `checkedID`
  /// is that SHA-256 when the caller already checked it (bytes read through `bytes(_:)`).
  func put(_ bytes: [UInt8], meta template: ArtifactMeta, checkedID: String? = nil) throws -> ArtifactMeta {
    var meta = template
    meta.id = checkedID ?? SHA256.hex(bytes)
    meta.size = bytes.count
    do {
      for directory in [root, root + "/blobs", root + "/meta", "\(root)/blobs/\(meta.id.prefix(2))", "\(root)/meta/\(meta.id.prefix(2))"] {
        try Syscalls.makeDirectory(directory)
      }
      let blob = blobPath(meta.id)
      if try Syscalls.kind(of: blob) != .regular {
        try Syscalls.writeFileAtomically(blob, contents: bytes, directory: "\(root)/blobs/\(meta.id.prefix(2))")
      }
      try Syscalls.writeFileAtomically(metaPath(meta.id), contents: Array(JSONWriter.encodePretty(meta.json).utf8) + [10], directory: "\(root)/meta/\(meta.id.prefix(2))")
    } catch {
      throw CommandFailure(.failure, "cannot store artifact under \(root): \(error)")
    }
    return meta
  }

  /// The bytes of an artifact, checked against its id; one larger than `limit` is refused
  /// unread (a log is never larger than its bound, so a larger one is not what it claims).
  func bytes(_ id: String, limit: Int = 1 << 30) throws -> [UInt8] {
    guard Self.isValidID(id) else { throw CommandFailure(.usage, "invalid artifact id (want 64 lowercase hex digits): \(id)") }
    if let size = try? Syscalls.fileSize(atPath: blobPath(id)), size > limit {
      throw CommandFailure(.corruption, "artifact \(id) is \(size) bytes, more than the \(limit) it can be")
    }
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(blobPath(id), limit: limit) } catch {
      throw CommandFailure(.notFound, "artifact not found: \(id)")
    }
    guard SHA256.hex(bytes) == id else { throw CommandFailure(.corruption, "artifact \(id) does not match its SHA-256 (the blob is damaged)") }
    return bytes
  }

  func meta(_ id: String) throws -> ArtifactMeta {
    guard Self.isValidID(id) else { throw CommandFailure(.usage, "invalid artifact id (want 64 lowercase hex digits): \(id)") }
    guard let bytes = try? Syscalls.readSmallFile(metaPath(id), limit: 1 << 20),
      let json = try? JSONParser.parse(bytes: bytes), let meta = ArtifactMeta(json: json)
    else { throw CommandFailure(.notFound, "artifact not found: \(id)") }
    return meta
  }
}
