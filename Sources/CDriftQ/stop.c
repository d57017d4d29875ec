// A stop request from SIGINT or SIGTERM, noted by a signal handler and read by the run
// executor's loop, which then stops its steps' process groups before exiting.
#include "cdriftq.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_signal = 0;

static void note_stop(int signal) { stop_signal = signal; }

void driftq_install_stop_handlers(void) {
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = note_stop;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, 0);
  sigaction(SIGTERM, &action, 0);
  // A parent may have started us with these blocked (its spawning thread's mask is
  // inherited): unblock them, or a stop request would never arrive.
  sigset_t wanted;
  sigemptyset(&wanted);
  sigaddset(&wanted, SIGINT);
  sigaddset(&wanted, SIGTERM);
  pthread_sigmask(SIG_UNBLOCK, &wanted, 0);
}

int driftq_stop_signal(void) { return stop_signal; }
