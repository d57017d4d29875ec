import CDriftQ

#if canImport(Glibc)
import Glibc
#endif

/// The process edge: build the live context, run, exit with the status. Nothing else exits.
@main
enum Entrypoint {
  static func main() {
    // A closed pipe (`driftqctl … | head`) is an EPIPE on write, handled as "stop", not a kill.
    signal(SIGPIPE, SIG_IGN)
    // Sealed segments and checkpoint tables are read through mappings: one cut shorter
    // meanwhile (or a disk error under one) ends with a clear message, not a crash report.
    driftq_install_mapping_fault_handler()
    let context = CommandContext.live()
    let status = CLI.run(ArgumentBytes.processArguments(), in: context)
    context.stdout.flush()
    context.stderr.flush()
    exit(status.rawValue)
  }

  /// Ends the process for an error found where no caller can be told (a damaged checkpoint
  /// row read inside a fold): the one error-to-status mapping decides the exit code.
  static func stop(_ error: any Error, in context: CommandContext) -> Never {
    let status = ErrorPresenter.present(error, in: context)
    exit(status.rawValue)
  }
}
