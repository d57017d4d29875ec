// The signal handlers driftqctl installs.
//
// SIGINT and SIGTERM: a stop request, noted by the handler and read by the run executor's
// loop, which then stops its steps' process groups before exiting.
//
// SIGBUS: a read through a mapping of a file that was cut shorter meanwhile (or whose page
// the disk failed to read). `wal verify` maps sealed segments, which only `wal repair` or
// another program ever cuts, and the fold maps checkpoint tables: the handler turns that
// fault into a clear message and exit status 1 instead of a crash.
#include "cdriftq.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

static void install(int signal, void (*handler)(int)) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  sigaction(signal, &action, 0);
}

static volatile sig_atomic_t stop_signal = 0;

static void note_stop(int signal) { stop_signal = signal; }

void driftq_install_stop_handlers(void) {
  install(SIGINT, note_stop);
  install(SIGTERM, note_stop);
  // A parent may have started us with these blocked (its spawning thread's mask is
  // inherited): unblock them, or a stop request would never arrive.
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &wanted, 0);
}

int driftq_stop_signal(void) { return stop_signal; }

static const char mapping_fault_message[] =
  "driftqctl: error: a mapped file (a sealed segment or a checkpoint table) could not be read: "
  "it was cut shorter while being read (by 'wal repair' or another program), or the disk "
  "failed; run the command again\n";

static void report_mapping_fault(int signal) {
  (void)signal;
  ssize_t ignored = write(2, mapping_fault_message, sizeof mapping_fault_message - 1);
  (void)ignored;
  _exit(1);
}

void driftq_install_mapping_fault_handler(void) { install(SIGBUS, report_mapping_fault); }
