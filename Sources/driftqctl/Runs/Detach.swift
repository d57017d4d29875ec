#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// Starts `driftqctl runs resume` for a run in a background process of its own process group,
/// its output going to `DIR/runs/<id>.log`, so `--detach` can return at once.
enum Detach {
  static func resume(runID: String, globals: GlobalOptions, directory: String) throws {
    let path = try RunChild.executable()
    do { try Syscalls.makeDirectory(directory + "/runs") } catch {
      throw CommandFailure(.failure, "cannot create \(directory)/runs: \(error)")
    }
    let log = "\(directory)/runs/\(RunLocks.safeName(runID)).log"
    let argv = [path, "--wal-dir", directory, "--sync", globals.walOptions.sync.rawValue, "runs", "resume", "--run-id", runID]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
    posix_spawnattr_setpgroup(&attributes, 0)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    Inheritance.closeOnExecBeyondStdio()
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attributes, cArgs, environ)
    guard rc == 0 else { throw CommandFailure(.failure, "cannot start a background process: \(Errno(rawValue: rc))") }
  }
}
