import ReplayEngine
import WALFormat

/// `wal verify|inspect|dump` for an artifacts directory given as `--wal-dir` (DriftQ-Core's
/// `-artifacts-dir`, or the `artifacts` directory of ours: the layout is the same).
enum CoreArtifactsReport {
  /// Whether `path` is an artifacts directory: `blobs/` and `meta/`, and not a WAL directory.
  static func recognizes(_ path: String) -> Bool {
    (try? Syscalls.kind(of: path)) == .directory && (try? Syscalls.kind(of: path + "/meta")) == .directory
      && (try? Syscalls.kind(of: path + "/blobs")) == .directory && (try? Syscalls.kind(of: path + "/FORMAT")) == .missing
  }

  private struct Checked {
    var metas: [ArtifactMeta] = []
    var bytes = 0
    /// Artifact ids with why each is unreadable or damaged.
    var problems: [(id: String, message: String)] = []
  }

  private static func check(_ store: ArtifactStore) throws -> Checked {
    var checked = Checked()
    for id in try store.ids() {
      do {
        let meta = try store.meta(id)
        let bytes = try store.bytes(id)
        checked.bytes += bytes.count
        if meta.size != bytes.count { checked.problems.append((id, "meta says \(meta.size) bytes, the blob has \(bytes.count)")) }
        checked.metas.append(meta)
      } catch let failure as CommandFailure {
        checked.problems.append((id, failure.message))
      }
    }
    return checked
  }

  /// `wal verify`'s answer, and exit 3 when an artifact is damaged.
  static func verify(_ path: String) throws -> (Answer, ExitStatus) {
    let checked = try check(ArtifactStore(root: path))
    let answer = Answer.object(.object([
      ("ok", .bool(checked.problems.isEmpty)), ("status", .string(checked.problems.isEmpty ? "clean" : "corrupt")), ("format", .string("artifacts")),
      ("artifacts", .int(checked.metas.count + checked.problems.count)), ("bytes", .int(checked.bytes)),
      ("problems", .array(checked.problems.map { .object([("kind", .string("corruption")), ("artifact_id", .string($0.id)), ("message", .string($0.message))]) })),
    ])) {
      var text = "checked artifacts directory \(path): \(checked.metas.count + checked.problems.count) artifacts, \(ByteCount.format(checked.bytes))\n"
      for p in checked.problems { text += "corruption: artifact \(p.id): \(p.message)\n" }
      return text + "result: \(checked.problems.isEmpty ? "ok" : "CORRUPT")\n"
    }
    return (answer, checked.problems.isEmpty ? .success : .corruption)
  }

  /// `wal inspect`'s answer: artifacts and bytes per run; exit 3 when one is damaged.
  static func inspect(_ path: String) throws -> (Answer, ExitStatus) {
    let checked = try check(ArtifactStore(root: path))
    let byRun = Dictionary(grouping: checked.metas, by: \.runID).sorted { $0.key < $1.key }
    let answer = Answer.object(.object([
      ("directory", .string(path)), ("format", .string("artifacts")), ("artifacts", .int(checked.metas.count + checked.problems.count)),
      ("bytes", .int(checked.bytes)), ("problems", .int(checked.problems.count)),
      ("runs", .array(byRun.map { .object([("run_id", .string($0.key)), ("artifacts", .int($0.value.count)), ("bytes", .int($0.value.reduce(0) { $0 + $1.size }))]) })),
    ])) {
      var text = "directory  \(path) (artifacts)\n"
      text += "artifacts  \(checked.metas.count + checked.problems.count), \(ByteCount.format(checked.bytes))\n"
      text += "problems   " + (checked.problems.isEmpty ? "none" : checked.problems.map { "artifact \($0.id): \($0.message)" }.joined(separator: "; ")) + "\n\n"
      var table = TableRenderer(["RUN", "ARTIFACTS", "BYTES"])
      for (run, metas) in byRun { table.add([run.isEmpty ? "-" : run, String(metas.count), String(metas.reduce(0) { $0 + $1.size })]) }
      return text + (byRun.isEmpty ? "(no artifacts)\n" : table.render())
    }
    return (answer, checked.problems.isEmpty ? .success : .corruption)
  }

  /// `wal dump`'s rows: each artifact's meta, in id order (a JSON line in text mode too).
  static func dump(_ path: String, into records: inout AnswerStream) throws -> ExitStatus {
    let checked = try check(ArtifactStore(root: path))
    for meta in checked.metas {
      let line = JSONWriter.encode(meta.json)
      records.row(encoded: line, text: line)
      if records.out.isBroken { return .success }
    }
    if let first = checked.problems.first { throw CommandFailure(.corruption, "artifact \(first.id): \(first.message)") }
    return .success
  }
}
