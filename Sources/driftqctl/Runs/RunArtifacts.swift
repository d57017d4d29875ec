import ReplayEngine
import WALFormat

/// The artifacts a run made, as its own events record them (outputs, and each attempt's log). Blobs are shared by content, so
/// the meta file alone (last writer wins) would lose a run whose output another run repeated:
/// each listed meta carries this run's node, attempt and time.
enum RunArtifacts {
  static func list(_ run: WorkflowRun, store: ArtifactStore, node: String? = nil) -> [ArtifactMeta] {
    var metas: [ArtifactMeta] = []
    for execution in run.executions where node == nil || execution.nodeID == node {
      var ids = execution.artifacts
      if case .artifact(let id, _)? = execution.output, !execution.usedCachedOutput { ids.append(id) }
      if let log = execution.log { ids.append(log.artifactID) }
      for id in ids {
        guard var meta = try? store.meta(id) else { continue }
        meta.runID = run.runID
        meta.nodeID = execution.nodeID
        meta.attempt = execution.attempt
        meta.createdAt = execution.endedAt ?? meta.createdAt
        metas.append(meta)
      }
    }
    return ordered(metas)
  }

  /// The Go tool's order: node, attempt, creation time, id.
  static func ordered(_ metas: [ArtifactMeta]) -> [ArtifactMeta] {
    metas.sorted { ($0.nodeID, $0.attempt, $0.createdAt.nanoseconds, $0.id) < ($1.nodeID, $1.attempt, $1.createdAt.nanoseconds, $1.id) }
  }
}
