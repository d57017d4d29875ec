#if canImport(Glibc)
import Glibc
#endif
import WALFormat

/// Runs `driftqctl runs resume` for a run in a child process and waits for it: how `serve`
/// executes runs (an executor per run, in its own process, sharing the directory safely).
enum RunChild {
  /// The path of this executable.
  static func executable() throws -> String {
    var buffer = [CChar](repeating: 0, count: 4096)
    let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    guard n > 0 else { throw CommandFailure(.failure, "cannot find the driftqctl executable") }
    return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
  }

  /// Executes the run to its end; returns the child's exit status.
  static func execute(runID: String, directory: String, sync: SyncPolicy) throws -> Int32 {
    let path = try executable()
    try? Syscalls.makeDirectory(directory + "/runs")
    let log = "\(directory)/runs/\(RunLocks.safeName(runID)).log"
    let argv = [path, "--wal-dir", directory, "--sync", sync.rawValue, "runs", "resume", "--run-id", runID]
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let cArgs = argv.map { strdup($0) } + [nil]
    defer { for p in cArgs { free(p) } }
    Inheritance.closeOnExecBeyondStdio()
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, nil, cArgs, environ)
    guard rc == 0 else { throw CommandFailure(.failure, "cannot start a run executor: \(Errno(rawValue: rc))") }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    return (status >> 8) & 0xff
  }
}
