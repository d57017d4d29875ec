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
