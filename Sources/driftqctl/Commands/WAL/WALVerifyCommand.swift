import ReplayEngine
import WALFormat

/// `wal verify`: checks every frame, read-only; torn tail vs corruption, with places.
struct WALVerifyCommand: Command {
  static let spec = CommandSpec(
    ["wal", "verify"], abstract: "Check every frame's checksums; tell a torn tail from corruption.",
    discussion: """
      A torn tail (the last frame of the newest segment cut short by a crash) is reported and
      exits 0: it was never acknowledged, and the next writer cuts it off. Corruption (a bad frame
      followed by valid data, damage in a sealed segment, an LSN gap) exits 3. Each problem names
      the segment file, byte offset, LSN and the stored and computed checksums.
      A DriftQ-Core broker WAL file given as --wal-dir is checked line by line: an unfinished last
      line is a torn tail, an undecodable line before it is corruption.
      """,
    options: [])

  let globals: GlobalOptions

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    if CoreArtifactsReport.recognizes(globals.walDirectory) { return context.print(try CoreArtifactsReport.verify(globals.walDirectory), as: globals.output) }
    if let core = try CoreWALReports.open(globals.walDirectory) { return context.print(CoreWALReports.verify(core), as: globals.output) }
    let directory = try WALDirectory.open(globals.walDirectory)
    let started = Stopwatch()
    let total = (try? Compactor.bytes(of: directory.segments())) ?? 0
    let meter = ProgressMeter(context, "verifying", unit: .bytes, total: total)
    let report = try WALVerifier.verify(directory) { meter?.advance(by: $0) }
    meter?.finish()
    let elapsed = started.milliseconds
    let status = report.isCorrupt ? "corrupt" : (report.tornTail != nil ? "torn_tail" : "clean")
    let problems: [JSONValue] = report.problems.map { p in
      var members: [(String, JSONValue)] = [
        ("kind", .string(p.kind.rawValue)), ("segment", .string(p.location.segment)), ("byte", .int(p.location.offset)),
      ]
      if let lsn = p.location.lsn { members.append(("lsn", .int(lsn))) }
      members.append(("message", .string(p.message)))
      if let s = p.storedChecksum { members.append(("stored_checksum", .string(hex(s)))) }
      if let c = p.computedChecksum { members.append(("computed_checksum", .string(hex(c)))) }
      members.append(("bytes_affected", .int(p.bytesAffected)))
      return .object(members)
    }
    var members: [(String, JSONValue)] = [
      ("ok", .bool(!report.isCorrupt)), ("status", .string(status)), ("segments", .int(report.segments.count)),
      ("records", .int(report.records)), ("bytes", .int(report.bytes)),
    ]
    if let first = report.firstLSN { members.append(("first_lsn", .int(first))) }
    if let last = report.lastLSN { members.append(("last_lsn", .int(last))) }
    members += [("elapsed_ms", .int(elapsed)), ("problems", .array(problems))]
    context.print(
      .object(.object(members)) {
        var text = "checked \(report.segments.count) segments, \(report.records) records, \(ByteCount.format(report.bytes)) in \(elapsed) ms"
        text += " (\(CRC32C.isHardwareAccelerated ? "hardware" : "software") CRC32C)\n"
        if let first = report.firstLSN, let last = report.lastLSN {
          text += "LSN \(first)..\(last)"
          if let t0 = report.firstTime, let t1 = report.lastTime { text += ", \(RFC3339.format(t0)) .. \(RFC3339.format(t1))" }
          text += "\n"
        }
        for problem in report.problems {
          let label = problem.kind == .tornTail ? "torn tail" : "corruption"
          text += "\(label): \(problem.location): \(problem.message); \(problem.bytesAffected) bytes"
          if problem.kind == .tornTail { text += " (never acknowledged; the next writer cuts it off, or run 'driftqctl wal repair')" }
          text += "\n"
        }
        return text + "result: \(status == "clean" ? "ok" : status == "torn_tail" ? "ok (torn tail)" : "CORRUPT")\n"
      }, as: globals.output)
    return report.isCorrupt ? .corruption : .success
  }
}
