#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// Where profiles live, `$XDG_CONFIG_HOME/driftqctl/profiles.json` (`~/.config/driftqctl/`
/// when XDG_CONFIG_HOME is unset or not absolute, as the XDG spec says), and how the file is
/// read and changed: read whole without a lock (it is only ever replaced by rename), changed
/// under a lock so that two `profile` commands at once never lose each other's change, and
/// written atomically with mode 0600 in a directory of mode 0700.
struct ProfileStore: Sendable {
  let directory: String
  var path: String { directory + "/profiles.json" }
  private var lockPath: String { directory + "/profiles.lock" }

  static let maximumBytes = 1 << 20

  init(directory: String) {
    self.directory = directory
  }

  /// The directory the environment names, or nil when it names none (no HOME either).
  static func directory(in environment: [String: String]) -> String? {
    func absolute(_ variable: String) -> String? {
      guard let value = environment[variable], value.hasPrefix("/") else { return nil }
      var trimmed = Substring(value)
      while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
      return trimmed == "/" ? "" : String(trimmed)
    }
    if let config = absolute("XDG_CONFIG_HOME") { return config + "/driftqctl" }
    if let home = absolute("HOME") { return home + "/.config/driftqctl" }
    return nil
  }

  /// The store of this environment; an error that says how to name one when there is none.
  static func located(in environment: [String: String]) throws(CommandFailure) -> ProfileStore {
    guard let directory = directory(in: environment) else {
      throw CommandFailure(.failure, "cannot find the profiles file: set XDG_CONFIG_HOME or HOME to an absolute path")
    }
    return ProfileStore(directory: directory)
  }

  /// The file's profiles; none when the file does not exist yet.
  func load() throws(CommandFailure) -> ProfileFile {
    let bytes: [UInt8]
    do { bytes = try Syscalls.readSmallFile(path, limit: Self.maximumBytes + 1) } catch {
      if error == .noSuchFile { return ProfileFile() }
      throw CommandFailure(.failure, "cannot read the profiles file \(path): \(error)")
    }
    guard bytes.count <= Self.maximumBytes else { throw damaged("it is larger than 1 MiB") }
    do { return try ProfileFile(parsing: bytes) } catch { throw damaged(error.description) }
  }

  private func damaged(_ why: String) -> CommandFailure {
    CommandFailure(.failure, "the profiles file \(path) is damaged: \(why); fix it, or remove it to forget every profile")
  }

  /// Loads the file, applies `change`, and writes the result back if it changed, all under the
  /// store's lock (waiting at most `lockTimeoutMs` for another profile command).
  func update<T>(lockTimeoutMs: Int64 = 10_000, _ change: (inout ProfileFile) throws -> T) throws -> T {
    do {
      try Self.makeDirectories(directory)
    } catch {
      throw CommandFailure(.failure, "cannot create \(directory): \(error)")
    }
    let lock = try takeLock(timeoutMs: lockTimeoutMs)
    defer { Syscalls.close(lock) }
    var file = try load()
    let before = file
    let result = try change(&file)
    if file != before {
      do { try Syscalls.writePrivateFileAtomically(path, contents: file.encoded(), directory: directory) } catch {
        throw CommandFailure(.failure, "cannot write the profiles file \(path): \(error)")
      }
    }
    return result
  }

  /// The profile `name` names, else the current one, else nil. `source` says where the name
  /// came from, for the message when there is no such profile.
  func resolve(named name: String?, source: String) throws(CommandFailure) -> Profile? {
    let file = try load()
    if let name {
      if let problem = Profile.problem(withName: name) { throw CommandFailure(.usage, "\(source): \(problem)") }
      guard let profile = file[name] else {
        throw CommandFailure(.notFound, "\(source): no profile named \"\(name)\" in \(path) ('driftqctl profile list' shows the saved ones)")
      }
      return profile
    }
    guard let current = file.current else { return nil }
    guard let profile = file[current] else {
      throw CommandFailure(
        .notFound, "the current profile \"\(current)\" is not in \(path) (choose another with 'driftqctl profile use NAME', or none with 'driftqctl profile use --none')")
    }
    return profile
  }

  /// Makes the directory and its missing parents, each with mode 0700.
  private static func makeDirectories(_ path: String) throws(Errno) {
    var built = ""
    for part in path.split(separator: "/") {
      built += "/" + part
      try Syscalls.makeDirectory(built, mode: 0o700)
    }
  }

  private func takeLock(timeoutMs: Int64) throws -> Int32 {
    let fd: Int32
    do { fd = try Syscalls.open(lockPath, flags: O_RDWR | O_CREAT, mode: 0o600) } catch {
      throw CommandFailure(.failure, "cannot open \(lockPath): \(error)")
    }
    var waited: Int64 = 0
    while true {
      let acquired: Bool
      do { acquired = try Syscalls.tryLockExclusive(fd) } catch {
        Syscalls.close(fd)
        throw CommandFailure(.failure, "cannot lock \(lockPath): \(error)")
      }
      if acquired { return fd }
      guard waited < timeoutMs else {
        Syscalls.close(fd)
        throw CommandFailure(.unavailable, "another driftqctl holds \(lockPath) (waited \(timeoutMs) ms)")
      }
      usleep(10_000)
      waited += 10
    }
  }
}
