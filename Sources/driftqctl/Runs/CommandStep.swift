#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// A step that runs a command: the node input on stdin, stdout is the output, stderr's tail is
/// the error, both streams are the attempt's log (`log`), `$DRIFTQ_USAGE_FILE` collects
/// usage lines. Non-blocking pipes, so the executor
/// can run several at once from one thread; the child leads its own process group so a
/// timeout or a cancel stops everything it started.
final class CommandStep {
  static let maximumOutputBytes = 64 << 20
  static let stderrTailBytes = 4096

  let pid: pid_t
  private var stdinFD: Int32
  private var stdoutFD: Int32
  private var stderrFD: Int32
  private var input: [UInt8]
  private var written = 0
  private(set) var stdout: [UInt8] = []
  private(set) var stderrTail: [UInt8] = []
  private var outputTooLarge = false
  let usageFile: String
  /// stdout and stderr as they come, line by line (nil: not kept).
  let log: StepLogCapture?
  private(set) var status: Int32?

  private init(pid: pid_t, stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32, input: [UInt8], usageFile: String, log: StepLogCapture?) {
    self.pid = pid
    self.stdinFD = stdinFD
    self.stdoutFD = stdoutFD
    self.stderrFD = stderrFD
    self.input = input
    self.usageFile = usageFile
    self.log = log
  }

  deinit {
    for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }
    unlink(usageFile)
  }

  static func start(_ command: NodeSpec.Command, input: [UInt8], environment: [String: String], usageFile: String, log: StepLogCapture? = nil) throws -> CommandStep {
    let argv: [String]
    switch command {
    case .argv(let words): argv = words
    case .shell(let text): argv = ["/bin/sh", "-c", text]
    }
    var pipes: [[Int32]] = []
    for _ in 0..<3 {
      var fds: [Int32] = [0, 0]
      guard pipe(&fds) == 0 else { throw CommandFailure(.failure, "cannot create a pipe: \(Errno.current)") }
      for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
      pipes.append(fds)
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, pipes[0][0], 0)
    posix_spawn_file_actions_adddup2(&actions, pipes[1][1], 1)
    posix_spawn_file_actions_adddup2(&actions, pipes[2][1], 2)
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
    posix_spawnattr_setpgroup(&attributes, 0)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)

    let cArgs = argv.map { strdup($0) } + [nil]
    let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
      for p in cArgs { free(p) }
      for p in cEnv { free(p) }
    }
    Inheritance.closeOnExecBeyondStdio()
    var pid: pid_t = 0
    let rc = posix_spawnp(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
    close(pipes[0][0])
    close(pipes[1][1])
    close(pipes[2][1])
    guard rc == 0 else {
      close(pipes[0][1]); close(pipes[1][0]); close(pipes[2][0])
      throw StepStartError(message: "cannot start \(argv[0]): \(Errno(rawValue: rc))")
    }
    for fd in [pipes[0][1], pipes[1][0], pipes[2][0]] { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    let step = CommandStep(pid: pid, stdinFD: pipes[0][1], stdoutFD: pipes[1][0], stderrFD: pipes[2][0], input: input, usageFile: usageFile, log: log)
    step.pump(writable: true, readable: false)
    return step
  }

  /// A command that could not even start: a step failure, not an executor error.
  struct StepStartError: Error { var message: String }

  /// The descriptors to wait on, with the events wanted.
  var pollRequests: [pollfd] {
    var requests: [pollfd] = []
    if stdinFD >= 0 { requests.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
    if stdoutFD >= 0 { requests.append(pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)) }
    if stderrFD >= 0 { requests.append(pollfd(fd: stderrFD, events: Int16(POLLIN), revents: 0)) }
    return requests
  }

  /// Moves bytes: writes pending input, reads output; closes pipes at their end.
  func pump(writable: Bool = true, readable: Bool = true) {
    if stdinFD >= 0 && writable {
      while written < input.count {
        let n = input.withUnsafeBytes { raw -> Int in
          guard let base = raw.baseAddress else { return 0 }
          return write(stdinFD, base + written, raw.count - written)
        }
        if n > 0 { written += n; continue }
        if n < 0 && (errno == EAGAIN || errno == EINTR) { break }
        written = input.count  // EPIPE: the command does not read its input
      }
      if written >= input.count {
        close(stdinFD)
        stdinFD = -1
      }
    }
    if readable {
      drain(&stdoutFD, into: &stdout, keepTail: false)
      drain(&stderrFD, into: &stderrTail, keepTail: true)
    }
  }

  private func drain(_ fd: inout Int32, into buffer: inout [UInt8], keepTail: Bool) {
    guard fd >= 0 else { return }
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
      if n > 0 {
        log?.append(chunk[0..<n], from: keepTail ? .stderr : .stdout)
        if keepTail {
          buffer += chunk[0..<n]
          if buffer.count > Self.stderrTailBytes { buffer.removeFirst(buffer.count - Self.stderrTailBytes) }
        } else if buffer.count + n <= Self.maximumOutputBytes {
          buffer += chunk[0..<n]
        } else {
          outputTooLarge = true
        }
        continue
      }
      if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
      close(fd)
      fd = -1
      return
    }
  }

  /// Whether the process has exited and its output is fully read.
  var isFinished: Bool {
    if status == nil {
      var raw: Int32 = 0
      if waitpid(pid, &raw, WNOHANG) == pid { status = raw }
    }
    return status != nil && stdoutFD < 0 && stderrFD < 0
  }

  /// Stops the command and everything it started.
  func stop() {
    if pid > 1 { kill(-pid, SIGKILL) }
    var raw: Int32 = 0
    if status == nil, waitpid(pid, &raw, 0) == pid { status = raw }
    pump()
  }

  /// The step's result from its exit status, stdout and usage file.
  func result(workerMs: Int64) -> StepResult {
    let usage = Self.usage(from: usageFile)
    let tail = String(decoding: stderrTail, as: UTF8.self).trimmingTrailingWhitespace()
    guard let raw = status else { return .failure(error: "the command did not finish", usage: usage) }
    let exited = raw & 0x7f == 0
    if !exited { return .failure(error: "killed by signal \(raw & 0x7f)" + (tail.isEmpty ? "" : ": \(tail)"), usage: usage) }
    let code = (raw >> 8) & 0xff
    if code != 0 { return .failure(error: "exit status \(code)" + (tail.isEmpty ? "" : ": \(tail)"), usage: usage) }
    if outputTooLarge { return .failure(error: "output larger than \(Self.maximumOutputBytes) bytes", usage: usage) }
    // stdout is the output: JSON when it parses, otherwise the text as a JSON string.
    let text = String(decoding: stdout, as: UTF8.self)
    let trimmed = text.trimmingTrailingWhitespace()
    let output = (try? JSONParser.parse(trimmed)) ?? .string(text)
    return .success(output: output, artifact: nil, usage: usage, workerMs: workerMs)
  }

  /// Sums `{"tokens_in","tokens_out","dollars"}` lines; bad lines are ignored.
  static func usage(from path: String) -> Usage {
    guard let bytes = try? Syscalls.readSmallFile(path, limit: 1 << 20) else { return Usage() }
    var total = Usage()
    for line in bytes.split(separator: 10) {
      if let json = try? JSONParser.parse(bytes: line) { total = total + Usage(json: json) }
    }
    return total
  }
}

extension String {
  func trimmingTrailingWhitespace() -> String {
    var scalars = Substring(self)
    while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
    while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
    return String(scalars)
  }
}
