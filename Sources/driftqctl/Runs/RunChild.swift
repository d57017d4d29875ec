#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// `driftqctl runs resume` for a run, in a child process whose output goes to
/// `DIR/runs/<id>.log`: how `runs start --detach` returns at once (the child in a process
/// group of its own, so it outlives the shell), and how `serve` executes runs (a handler that
/// crashes takes only its child down).
enum RunChild {
  /// The path of this executable.
  static func executable() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { throw CommandFailure(.failure, "cannot find the driftqctl executable") }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Starts the child and returns at once.
  static func detach(runID: String, directory: String, sync: SyncPolicy) throws {
    _ = try spawn(runID: runID, directory: directory, sync: sync, ownProcessGroup: true)
  }

  /// Executes the run to its end; returns the child's exit status.
  static func execute(runID: String, directory: String, sync: SyncPolicy) throws -> Int32 {
    let pid = try spawn(runID: runID, directory: directory, sync: sync, ownProcessGroup: false)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xff
  }

  private static func spawn(runID: String, directory: String, sync: SyncPolicy, ownProcessGroup: Bool) throws -> pid_t {
    let path = try executable()
    do { try Syscalls.makeDirectory(directory + "/runs") } catch {
      throw CommandFailure(.failure, "cannot create \(directory)/runs: \(error)")
    }
    let log = "\(directory)/runs/\(RunLocks.safeName(runID)).log"
    let argv = [path, "--wal-dir", directory, "--sync", sync.rawValue, "runs", "resume", "--run-id", runID]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    if ownProcessGroup {
      posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
      posix_spawnattr_setpgroup(&attributes, 0)
    }
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    Inheritance.closeOnExecBeyondStdio()
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, cArgs, environ)
    guard rc == 0 else { throw CommandFailure(.failure, "cannot start a run executor: \(Errno(rawValue: rc))") }
    return pid
  }
}
