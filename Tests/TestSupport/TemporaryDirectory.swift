#if canImport(Glibc)
import Glibc
#endif

/// Tests write to pipes and sockets of processes they kill or that finish early: a write
/// there must fail with EPIPE, never end the whole test process with SIGPIPE (as it does for
/// driftqctl itself, which ignores SIGPIPE at its entry point). Set once, before any test's
/// first directory, which every test that starts a process makes.
private let ignoringBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

/// A fresh directory under $TMPDIR (or /tmp) per test, removed when the value goes away.
public final class TemporaryDirectory: @unchecked Sendable {
  // Invariant: `path` never changes after init; removal happens once, in deinit.
  public let path: String

  public init(_ label: String = "test") {
    _ = ignoringBrokenPipes
    let base = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
    var template = Array("\(base)/driftq-\(label)-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer -> String? in
      guard let base = buffer.baseAddress, let result = mkdtemp(base) else { return nil }
      return String(cString: result)
    }
    path = made ?? "\(base)/driftq-\(label)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    if made == nil { mkdir(path, 0o755) }
  }

  /// A path inside the directory.
  public func appending(_ name: String) -> String { path + "/" + name }

  /// Writes `text` to the file `name` in the directory; its path.
  @discardableResult
  public func write(_ text: String, to name: String) -> String {
    let file = appending(name)
    FileBytes.write(file, Array(text.utf8))
    return file
  }

  deinit {
    if getenv("DRIFTQ_KEEP_TEST_DIRS") != nil { return }
    Self.removeTree(path)
  }

  /// Deletes a directory tree (no symlink following).
  public static func removeTree(_ path: String) {
    if let dir = opendir(path) {
      while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name == "." || name == ".." { continue }
        let child = path + "/" + name
        var info = stat()
        if lstat(child, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR { removeTree(child) } else { unlink(child) }
      }
      closedir(dir)
    }
    rmdir(path)
  }
}
