@testable import driftqctl
import Foundation
import Testing
import TestSupport
import WALFormat

/// The README, the man pages and the code describe the same commands and format.
@Suite struct DocumentationDriftTests {
  /// The file's text, with roff's escaped hyphens (`\-`) made plain for comparison.
  func read(_ relative: String) -> String {
    String(decoding: FileBytes.read(packageRoot + "/" + relative), as: UTF8.self).replacingOccurrences(of: "\\-", with: "-")
  }

  /// The text of a man page section (`.SS "NAME"` up to the next `.SS` or `.SH`).
  func section(_ page: String, _ name: String) -> String? {
    guard let start = page.range(of: ".SS \"\(name)\"\n") else { return nil }
    let rest = page[start.upperBound...]
    let end = [rest.range(of: "\n.SS "), rest.range(of: "\n.SH ")].compactMap { $0?.lowerBound }.min() ?? rest.endIndex
    return String(rest[..<end])
  }

  /// An option as roff writes it in bold: `\fB--name\fR` (after `read` unescaped the dashes).
  func bold(_ option: String) -> String { "\\fB--\(option)\\fR" }

  @Test func theManPageDocumentsEveryCommandAndOption() {
    let page = read("man/driftqctl.1")
    #expect(!page.isEmpty)
    for type in CommandTable.all {
      guard let text = section(page, type.spec.name) else {
        Issue.record("man/driftqctl.1 lacks a section for \(type.spec.name)")
        continue
      }
      for option in type.spec.options {
        #expect(text.contains(bold(option.name)), "man/driftqctl.1's \(type.spec.name) section lacks \(bold(option.name))")
      }
    }
    guard let globals = page.range(of: ".SH GLOBAL OPTIONS").map({ String(page[$0.upperBound...].prefix { _ in true }) }) else {
      Issue.record("man/driftqctl.1 lacks GLOBAL OPTIONS")
      return
    }
    let globalText = String(globals[..<(globals.range(of: "\n.SH ")?.lowerBound ?? globals.endIndex)])
    for option in OptionSpec.globals {
      #expect(globalText.contains(bold(option.name)), "man/driftqctl.1's GLOBAL OPTIONS lack \(bold(option.name))")
      if let variable = option.environment { #expect(globalText.contains(variable), "GLOBAL OPTIONS lack \(variable)") }
    }
  }

  /// The text of a top-level man page section (`.SH NAME` up to the next `.SH`), with roff's
  /// no-break markers (`\%`) removed.
  func topSection(_ page: String, _ name: String) -> String {
    guard let start = page.range(of: ".SH \(name)\n") else { return "" }
    let rest = page[start.upperBound...]
    return String(rest[..<(rest.range(of: "\n.SH ")?.lowerBound ?? rest.endIndex)]).replacingOccurrences(of: "\\%", with: "")
  }

  @Test func theSynopsisNamesEveryCommand() {
    let synopsis = topSection(read("man/driftqctl.1"), "SYNOPSIS")
    for type in CommandTable.all {
      #expect(synopsis.contains("\\fB\(type.spec.name)\\fR"), "the SYNOPSIS of man/driftqctl.1 lacks \(type.spec.name)")
    }
  }

  @Test func theEnvironmentSectionNamesEveryVariable() {
    let environment = topSection(read("man/driftqctl.1"), "ENVIRONMENT")
    let variables = Set((OptionSpec.globals + CommandTable.all.flatMap { $0.spec.options }).compactMap { $0.environment })
    #expect(variables.count >= 10)
    for variable in variables {
      #expect(environment.contains(".B \(variable)\n"), "the ENVIRONMENT of man/driftqctl.1 lacks \(variable)")
    }
  }

  /// One promise of the EXIT STATUS section: a command line, its status, and the words of
  /// that status's paragraph that name the case.
  struct ExitPromise: Sendable, CustomTestStringConvertible {
    var arguments: [String]
    var status: Int32
    var phrase: String
    var testDescription: String { arguments.joined(separator: " ") }
  }

  static let exitPromises = [
    ExitPromise(arguments: ["topics", "lag", "--group", "g", "--topic", "nope"], status: 1, phrase: "topic does not exist"),
    ExitPromise(arguments: ["dlq", "list", "--topic", "nope"], status: 1, phrase: "topic does not exist"),
    ExitPromise(arguments: ["groups", "describe", "--group", "nobody"], status: 4, phrase: "a group that does not exist for groups describe"),
    ExitPromise(arguments: ["runs", "status", "--run-id", "nope"], status: 4, phrase: "for runs, a run"),
    ExitPromise(arguments: ["publish", "--topic", "nope", "--value", "x"], status: 1, phrase: "topic does not exist"),
  ]

  /// What the EXIT STATUS section promises for a missing topic, group or run, checked
  /// against what the commands do.
  @Test(arguments: exitPromises)
  func exitStatusesAreTheDocumentedOnes(_ promise: ExitPromise) throws {
    let directory = TemporaryDirectory("exit-docs")
    let cli = TestCLI()
    let dir = ["--wal-dir", directory.path + "/d"]
    #expect(cli.run(dir + ["topics", "create", "--name", "t"]).status == 0)
    #expect(cli.run(dir + ["publish", "--topic", "t", "--value", "x"]).status == 0)
    #expect(cli.run(dir + ["consume", "--topic", "t", "--group", "g", "--owner", "w"]).status == 0)
    #expect(cli.run(dir + promise.arguments).status == promise.status)
    let section = topSection(read("man/driftqctl.1"), "EXIT STATUS")
    guard let start = section.range(of: ".B \(promise.status)\n") else {
      Issue.record("EXIT STATUS lacks status \(promise.status)")
      return
    }
    let rest = section[start.upperBound...]
    var text = String(rest[..<(rest.range(of: "\n.TP")?.lowerBound ?? rest.endIndex)])
    for markup in ["\\fB", "\\fR", "\\fI"] { text = text.replacingOccurrences(of: markup, with: "") }
    text = text.replacingOccurrences(of: "\n", with: " ")
    #expect(text.contains(promise.phrase), "EXIT STATUS \(promise.status) does not say \"\(promise.phrase)\"")
    // A missing topic is a broker rejection (1), never "not found" (4) for these commands.
    if promise.status == 4 { #expect(!text.contains("a topic that does not exist for")) }
  }

  /// The Go driftqctl's options the page names to contrast them with ours.
  static let goToolOptions: Set<String> = ["allow-redelivery", "wait-ms"]

  /// Every option the man page names in bold is one that some command has (or the Go tool's,
  /// named as such): a renamed or removed option cannot linger in the docs.
  @Test func theManPageNamesNoOptionThatDoesNotExist() {
    let page = read("man/driftqctl.1")
    let names = Set(OptionSpec.globals.map(\.name) + CommandTable.all.flatMap { $0.spec.options.flatMap { [$0.name] + $0.aliases } })
      .union(Self.goToolOptions)
    for type in CommandTable.all {
      guard let text = section(page, type.spec.name) else { continue }
      var rest = Substring(text)
      while let found = rest.range(of: "\\fB--") {
        let name = rest[found.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" }
        rest = rest[found.upperBound...]
        guard !name.isEmpty else { continue }
        #expect(names.contains(String(name)), "man/driftqctl.1's \(type.spec.name) section names --\(name), which no command has")
      }
    }
  }

  @Test func theReadmeListsEveryCommand() {
    let readme = read("README.md")
    for type in CommandTable.all {
      let listed = readme.contains("\n  " + type.spec.name + " ") || readme.contains("\n  " + type.spec.name + "\n")
      #expect(listed, "README.md's command list lacks \(type.spec.name)")
    }
    #expect(readme.contains("swift test"))
  }

  /// Each line of the README's command list names options its command really has (or global
  /// ones): `consume ... [--timeout D]` after the option became `--wait` fails here.
  @Test func theReadmeCommandListNamesRealOptions() {
    let readme = read("README.md")
    guard let start = readme.range(of: "## Commands\n"), let end = readme[start.upperBound...].range(of: "global options (") else {
      Issue.record("README.md lacks its command list")
      return
    }
    let globalNames = Set(OptionSpec.globals.flatMap { [$0.name] + $0.aliases })
    var current: (any Command.Type)?
    for line in readme[start.upperBound..<end.lowerBound].split(separator: "\n") {
      let words = line.split(separator: " ").map(String.init)
      if line.hasPrefix("  "), !line.hasPrefix("   "), let first = words.first {
        current = CommandTable.command(for: [first]) ?? (words.count > 1 ? CommandTable.command(for: [first, words[1]]) : nil)
      }
      guard let current else { continue }
      let names = Set(current.spec.options.flatMap { [$0.name] + $0.aliases }).union(globalNames)
      for word in words where word.contains("--") {
        guard let dashes = word.firstRange(of: "--") else { continue }
        let name = word[dashes.upperBound...].prefix { $0.isLetter || $0.isNumber || $0 == "-" }
        if name.isEmpty || name == "batch" && current.spec.options.contains(where: { $0.name == "batch" }) { continue }
        #expect(names.contains(String(name)), "README.md lists --\(name) for '\(current.spec.name)', which it does not have")
      }
    }
  }

  @Test func theFormatPageAgreesWithTheEncoder() {
    let page = read("man/driftq-wal.5")
    #expect(page.contains("The segment header is \(SegmentHeader.size) bytes."))
    #expect(page.contains("The frame header is \(RecordFrame.headerSize) bytes."))
    var writer = ByteWriter()
    SegmentHeader(salt: 1, baseLSN: 1).encode(into: &writer)
    #expect(writer.count == SegmentHeader.size)
    writer = ByteWriter()
    RecordFrame.encode(lsn: 1, kind: RecordKind(rawValue: 1), timestamp: WALTimestamp(nanoseconds: 0), payload: [], salt: 1, into: &writer)
    #expect(writer.count == RecordFrame.headerSize)
  }
}
