import ReplayEngine
import WALFormat

/// `runs demo`: the demo workflows, each one command with no setup.
struct RunsDemoCommand: Command {
  static let workflow = OptionSpec("workflow", placeholder: "NAME", help: "demo (DriftQ's wf_demo), starter or ai-news.", default: "demo",
    values: .choices(["demo", "starter", "ai-news"]))
  static let fail = OptionSpec("fail", placeholder: "STEP", help: "starter: the step that fails (none, fetch_input, transform, tool_call or finalize).", default: "none",
    values: .choices(["none", "fetch_input", "transform", "tool_call", "finalize"]))
  static let reportPrompt = OptionSpec("report-prompt", placeholder: "TEXT", help: "ai-news: the report step's prompt.", default: "Write today's AI news report")
  static let runIDOption = OptionSpec("run-id", placeholder: "ID", help: "ai-news: replay this earlier ai-news run with the new prompt (--auto) instead of starting one.")

  static let spec = CommandSpec(
    ["runs", "demo"], abstract: "Run a demo workflow: demo ({\"x\":1} -> {\"x\":4}), starter (retries, DLQ, fix, replay) or ai-news (costs).",
    discussion: """
      demo: DriftQ's wf_demo, A (x+1) then B (x*2), giving {"x":4}; prints run_id=<id> and the next command.
      starter: fetch_input -> transform -> tool_call -> finalize; with --fail the step fails, retries with
      backoff, the run fails and its work is published to the runs.dlq topic; then the fix is applied and
      the run replayed with --auto, re-running only what the fix changed.
      ai-news: five summaries and a report by a SIMULATED model (no model is called) that reports DriftQ's
      example tokens and prices ($1.75/M in, $14/M out): $0.13825 a run. --report-prompt with --run-id of
      an earlier ai-news run replays it with --auto: only the report runs again ($0.0385).
      """,
    options: [workflow, fail, reportPrompt, runIDOption],
    examples: ["driftqctl runs demo", "driftqctl runs demo --workflow ai-news --run-id <id> --report-prompt 'Shorter, please'"])

  static let worksRemotely = true
  let globals: GlobalOptions
  let name: String
  let failing: String
  let prompt: String
  let existing: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    name = args.value(Self.workflow) ?? "demo"
    guard Self.workflow.choices.contains(name) else {
      throw UsageError("invalid value \"\(name)\" for --workflow: expected demo, starter or ai-news", command: Self.spec.path)
    }
    failing = args.value(Self.fail) ?? "none"
    guard Self.fail.choices.contains(failing) else {
      throw UsageError("invalid value \"\(failing)\" for --fail: expected none, fetch_input, transform, tool_call or finalize", command: Self.spec.path)
    }
    prompt = args.value(Self.reportPrompt) ?? "Write today's AI news report"
    existing = args.value(Self.runIDOption)
    if args.isGiven(Self.fail) && name != "starter" { throw UsageError("--fail applies to --workflow starter", command: Self.spec.path) }
    if (args.isGiven(Self.reportPrompt) || existing != nil) && name != "ai-news" {
      throw UsageError("--report-prompt and --run-id apply to --workflow ai-news", command: Self.spec.path)
    }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let runs = try RunsFace.open(globals, context, creating: true)
    guard name != "demo" else {
      let (run, status) = try runs.demo()
      context.print(RunsSupport.started(run.runID, status: run.status.rawValue, statusInText: false), as: globals.output)
      return status
    }
    return name == "starter" ? try runStarter(runs, context) : try runNews(runs, context)
  }

  /// DriftQ's starter story on either face: a run whose step fails until its attempts are
  /// spent, its work dead-lettered to `runs.dlq`, then the fix replayed with `--auto`.
  private func runStarter(_ runs: any Runs, _ context: CommandContext) throws -> ExitStatus {
    let runID = RunsSupport.newRunID(prefix: "starter", now: context.clock())
    let (started, firstStatus) = try runs.start(
      spec: try DemoWorkflows.starter(failing: failing), input: .object([("request", .string("demo"))]), runID: runID, detach: false, quiet: true)
    guard let first = started, first.status == .failed, let node = first.failedNode else {
      context.print(RunsSupport.started(runID, status: started?.status.rawValue ?? "running"), as: globals.output)
      return firstStatus
    }
    let attempts = first.executions(of: node).count
    let error = first.executions(of: node).last?.error ?? ""
    // The failed work goes to the application's DLQ topic, as the starter app does.
    let place = try DemoWorkflows.deadLetter(try BrokerFace.open(globals, context), runID: runID, node: node, error: error, attempts: attempts)
    // The story so far, told in text before the replay's lines; JSON gives the replay's answer.
    let story = Answer.lines([
      "run_id=\(runID) status=failed failed_node=\(node) attempts=\(attempts) error=\(GoQuote.quote(error))",
      "dead-lettered to runs.dlq" + (place.map { " partition=\($0.partition) offset=\($0.offset)" } ?? ""),
      "fix applied: replaying with --auto",
    ])
    let replay = try runs.replay(runID, from: nil, mode: "auto", newSpec: try DemoWorkflows.starter(failing: "none"))
    let replayed = RunsReplayCommand.report(run: replay.run, before: replay.before, explanations: replay.explanations, mode: "auto", from: nil)
    context.print(replayed.addingText(before: story), as: globals.output)
    return replay.status
  }

  /// DriftQ's cost example on either face: a run of simulated model calls, or (`--run-id`) a
  /// replay with a new report prompt that pays only for the step whose prompt changed.
  private func runNews(_ runs: any Runs, _ context: CommandContext) throws -> ExitStatus {
    let spec = try DemoWorkflows.aiNews(reportPrompt: prompt)
    if let existing {
      guard try runs.run(existing).workflowID == "ai-news" else { throw CommandFailure(.failure, "run \(existing) is not an ai-news run") }
      let replay = try runs.replay(existing, from: nil, mode: "auto", newSpec: spec)
      let run = replay.run
      let replayed = RunsReplayCommand.report(run: run, before: replay.before, explanations: replay.explanations, mode: "auto", from: nil)
      let total = "total: dollars=\(Money.text(run.usage.dollars)) saved_dollars=\(Money.text(run.saved.dollars))\n"
      context.print(replayed.addingText(after: total), as: globals.output)
      return replay.status
    }
    let runID = RunsSupport.newRunID(prefix: "ai-news", now: context.clock())
    let (started, status) = try runs.start(spec: spec, input: DemoWorkflows.newsInput, runID: runID, detach: false, quiet: false)
    let run = try started ?? runs.run(runID)
    let document = JSONValue.object([
      ("ok", .bool(true)), ("run_id", .string(runID)), ("status", .string(run.status.rawValue)), ("tokens", .int(run.usage.tokens)),
      ("dollars", .number(Money.text(run.usage.dollars))),
    ])
    context.print(
      .object(document) {
        "run_id=\(runID) status=\(run.status.rawValue) tokens=\(run.usage.tokens) dollars=\(Money.text(run.usage.dollars)) (simulated model)\n"
          + "next: driftqctl runs demo --workflow ai-news --run-id \(runID) --report-prompt '<a new prompt>'\n"
      }, as: globals.output)
    return status
  }
}
