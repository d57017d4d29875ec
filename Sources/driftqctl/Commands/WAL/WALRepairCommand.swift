import ReplayEngine
import WALFormat

/// `wal repair`: cuts off a torn tail (keeping a `.broken` copy); refuses corruption unless
/// `--force` (cut there) or `--salvage` (keep every intact record after it).
struct WALRepairCommand: Command {
  static let force = OptionSpec.flag("force", help: "Also truncate at corruption, dropping everything after it (copies kept).")
  static let salvage = OptionSpec.flag("salvage", help: "Keep every intact record after corruption; name the LSNs lost (copies kept).")

  static let spec = CommandSpec(
    ["wal", "repair"], abstract: "Cut off a torn tail, keeping a .broken copy; refuses corruption unless --force or --salvage.",
    discussion: """
      Takes the writer lock. With --force, truncates the damaged segment at the first bad frame and
      moves every later segment aside as <name>.broken: that data is dropped from the log.
      With --salvage, rewrites each damaged segment with every intact frame kept and a lost_record
      in place of each record that could not be read (originals kept as <name>.broken), and names
      the LSNs lost. Either way, checkpoints that cover records the log no longer holds are set
      aside as <name>.broken.
      """,
    options: [force, salvage])

  let globals: GlobalOptions
  let forced: Bool
  let salvaging: Bool

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    forced = args.flag(Self.force)
    salvaging = args.flag(Self.salvage)
    if forced && salvaging { throw UsageError("--force and --salvage are alternatives: give one", command: Self.spec.path) }
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let directory = try WALDirectory.open(globals.walDirectory)
    let log = WALLog(directory: directory, options: globals.walOptions)
    var members: [(String, JSONValue)] = []
    var lines: [String] = []
    if salvaging {
      let outcome = try WALSalvage.salvage(log)
      let lost = outcome.lost.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)..\($0.upperBound)" }
      members += [
        ("action", .string(outcome.rewritten.isEmpty ? "nothing_to_do" : "salvaged")),
        ("lost_lsns", .array(lost.map { .string($0) })), ("lost_records", .int(outcome.lost.reduce(0) { $0 + $1.count })),
        ("tail_bytes_cut", .int(outcome.tailBytesCut)), ("rewritten", .array(outcome.rewritten.map { .string($0) })),
        ("broken_copies", .array(outcome.brokenCopies.map { .string($0) })),
      ]
      if outcome.rewritten.isEmpty {
        lines.append("nothing to salvage: no torn tail and no corruption")
      } else {
        lines.append("salvaged \(outcome.rewritten.joined(separator: ", ")): lost LSNs \(lost.isEmpty ? "none" : lost.joined(separator: ", "))" + (outcome.tailBytesCut > 0 ? "; \(outcome.tailBytesCut) damaged bytes cut from the end" : ""))
        lines += outcome.brokenCopies.map { "kept a copy: \($0)" }
      }
    } else {
      let outcome = try WALRepair.repair(log, force: forced)
      members.append(("action", .string(outcome.action.rawValue)))
      if let location = outcome.location { members += [("segment", .string(location.segment)), ("byte", .int(location.offset))] }
      members += [("bytes_removed", .int(outcome.bytesRemoved)), ("broken_copies", .array(outcome.brokenCopies.map { .string($0) }))]
      switch outcome.action {
      case .nothingToDo: lines.append("nothing to repair: no torn tail and no corruption")
      case .truncatedTornTail, .truncatedCorruption:
        let what = outcome.action == .truncatedTornTail ? "cut a torn tail" : "truncated at corruption"
        lines.append("\(what) at \(outcome.location.map(\.description) ?? "?"): \(outcome.bytesRemoved) bytes removed")
        lines += outcome.brokenCopies.map { "kept a copy: \($0)" }
      }
    }
    try log.lockExclusive()
    let setAside = try CheckpointStore(directory: directory).setAsideLost(in: directory)
    log.unlock()
    members.append(("checkpoints_set_aside", .array(setAside.map { .string($0.name) })))
    lines += setAside.map { "checkpoint \($0.name) covered LSN \($0.lsn), which the log no longer holds: set aside as \($0.name).broken" }
    context.print(.object(.object(members)) { Answer.lines(lines) }, as: globals.output)
    return .success
  }
}
