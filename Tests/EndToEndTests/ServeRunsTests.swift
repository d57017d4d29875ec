import Foundation
import Testing
import TestSupport

/// `driftqctl serve`'s `/debug` runs API against DriftQ-Core's contract, over real sockets.
@Suite struct ServeRunsTests {
  private func json(_ text: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
  }

  @Test func runsStartReplayCancelAndListOverHTTP() throws {
    let cli = CLIProcess(TemporaryDirectory("e2e-serve-runs"))
    let server = try ServeProcess(cli)
    let c = server.client
    let spec = #"{"run_id":"r1","spec":{"id":"wf","nodes":[{"id":"A","topic":"noop"},{"id":"B","topic":"fail_once","deps":["A"]}]},"input":{"q":1}}"#
    let failed = try #require(c.request("POST", "/debug/run-spec", body: spec))
    #expect(failed.status == 400 && failed.body == "run failed: node failed\n")
    #expect(c.request("POST", "/debug/run-spec", body: spec)?.body == "run already exists: r1\n")
    #expect(c.request("POST", "/debug/run-spec", body: #"{"spec":{"id":"wf","nodes":[]},"bogus":1}"#)?.body == "bad json: json: unknown field \"bogus\"\n")

    let replay = try #require(c.request("POST", "/debug/run-replay", body: #"{"run_id":"r1","from_step":"B"}"#, headers: ["X-Trace-Id": "t-1"]))
    #expect(replay.status == 200)
    #expect(replay.body == "{\"ok\":true,\"run_id\":\"r1\",\"from_step\":\"B\",\"mode\":\"time_travel\",\"trace_id\":\"t-1\"}\n")
    #expect(c.request("POST", "/debug/run-replay", body: #"{"run_id":"r1","mode":"time-travel"}"#)?.body == "replay failed: unknown replay mode: \"time-travel\"\n")
    #expect(c.request("POST", "/debug/run-replay", body: #"{"run_id":"nope"}"#)?.status == 404)

    let state = json(try #require(c.request("GET", "/debug/run-state?run_id=r1")).body)
    #expect((state["run"] as? [String: Any])?["status"] as? String == "succeeded")
    let events = (state["events"] as? [[String: Any]] ?? []).compactMap { $0["type"] as? String }
    #expect(events.first == "run_created" && events.last == "run_finished" && events.contains("replay_requested"))
    let status = json(try #require(c.request("GET", "/debug/run?run_id=r1")).body)
    let rows = (status["nodes"] as? [[String: Any]] ?? []).map { "\($0["node_id"] ?? "")\($0["attempt"] ?? 0):\($0["status"] ?? "")" }
    #expect(rows.contains("B2:succeeded"))
    #expect(c.request("GET", "/debug/run")?.body == "missing run_id\n")
    #expect(c.request("GET", "/debug/run?run_id=zz")?.status == 404)

    let demo = json(try #require(c.request("POST", "/debug/run-demo?x=3")).body)
    let demoID = try #require(demo["run_id"] as? String)
    #expect(demoID.hasPrefix("demo-") && demo["ok"] as? Bool == true)
    #expect(c.request("POST", "/debug/run-demo?x=abc")?.body == "x must be an int\n")
    let listed = json(try #require(c.request("GET", "/debug/runs?limit=1")).body)
    #expect(listed["runs"] as? [String] == [demoID])

    let artifacts = json(try #require(c.request("GET", "/debug/run-artifacts?run_id=\(demoID)")).body)
    let metas = artifacts["artifacts"] as? [[String: Any]] ?? []
    #expect(metas.compactMap { $0["node_id"] as? String } == ["B", "A"])
    let id = try #require(metas.last?["artifact_id"] as? String)
    let blob = try #require(c.request("GET", "/debug/artifact-get?artifact_id=\(id)"))
    #expect(blob.body == "{\"x\":4}" && blob.headers["x-artifact-sha256"] == id && blob.headers["content-type"] == "application/json")
    #expect(c.request("GET", "/debug/artifact-meta?artifact_id=\(id)")?.body.contains("\"original_name\": \"A.output.json\"") == true)
    #expect(c.request("GET", "/debug/artifact-meta?artifact_id=XYZ")?.body == "invalid artifact id\n")
    #expect(c.request("GET", "/debug/run-artifacts?run_id=\(demoID)&limit=0")?.body == "limit must be a positive int\n")

    #expect(c.request("POST", "/debug/index/promote", body: #"{"run_id":"r1","version":"v1"}"#)?.body == "{\"ok\":true,\"active_version\":\"v1\"}\n")
    #expect(c.request("GET", "/debug/index/active")?.body == "{\"ok\":true,\"active_version\":\"v1\"}\n")
    // Only a version once promoted (DriftQ-Core accepts any text).
    #expect(c.request("POST", "/debug/index/rollback?version=v0")?.body == "rollback: version v0 was never promoted (promoted: v1)\n")
    #expect(c.request("POST", "/debug/index/rollback?version=v1")?.body == "{\"ok\":true,\"active_version\":\"v1\"}\n")
    #expect(c.request("POST", "/debug/index/rollback")?.body == "rollback: version required\n")

    let cancel = try #require(c.request("POST", "/debug/run-cancel", body: #"{"run_id":"r1","reason":"done"}"#, headers: ["X-Trace-Id": "t-2"]))
    #expect(cancel.body == "{\"ok\":true,\"run_id\":\"r1\",\"trace_id\":\"t-2\",\"canceled\":true}\n")
    let wrongMethod = try #require(c.request("GET", "/debug/run-cancel"))
    #expect(wrongMethod.status == 405 && wrongMethod.headers["allow"] == "POST" && wrongMethod.body == "method not allowed\n")
    #expect(server.stop() == 0)

    // What the server wrote is the same log the local commands read.
    let local = try cli.run(["runs", "status", "--run-id", "r1"])
    #expect(local.status == 0 && local.stdout.contains("succeeded"))
  }
}
