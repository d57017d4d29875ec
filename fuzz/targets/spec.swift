// Fuzz target: the workflow spec reader (`runs start --workflow FILE`, POST /v1/runs):
// RunsSupport.parseSpec, i.e. the JSON parser then WorkflowSpec's checks.
//
// Input: the bytes of a spec file.
// Properties, for every spec accepted:
//   - ids are unique and non-empty, every dep names a node, limits are within bounds;
//   - topologicalOrder terminates, holds every node once, and puts each after its deps;
//   - downstream(of:) holds its start and is closed under "depends on";
//   - the spec written out as JSON reads back as the same spec;
//   - node definitions (the replay cache key) are canonical JSON that parses.
import ReplayEngine
@testable import driftqctl

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  let spec: WorkflowSpec
  do { spec = try RunsSupport.parseSpec(bytes, origin: "fuzz.json") } catch {
    guard let failure = error as? CommandFailure else { fail("parseSpec threw \(type(of: error))") }
    _ = failure
    // A recorded run's spec is read without the handler check: it must not trap either.
    if let json = try? JSONParser.parse(bytes: bytes), let lenient = try? WorkflowSpec(json: json, knownHandlers: false) { check(lenient) }
    return 0
  }
  check(spec)
  guard let again = try? RunsSupport.parseSpec(Array(JSONWriter.encode(spec.json).utf8), origin: "again.json"), again == spec else {
    fail("the spec written out does not read back the same")
  }
  return 0
}

func check(_ spec: WorkflowSpec) {
  let ids = spec.nodes.map(\.id)
  guard !spec.id.isEmpty, !ids.isEmpty, ids.count <= WorkflowSpec.maximumNodes, Set(ids).count == ids.count, !ids.contains("") else {
    fail("node ids \(ids)")
  }
  guard (1...64).contains(spec.maxParallel) else { fail("maxParallel \(spec.maxParallel)") }
  for node in spec.nodes {
    for dep in node.deps where !ids.contains(dep) { fail("node \(node.id) depends on unknown \(dep)") }
    guard node.retry.maxAttempts >= 1, node.retry.backoffMs >= 0, node.retry.maxBackoffMs >= 0, (node.timeoutMs ?? 1) > 0 else {
      fail("node \(node.id): retry \(node.retry), timeout \(String(describing: node.timeoutMs))")
    }
    guard node.run != nil || !node.topic.isEmpty else { fail("node \(node.id) has neither run nor topic") }
    guard (try? JSONParser.parse(node.definition)) != nil else { fail("node \(node.id) definition is not JSON: \(node.definition)") }
  }
  let order = spec.topologicalOrder
  guard order.count == spec.nodes.count, Set(order.map(\.id)) == Set(ids) else { fail("topological order \(order.map(\.id)) for \(ids)") }
  var seen: Set<String> = []
  for node in order {
    for dep in node.deps where !seen.contains(dep) { fail("\(node.id) comes before its dep \(dep)") }
    seen.insert(node.id)
  }
  let start = ids[ids.count / 2]
  let downstream = spec.downstream(of: start)
  guard downstream.contains(start) else { fail("downstream of \(start) lacks it") }
  for node in spec.nodes where !downstream.contains(node.id) && node.deps.contains(where: downstream.contains) {
    fail("downstream of \(start) is not closed: \(node.id)")
  }
  _ = spec.budget.json
  _ = Money.text(spec.budget.maxDollars)
}

func fail(_ message: String) -> Never {
  fatalError("property violated: \(message)")
}
