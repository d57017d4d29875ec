import WALFormat

/// Compares the state folded from a log with the state folded from its compacted form: they
/// must agree on everything compaction keeps. Compaction runs it on the new segment before
/// swapping it in, and the property tests use it as their oracle.
public enum CompactionCheck {
  /// What differs, as readable lines; empty when the compacted state is faithful. Message
  /// positions are not compared (they moved), everything else about a held message is.
  public static func differences(
    before: BrokerState, beforeRuns: RunsState, after: BrokerState, afterRuns: RunsState, droppedRuns: Set<String>
  ) -> [String] {
    var found: [String] = []
    if before.topicNames != after.topicNames { found.append("topics \(before.topicNames) became \(after.topicNames)") }
    func isHeld(_ origin: MessageOrigin) -> Bool { !after.isCompactedAway(origin) }
    for name in before.topicNames {
      guard let old = before.topics[name], let new = after.topics[name] else { continue }
      guard old.partitionCount == new.partitionCount, old.createdAt == new.createdAt, old.limits == new.limits else {
        found.append("topic \(name): definition differs")
        continue
      }
      for (partition, (a, b)) in zip(old.partitions, new.partitions).enumerated() {
        if a.endIndex != b.endIndex { found.append("\(name)/\(partition): head \(a.endIndex) became \(b.endIndex)") }
        for offset in stride(from: b.startOffset, to: min(a.endIndex, b.endIndex), by: 1) {
          if offset % Int64(MessageTable.blockRows) == 0 {
            // Compaction's folds map their rows: keep only what is being compared resident.
            a.releasePages(below: offset)
            b.releasePages(below: offset)
          }
          guard var x = a[safe: offset] else { found.append("\(name)/\(partition)@\(offset): held after but not before"); break }
          x.position = b[offset].position
          if x != b[offset] { found.append("\(name)/\(partition)@\(offset): message differs"); break }
        }
        if a.cumulativeBytes(through: a.endIndex - 1) != b.cumulativeBytes(through: b.endIndex - 1) {
          found.append("\(name)/\(partition): byte count differs")
        }
      }
    }
    if Set(before.groups.keys) != Set(after.groups.keys) { found.append("groups \(before.groups.keys.sorted()) became \(after.groups.keys.sorted())") }
    for (key, old) in before.groups {
      guard let new = after.groups[key] else { continue }
      if old.lastActivity != new.lastActivity { found.append("group \(key.group) on \(key.topic): last activity differs") }
      if old.partitions != new.partitions { found.append("group \(key.group) on \(key.topic): cursors differ") }
    }
    if before.produceKeys.filter({ isHeld($0.value) }) != after.produceKeys { found.append("produce idempotency keys differ") }
    if before.consumeKeys != after.consumeKeys { found.append("consume idempotency keys differ") }
    let letters = before.deadLetters.mapValues { $0.filter { isHeld($0.copy) } }.filter { !$0.value.isEmpty }
    if letters != after.deadLetters { found.append("DLQ entries differ") }
    if before.unknownRecords != after.unknownRecords { found.append("unknown records \(before.unknownRecords) became \(after.unknownRecords)") }
    let keptOrder = beforeRuns.order.filter { !droppedRuns.contains($0) }
    if keptOrder != afterRuns.order { found.append("runs \(keptOrder) became \(afterRuns.order)") }
    for id in keptOrder {
      guard let old = beforeRuns.runs[id], let new = afterRuns.runs[id] else { continue }
      if old.status != new.status || old.events.count != new.events.count || old.events.last?.at != new.events.last?.at {
        found.append("run \(id) differs")
      }
    }
    if beforeRuns.activeIndexVersion != afterRuns.activeIndexVersion { found.append("active index version differs") }
    return found
  }
}
