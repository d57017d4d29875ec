// Stands in for Sources/driftqctl/Entrypoint.swift (which holds `@main`) when the driftqctl
// sources are compiled as a library for the fuzz targets.
enum Entrypoint {
  static func stop(_ error: any Error, in context: CommandContext) -> Never {
    fatalError("Entrypoint.stop: \(error)")
  }
}
