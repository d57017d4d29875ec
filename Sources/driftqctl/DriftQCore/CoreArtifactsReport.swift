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

  static func verify(_ path: String, format: OutputFormat, context: CommandContext) throws -> ExitStatus {
    let checked = try check(ArtifactStore(root: path))
    switch format {
    case .text:
      var text = "checked artifacts directory \(path): \(checked.metas.count + checked.problems.count) artifacts, \(ByteCount.format(checked.bytes))\n"
      for p in checked.problems { text += "corruption: artifact \(p.id): \(p.message)\n" }
      text += "result: \(checked.problems.isEmpty ? "ok" : "CORRUPT")\n"
      context.stdout.write(text)
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([
        ("ok", .bool(checked.problems.isEmpty)), ("status", .string(checked.problems.isEmpty ? "clean" : "corrupt")), ("format", .string("artifacts")),
        ("artifacts", .int(checked.metas.count + checked.problems.count)), ("bytes", .int(checked.bytes)),
        ("problems", .array(checked.problems.map { .object([("kind", .string("corruption")), ("artifact_id", .string($0.id)), ("message", .string($0.message))]) })),
      ])))
    }
    return checked.problems.isEmpty ? .success : .corruption
  }

  static func inspect(_ path: String, format: OutputFormat, context: CommandContext) throws -> ExitStatus {
    let checked = try check(ArtifactStore(root: path))
    let byRun = Dictionary(grouping: checked.metas, by: \.runID).sorted { $0.key < $1.key }
    switch format {
    case .text:
      var text = "directory  \(path) (artifacts)\n"
      text += "artifacts  \(checked.metas.count + checked.problems.count), \(ByteCount.format(checked.bytes))\n"
      text += "problems   " + (checked.problems.isEmpty ? "none" : checked.problems.map { "artifact \($0.id): \($0.message)" }.joined(separator: "; ")) + "\n\n"
      var table = TableRenderer(["RUN", "ARTIFACTS", "BYTES"])
      for (run, metas) in byRun { table.add([run.isEmpty ? "-" : run, String(metas.count), String(metas.reduce(0) { $0 + $1.size })]) }
      text += byRun.isEmpty ? "(no artifacts)\n" : table.render()
      context.stdout.write(text)
    case .json, .ndjson:
      context.stdout.line(JSONWriter.encode(.object([
        ("directory", .string(path)), ("format", .string("artifacts")), ("artifacts", .int(checked.metas.count + checked.problems.count)),
        ("bytes", .int(checked.bytes)), ("problems", .int(checked.problems.count)),
        ("runs", .array(byRun.map { .object([("run_id", .string($0.key)), ("artifacts", .int($0.value.count)), ("bytes", .int($0.value.reduce(0) { $0 + $1.size }))]) })),
      ])))
    }
    return checked.problems.isEmpty ? .success : .corruption
  }

  /// Each artifact's meta as one JSON line, in id order.
  static func dump(_ path: String, context: CommandContext) throws -> ExitStatus {
    let checked = try check(ArtifactStore(root: path))
    for meta in checked.metas {
      context.stdout.line(JSONWriter.encode(meta.json))
      if context.stdout.isBroken { return .success }
    }
    if let first = checked.problems.first { throw CommandFailure(.corruption, "artifact \(first.id): \(first.message)") }
    return .success
  }
}
