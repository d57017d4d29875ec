import ReplayEngine
import WALFormat

/// The demo workflows' specs, written as the JSON a user would write.
enum DemoWorkflows {
  static func demo() throws -> WorkflowSpec {
    try spec("""
      {"id":"wf_demo","nodes":[{"id":"A","topic":"demo_add_one"},{"id":"B","topic":"demo_double","deps":["A"]}]}
      """)
  }

  /// The FastAPI starter's pipeline; `failing` names the step that fails ("none": none).
  static func starter(failing: String) throws -> WorkflowSpec {
    let steps = ["fetch_input", "transform", "tool_call", "finalize"]
    let nodes = steps.enumerated().map { index, step in
      let deps = index == 0 ? "" : ",\"deps\":[\"\(steps[index - 1])\"]"
      let fail = step == failing ? ",\"fail\":true" : ""
      return "{\"id\":\"\(step)\",\"topic\":\"starter_step\"\(deps),\"retry\":{\"max_attempts\":3,\"backoff_ms\":100,\"max_backoff_ms\":400}\(fail)}"
    }
    return try spec("{\"id\":\"starter\",\"nodes\":[\(nodes.joined(separator: ","))]}")
  }

  /// DriftQ's cost example: five summaries (5,000 in / 800 out tokens) and a report
  /// (6,000 / 2,000) by a simulated model.
  static func aiNews(reportPrompt: String) throws -> WorkflowSpec {
    var nodes: [String] = []
    for i in 1...5 {
      nodes.append("{\"id\":\"summarize_\(i)\",\"topic\":\"simulated_model\",\"tokens_in\":5000,\"tokens_out\":800,\"prompt\":\"Summarize article \(i) of today's AI news\"}")
    }
    let prompt = JSONWriter.encode(.string(reportPrompt))
    nodes.append("{\"id\":\"report\",\"topic\":\"simulated_model\",\"deps\":[\"summarize_1\",\"summarize_2\",\"summarize_3\",\"summarize_4\",\"summarize_5\"],\"tokens_in\":6000,\"tokens_out\":2000,\"prompt\":\(prompt)}")
    return try spec("{\"id\":\"ai-news\",\"max_parallel\":5,\"nodes\":[\(nodes.joined(separator: ","))]}")
  }

  static let newsInput: JSONValue = .object([("date", .string("today")), ("articles", .int(5))])

  private static func spec(_ text: String) throws -> WorkflowSpec {
    try RunsSupport.parseSpec(Array(text.utf8), origin: "built-in demo spec")
  }

  /// Publishes a failed run's work to `runs.dlq` (created on demand), as the starter app
  /// does; where it landed, when the face says.
  static func deadLetter(_ broker: any Broker, runID: String, node: String, error: String, attempts: Int) throws -> MessageOrigin? {
    _ = try broker.createTopic(name: "runs.dlq", partitions: 1, limits: ProducerLimits())
    let value = JSONWriter.encode(.object([
      ("type", .string("runs.dlq")), ("run_id", .string(runID)), ("workflow", .string("starter")), ("failed_node", .string(node)),
      ("error", .string(error)), ("attempts", .int(attempts)), ("reason", .string("max_attempts")),
    ]))
    var envelope = Envelope()
    envelope.runID = runID
    envelope.stepID = node
    let request = PublishRequest(topic: "runs.dlq", key: Array(runID.utf8), value: Array(value.utf8), envelope: envelope)
    guard let answer = try broker.publish([request]).first else { return nil }
    return try answer.get().place
  }
}
