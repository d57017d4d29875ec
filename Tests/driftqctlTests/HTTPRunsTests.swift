@testable import driftqctl
import ReplayEngine
import Testing

/// Reading a run from a DriftQ-Core `/debug/run-state` answer, whose events carry less than
/// ours (contract §4.1: `run_created` has no payload, `node_started` no input).
@Suite struct HTTPRunsTests {
  static let driftqRunState = """
    {"ok":true,
     "run":{"run_id":"demo-1","workflow_id":"wf_demo","status":"succeeded","started_at":"2026-01-05T10:15:00.1Z",
            "ended_at":"2026-01-05T10:15:00.2Z","initial_input":{"x":1},"run_budget":{},"budget_usage":{}},
     "nodes":[{"run_id":"demo-1","workflow_id":"wf_demo","node_id":"A","attempt":1,"status":"succeeded"},
              {"run_id":"demo-1","workflow_id":"wf_demo","node_id":"B","attempt":1,"status":"failed","error":"boom"}],
     "events":[
      {"run_id":"demo-1","seq":1,"type":"run_created","at":"2026-01-05T10:15:00.0Z","workflow_id":"wf_demo"},
      {"run_id":"demo-1","seq":2,"type":"run_started","at":"2026-01-05T10:15:00.1Z"},
      {"run_id":"demo-1","seq":3,"type":"node_started","at":"2026-01-05T10:15:00.11Z","node_id":"A","attempt":1},
      {"run_id":"demo-1","seq":4,"type":"node_finished","at":"2026-01-05T10:15:00.13Z","node_id":"A","attempt":1,
       "payload":{"output":{"x":2},"worker_ms":25}},
      {"run_id":"demo-1","seq":5,"type":"node_started","at":"2026-01-05T10:15:00.14Z","node_id":"B","attempt":1},
      {"run_id":"demo-1","seq":6,"type":"node_failed","at":"2026-01-05T10:15:00.18Z","node_id":"B","attempt":1,"payload":{"error":"boom"}},
      {"run_id":"demo-1","seq":7,"type":"run_finished","at":"2026-01-05T10:15:00.2Z","payload":{"status":"failed","failed_node":"B"}}],
     "timers":[]}
    """

  @Test func aDriftQRunStateFoldsIntoTheSameRunModel() throws {
    let run = try HTTPRuns.fold(try JSONParser.parse(bytes: Array(Self.driftqRunState.utf8)))
    #expect(run.runID == "demo-1" && run.workflowID == "wf_demo")
    #expect(run.status == .failed && run.failedNode == "B")
    #expect(run.input == .object([("x", .int(1))]))
    // No spec stored (a DriftQ demo run): its nodes stand in for one.
    #expect(run.spec.nodes.map(\.id) == ["A", "B"])
    #expect(run.executions.map { "\($0.nodeID)\($0.attempt):\($0.status.rawValue)" } == ["A1:succeeded", "B1:failed"])
    #expect(run.executions.last?.error == "boom")
    #expect(run.events.count == 7)
  }

  @Test func aRunStateWithoutEventsIsAClearError() {
    #expect(throws: CommandFailure.self) { try HTTPRuns.fold(.object([("ok", .bool(true))])) }
    let noCreate = #"{"run":{"run_id":"r"},"events":[{"type":"run_started","at":"2026-01-05T10:15:00Z"}]}"#
    #expect(throws: CommandFailure.self) { try HTTPRuns.fold(try JSONParser.parse(bytes: Array(noCreate.utf8))) }
  }
}
