#if canImport(Glibc)
import Glibc
#endif
import ReplayEngine
import WALFormat

/// `runs artifact-get`: writes an artifact's bytes to a file (checked against its SHA-256).
struct RunsArtifactGetCommand: Command {
  static let out = OptionSpec("out", placeholder: "PATH", help: "Where to write it (default: the id as file name; - for stdout).")
  static let spec = CommandSpec(["runs", "artifact-get"], abstract: "Download an artifact: wrote <n> bytes -> <path> content_type=… sha256=….", options: [RunsArtifactMetaCommand.artifactID, out])

  static let worksRemotely = true
  let globals: GlobalOptions
  let id: String
  let path: String?

  init(_ args: inout ParsedArguments, globals: GlobalOptions) throws(UsageError) {
    self.globals = globals
    id = try args.name(RunsArtifactMetaCommand.artifactID)
    path = args.value(Self.out)
  }

  func run(in context: CommandContext) throws -> ExitStatus {
    let (bytes, contentType) = try RunsFace.open(globals, context).artifact(id)
    if path == "-" {
      context.stdout.write(bytes: bytes)
      return .success
    }
    let target = path ?? id
    do {
      let fd = try Syscalls.open(target, flags: O_WRONLY | O_CREAT | O_TRUNC)
      defer { Syscalls.close(fd) }
      try Syscalls.pwriteAll(fd, bytes, at: 0)
    } catch {
      throw CommandFailure(.failure, "cannot write \(target): \(error)")
    }
    context.print(
      .object(.object([("ok", .bool(true)), ("bytes", .int(bytes.count)), ("path", .string(target)), ("sha256", .string(id))])) {
        "wrote \(bytes.count) bytes -> \(target)" + (contentType.map { " content_type=\($0)" } ?? "") + " sha256=\(id)\n"
      }, as: globals.output)
    return .success
  }
}
