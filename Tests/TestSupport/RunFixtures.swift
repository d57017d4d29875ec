import WALFormat

/// Run events written straight into a WAL directory, for listings of more runs than it is
/// practical to execute one by one.
public enum RunFixtures {
  /// `count` finished runs `run-0000`…, one a second from `start`, each of workflow `wf-a`
  /// or `wf-b` (alternating) and every third one failed.
  public static func finishedRuns(count: Int, start: WALTimestamp = WALTimestamp(nanoseconds: 1_795_000_000_000_000_000)) -> [PendingRecord] {
    var records: [PendingRecord] = []
    for i in 0..<count {
      let id = "run-" + String(repeating: "0", count: max(0, 4 - String(i).count)) + String(i)
      let workflow = i % 2 == 0 ? "wf-a" : "wf-b"
      let status = i % 3 == 0 ? #"{"status":"failed","failed_node":"a"}"# : #"{"status":"succeeded"}"#
      let t = start.adding(milliseconds: Int64(i) * 1000)
      let events = [
        #"{"run_id":"\#(id)","type":"run_created","payload":{"workflow_id":"\#(workflow)","spec":{"id":"\#(workflow)","nodes":[{"id":"a","topic":"noop"}]},"input":{},"budget":{}}}"#,
        #"{"run_id":"\#(id)","type":"run_started"}"#,
        #"{"run_id":"\#(id)","type":"run_finished","payload":\#(status)}"#,
      ]
      for (n, event) in events.enumerated() {
        records.append(PendingRecord(kind: RecordKind(rawValue: 20), timestamp: t.adding(milliseconds: Int64(n) * 100), payload: Array(event.utf8)))
      }
    }
    return records
  }
}
