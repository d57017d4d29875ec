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

  @Test func theManPageDocumentsEveryCommandAndOption() {
    let page = read("man/driftqctl.1")
    #expect(!page.isEmpty)
    for type in CommandTable.all {
      #expect(page.contains(".SS \"\(type.spec.name)\""), "man/driftqctl.1 lacks a section for \(type.spec.name)")
      for option in type.spec.options {
        #expect(page.contains(option.name), "man/driftqctl.1 lacks --\(option.name) of \(type.spec.name)")
      }
    }
    for option in OptionSpec.globals {
      #expect(page.contains(option.name), "man/driftqctl.1 lacks global --\(option.name)")
      if let variable = option.environment { #expect(page.contains(variable)) }
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
