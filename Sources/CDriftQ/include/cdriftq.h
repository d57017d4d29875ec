#ifndef CDRIFTQ_H
#define CDRIFTQ_H

#include <stddef.h>
#include <stdint.h>

// Small C helpers for driftqctl: hardware CRC32C and the flock(2) call (which Swift cannot
// name directly: Glibc also has a `struct flock`).

/// Extends a CRC32C (Castagnoli) over `length` bytes. `crc` is the running value: pass 0 to
/// start, or the result of a previous call to continue. Uses SSE4.2 (and PCLMULQDQ) when the
/// CPU has it.
uint32_t driftq_crc32c_update(uint32_t crc, const void *bytes, size_t length);

/// The portable slicing-by-8 path, exposed so tests can check it against the hardware one.
uint32_t driftq_crc32c_update_software(uint32_t crc, const void *bytes, size_t length);

/// 1 when a hardware path is in use, 0 otherwise.
int driftq_crc32c_is_hardware(void);

/// The CRC32C implementations, slowest first, so tests can check each one the CPU has.
enum {
  DRIFTQ_CRC32C_SOFTWARE = 0,   // slicing-by-8
  DRIFTQ_CRC32C_SSE42 = 1,      // one crc32q chain
  DRIFTQ_CRC32C_SSE42_3WAY = 2, // three crc32q chains joined with PCLMULQDQ
  DRIFTQ_CRC32C_AVX512 = 3,     // 256-byte folds with AVX-512 VPCLMULQDQ
};

/// The fastest path this CPU has (what `driftq_crc32c_update` uses).
int driftq_crc32c_best_path(void);

/// `driftq_crc32c_update` through `path`, or the best path the CPU has below it.
uint32_t driftq_crc32c_update_path(int path, uint32_t crc, const void *bytes, size_t length);


/// SHA-256 of `length` bytes into `digest` (32 bytes).
void driftq_sha256(const void *bytes, size_t length, unsigned char digest[32]);

/// Makes SIGINT and SIGTERM set a flag instead of ending the process (poll(2) returns EINTR).
void driftq_install_stop_handlers(void);

/// The signal that asked to stop (0 while none has).
int driftq_stop_signal(void);

/// Makes SIGBUS (a mapped file cut shorter while read) print a clear error and exit 1.
void driftq_install_mapping_fault_handler(void);

/// flock(2). Returns 0 on success, -1 with errno set.
int driftq_flock(int fd, int operation);

/// The size of the file open as `fd`, or at `path`, and the inode number at `path`, through
/// statx(2) without asking for timestamps (see statx.c). -1 with errno set on failure.
long long driftq_size_of_fd(int fd);
long long driftq_size_of_path(const char *path);
long long driftq_inode_of_path(const char *path);

// TLS through the system's OpenSSL 3, loaded on first use (see tls.c). Each function that can
// fail returns NULL and writes why into `error` (`length` bytes).

/// A client context: peers verified against `ca_file` (NULL: the system's trust store),
/// or not at all when `insecure`.
void *driftq_tls_client_context(const char *ca_file, int insecure, char *error, size_t length);

/// A server context with a PEM certificate chain and private key.
void *driftq_tls_server_context(const char *certificate, const char *key, char *error, size_t length);

void driftq_tls_context_free(void *ctx);

/// Runs the client handshake on connected socket `fd`, checking the certificate names `host`
/// (a name or an IP literal) unless `insecure`.
void *driftq_tls_connect(void *ctx, int fd, const char *host, int insecure, char *error, size_t length);

/// Runs the server handshake on accepted socket `fd`.
void *driftq_tls_accept(void *ctx, int fd, char *error, size_t length);

/// Bytes read (> 0), 0 at the end, -1 on an error, -2 when it would block.
long driftq_tls_read(void *ssl, void *bytes, size_t count);

/// Bytes written (> 0), -1 on an error, -2 when it would block.
long driftq_tls_write(void *ssl, const void *bytes, size_t count);

/// Decrypted bytes buffered inside the connection (readable without waiting for the socket).
int driftq_tls_pending(void *ssl);

/// Sends close_notify and frees the connection.
void driftq_tls_close(void *ssl);

#endif
