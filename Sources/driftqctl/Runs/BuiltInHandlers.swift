import ReplayEngine
import WALFormat

/// The built-in step handlers: DriftQ's (`noop`, `sleep_500ms`, `fail_once`,
/// `delay_once_2s`), the demo workflows', and a clearly labelled simulated model.
enum BuiltInHandlers {
  /// What a handler does: its result, and how long the step takes (so the executor can run
  /// several at once without threads).
  struct Outcome {
    var result: StepResult
    var durationMs: Int64 = 0
  }

  /// DriftQ's example prices: $1.75 per million input tokens, $14.00 per million output.
  static let dollarsPerInputToken = 1.75 / 1_000_000
  static let dollarsPerOutputToken = 14.0 / 1_000_000

  static func run(_ node: NodeSpec, input: JSONValue, attempt: Int) -> Outcome {
    func ok(_ value: JSONValue, after ms: Int64 = 0, usage: Usage = Usage()) -> Outcome {
      Outcome(result: .success(output: value, artifact: nil, usage: usage, workerMs: ms), durationMs: ms)
    }
    switch node.topic {
    case "noop": return ok(input)
    case "sleep_500ms": return ok(input, after: 500)
    case "fail_once":
      return attempt <= 1 ? Outcome(result: .failure(error: "boom", usage: Usage())) : ok(.object([("ok", .bool(true))]))
    case "delay_once_2s":
      return attempt <= 1 ? Outcome(result: .delay(milliseconds: 2000, reason: "delay_once_2s")) : ok(.object([("ok", .bool(true)), ("after", .string("delay"))]))
    case "demo_add_one":
      return ok(.object([("x", .int((input["x"]?.int64Value ?? 0) + 1))]), after: 25)
    case "demo_double":
      // B's input is {"A": {"x": …}}: read x from its dependency (DriftQ's own demo reads the
      // top level and gets {"x":0}).
      let x = node.deps.first.flatMap { input[$0]?["x"]?.int64Value } ?? input["x"]?.int64Value ?? 0
      return ok(.object([("x", .int(x * 2))]), after: 40)
    case "starter_step":
      if node.json["fail"] == .bool(true) {
        return Outcome(result: .failure(error: "forced failure at \(node.id)", usage: Usage()), durationMs: 20)
      }
      return ok(.object([("step", .string(node.id)), ("ok", .bool(true)), ("upstream", .array(node.deps.map { .string($0) }))]), after: 20)
    case "simulated_model":
      let tokensIn = node.json["tokens_in"]?.int64Value ?? 0
      let tokensOut = node.json["tokens_out"]?.int64Value ?? 0
      let prompt = node.json["prompt"]?.stringValue ?? ""
      let usage = Usage(tokensIn: tokensIn, tokensOut: tokensOut, dollars: Double(tokensIn) * dollarsPerInputToken + Double(tokensOut) * dollarsPerOutputToken)
      let digest = String(SHA256.hex(Array((prompt + CanonicalJSON.encode(input)).utf8)).prefix(12))
      return ok(.object([
        ("simulated", .bool(true)),
        ("text", .string("[simulated model output \(digest) for \(node.id)]")),
        ("prompt", .string(prompt)),
      ]), after: 5, usage: usage)
    default:
      return Outcome(result: .failure(error: "no handler registered for topic \"\(node.topic)\" (node \(node.id))", usage: Usage()))
    }
  }
}
