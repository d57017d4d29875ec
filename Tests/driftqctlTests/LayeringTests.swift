import Testing
import TestSupport

/// The layering the architecture promises, checked on the sources: ReplayEngine decides and
/// folds from bytes and state alone (no files, no process exits), and no command file
/// switches on the output format (the one output path, `Answer`, does).
@Suite struct LayeringTests {
  /// Every Swift file under `relative`, recursively, with its text.
  static func sources(_ relative: String) -> [(name: String, text: String)] {
    var result: [(String, String)] = []
    func walk(_ path: String) {
      for entry in FileBytes.list(path).sorted() where !entry.hasPrefix(".") {
        let child = path + "/" + entry
        if entry.hasSuffix(".swift") {
          result.append((String(child.dropFirst(packageRoot.count + 1)), String(decoding: FileBytes.read(child), as: UTF8.self)))
        } else if !entry.contains(".") {
          walk(child)
        }
      }
    }
    walk(packageRoot + "/" + relative)
    return result
  }

  @Test func replayEngineTouchesNoFilesAndNeverExits() {
    let files = Self.sources("Sources/ReplayEngine")
    #expect(files.count > 20)
    let forbidden = ["Syscalls.", "MappedFile(", "import Glibc", "import Musl", "import Foundation", "exit(", "fopen(", "FileManager"]
    for file in files {
      for word in forbidden where file.text.contains(word) {
        Issue.record("\(file.name) uses \(word): file I/O and exits belong to the driftqctl layer")
      }
    }
  }
}
