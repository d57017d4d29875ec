// A read through a mapping of a file that was cut shorter meanwhile (or whose page the disk
// failed to read) raises SIGBUS. `wal verify` maps sealed segments, which only `wal repair`
// or another program ever cuts, and the fold maps checkpoint tables: the handler turns that
// fault into a clear message and exit status 1 instead of a crash.
#include "cdriftq.h"
#include <signal.h>
#include <string.h>
#include <unistd.h>

static const char message[] =
  "driftqctl: error: a mapped file (a sealed segment or a checkpoint table) could not be read: "
  "it was cut shorter while being read (by 'wal repair' or another program), or the disk "
  "failed; run the command again\n";

static void report_and_exit(int signal) {
  (void)signal;
  ssize_t ignored = write(2, message, sizeof message - 1);
  (void)ignored;
  _exit(1);
}

void driftq_install_mapping_fault_handler(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = report_and_exit;
  sigemptyset(&action.sa_mask);
  sigaction(SIGBUS, &action, 0);
}
