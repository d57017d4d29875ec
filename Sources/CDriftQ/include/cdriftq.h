#ifndef CDRIFTQ_H
#define CDRIFTQ_H

#include <stddef.h>
#include <stdint.h>

// Small C helpers for driftqctl: hardware CRC32C and the flock(2) call (which Swift cannot
// name directly: Glibc also has a `struct flock`).

/// Extends a CRC32C (Castagnoli) over `length` bytes. `crc` is the running value: pass 0 to
/// start, or the result of a previous call to continue. Uses SSE4.2 when the CPU has it.
uint32_t driftq_crc32c_update(uint32_t crc, const void *bytes, size_t length);

/// The portable slicing-by-8 path, exposed so tests can check it against the hardware one.
uint32_t driftq_crc32c_update_software(uint32_t crc, const void *bytes, size_t length);

/// 1 when the hardware path is in use, 0 otherwise.
int driftq_crc32c_is_hardware(void);


/// SHA-256 of `length` bytes into `digest` (32 bytes).
void driftq_sha256(const void *bytes, size_t length, unsigned char digest[32]);

/// Makes SIGINT and SIGTERM set a flag instead of ending the process (poll(2) returns EINTR).
void driftq_install_stop_handlers(void);

/// The signal that asked to stop (0 while none has).
int driftq_stop_signal(void);

/// flock(2). Returns 0 on success, -1 with errno set.
int driftq_flock(int fd, int operation);

#endif
