/// The single list of commands. Dispatch, help, the man-page and README checks read it.
enum CommandTable {
  // Invariant: an immutable list of metatypes, never mutated after initialisation.
  nonisolated(unsafe) static let all: [any Command.Type] = [
    TopicsCreateCommand.self,
    TopicsListCommand.self,
    TopicsLagCommand.self,
    TopicsPeekCommand.self,
    TopicsTailCommand.self,
    TopicsDeleteCommand.self,
    PublishCommand.self,
    ConsumeCommand.self,
    AckCommand.self,
    NackCommand.self,
    DLQListCommand.self,
    DLQRedriveCommand.self,
    DLQPurgeCommand.self,
    GroupsListCommand.self,
    GroupsDescribeCommand.self,
    GroupsSeekCommand.self,
    GroupsDeleteCommand.self,
    RunsStartCommand.self,
    RunsResumeCommand.self,
    RunsDemoCommand.self,
    RunsReplayCommand.self,
    RunsCancelCommand.self,
    RunsDeleteCommand.self,
    RunsListCommand.self,
    RunsStatusCommand.self,
    RunsStepCommand.self,
    RunsEventsCommand.self,
    RunsStateCommand.self,
    RunsDiffCommand.self,
    RunsTimelineCommand.self,
    RunsLogsCommand.self,
    RunsGraphCommand.self,
    RunsReportCommand.self,
    RunsArtifactsCommand.self,
    RunsArtifactMetaCommand.self,
    RunsArtifactGetCommand.self,
    RunsPromoteCommand.self,
    RunsRollbackCommand.self,
    RunsActiveIndexCommand.self,
    ServeCommand.self,
    WALInspectCommand.self,
    WALDumpCommand.self,
    WALVerifyCommand.self,
    WALRepairCommand.self,
    WALCompactCommand.self,
    WALCheckpointCommand.self,
    WALImportCommand.self,
    ProfileSetCommand.self,
    ProfileUseCommand.self,
    ProfileListCommand.self,
    ProfileShowCommand.self,
    ProfileDeleteCommand.self,
    CompletionCommand.self,
    HelpCommand.self,
    VersionCommand.self,
  ]

  static func command(for path: [String]) -> (any Command.Type)? {
    all.first { $0.spec.path == path }
  }

  /// Whether some command's path starts with `prefix` (a group such as `topics`, or a leaf).
  static func isPrefix(_ prefix: [String]) -> Bool {
    all.contains { $0.spec.path.starts(with: prefix) }
  }

  /// The words that may follow `prefix`: subcommands of a group, or top-level commands.
  static func nextWords(after prefix: [String]) -> [String] {
    var words: [String] = []
    for command in all where command.spec.path.count > prefix.count && command.spec.path.starts(with: prefix) {
      let word = command.spec.path[prefix.count]
      if !words.contains(word) { words.append(word) }
    }
    return words
  }
}
