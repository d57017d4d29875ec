/// Options several commands share, declared once.
extension OptionSpec {
  static let topic = OptionSpec("topic", placeholder: "TOPIC", help: "The topic.", required: true)
  static let group = OptionSpec("group", placeholder: "GROUP", help: "The consumer group.", required: true)
  static let owner = OptionSpec("owner", placeholder: "OWNER", help: "The consumer holding the lease (ack and nack are checked against it).", required: true)
  static let partition = OptionSpec("partition", placeholder: "P", help: "The message's partition.", required: true)
  static let offset = OptionSpec("offset", placeholder: "N", help: "The message's offset.", required: true)
  /// The dry-run switch of the commands that move or remove things.
  static let execute = OptionSpec.flag("execute", help: "Carry out the plan (without it, nothing is written).")
  static let batch = OptionSpec.flag("batch", help: "Read NDJSON from standard input, one item per line; commit in groups.")
}

/// Reads a required, non-empty option value.
extension ParsedArguments {
  mutating func name(_ option: OptionSpec) throws(UsageError) -> String {
    let text = try required(option)
    guard !text.isEmpty else { throw UsageError("--\(option.name) must not be empty", command: command.path) }
    return text
  }
}

/// The last line of a command that is a dry run until `--execute`.
enum DryRun {
  static func footer(executed: Bool, done: String, action: String) -> String {
    executed ? done : "dry run: nothing changed (add --execute to \(action))"
  }

  /// The last line of a removal: that compaction reclaims `what` it removed, or that nothing changed.
  static func removalFooter(executed: Bool, reclaims what: String, action: String) -> String {
    footer(executed: executed, done: "the next 'driftqctl wal compact' reclaims \(what)", action: action) + "\n"
  }
}
