// TLS for driftqctl through the system's OpenSSL (libssl.so.3), opened with dlopen the first
// time a TLS connection is made: no build-time dependency, and commands that never speak TLS
// never load it. Only the few calls needed are resolved; the types stay opaque.
#include "cdriftq.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

typedef void SSL_CTX;
typedef void SSL;
typedef void SSL_METHOD;
typedef void X509_VERIFY_PARAM;

static struct {
  int loaded;
  char failure[256];
  const SSL_METHOD *(*TLS_client_method)(void);
  const SSL_METHOD *(*TLS_server_method)(void);
  SSL_CTX *(*SSL_CTX_new)(const SSL_METHOD *);
  void (*SSL_CTX_free)(SSL_CTX *);
  int (*SSL_CTX_set_default_verify_paths)(SSL_CTX *);
  int (*SSL_CTX_load_verify_locations)(SSL_CTX *, const char *, const char *);
  void (*SSL_CTX_set_verify)(SSL_CTX *, int, void *);
  int (*SSL_CTX_use_certificate_chain_file)(SSL_CTX *, const char *);
  int (*SSL_CTX_use_PrivateKey_file)(SSL_CTX *, const char *, int);
  int (*SSL_CTX_check_private_key)(const SSL_CTX *);
  SSL *(*SSL_new)(SSL_CTX *);
  void (*SSL_free)(SSL *);
  int (*SSL_set_fd)(SSL *, int);
  long (*SSL_ctrl)(SSL *, int, long, void *);
  int (*SSL_set1_host)(SSL *, const char *);
  X509_VERIFY_PARAM *(*SSL_get0_param)(SSL *);
  int (*X509_VERIFY_PARAM_set1_ip_asc)(X509_VERIFY_PARAM *, const char *);
  int (*SSL_connect)(SSL *);
  int (*SSL_accept)(SSL *);
  int (*SSL_read)(SSL *, void *, int);
  int (*SSL_write)(SSL *, const void *, int);
  int (*SSL_get_error)(const SSL *, int);
  int (*SSL_pending)(const SSL *);
  int (*SSL_shutdown)(SSL *);
  long (*SSL_get_verify_result)(const SSL *);
  const char *(*X509_verify_cert_error_string)(long);
  unsigned long (*ERR_get_error)(void);
  void (*ERR_error_string_n)(unsigned long, char *, size_t);
  void (*ERR_clear_error)(void);
} ossl;

static pthread_once_t once = PTHREAD_ONCE_INIT;

#define RESOLVE(handle, name)                                                               \
  do {                                                                                      \
    *(void **)&ossl.name = dlsym(handle, #name);                                            \
    if (!ossl.name) {                                                                       \
      snprintf(ossl.failure, sizeof ossl.failure, "the system TLS library lacks %s", #name); \
      return;                                                                               \
    }                                                                                       \
  } while (0)

static void load(void) {
  void *crypto = dlopen("libcrypto.so.3", RTLD_NOW | RTLD_GLOBAL);
  void *ssl = crypto ? dlopen("libssl.so.3", RTLD_NOW | RTLD_GLOBAL) : NULL;
  if (!ssl) {
    snprintf(ossl.failure, sizeof ossl.failure, "https needs the system's OpenSSL 3 (libssl.so.3), which is not installed");
    return;
  }
  RESOLVE(ssl, TLS_client_method);
  RESOLVE(ssl, TLS_server_method);
  RESOLVE(ssl, SSL_CTX_new);
  RESOLVE(ssl, SSL_CTX_free);
  RESOLVE(ssl, SSL_CTX_set_default_verify_paths);
  RESOLVE(ssl, SSL_CTX_load_verify_locations);
  RESOLVE(ssl, SSL_CTX_set_verify);
  RESOLVE(ssl, SSL_CTX_use_certificate_chain_file);
  RESOLVE(ssl, SSL_CTX_use_PrivateKey_file);
  RESOLVE(ssl, SSL_CTX_check_private_key);
  RESOLVE(ssl, SSL_new);
  RESOLVE(ssl, SSL_free);
  RESOLVE(ssl, SSL_set_fd);
  RESOLVE(ssl, SSL_ctrl);
  RESOLVE(ssl, SSL_set1_host);
  RESOLVE(ssl, SSL_get0_param);
  RESOLVE(crypto, X509_VERIFY_PARAM_set1_ip_asc);
  RESOLVE(ssl, SSL_connect);
  RESOLVE(ssl, SSL_accept);
  RESOLVE(ssl, SSL_read);
  RESOLVE(ssl, SSL_write);
  RESOLVE(ssl, SSL_get_error);
  RESOLVE(ssl, SSL_pending);
  RESOLVE(ssl, SSL_shutdown);
  RESOLVE(ssl, SSL_get_verify_result);
  RESOLVE(crypto, X509_verify_cert_error_string);
  RESOLVE(crypto, ERR_get_error);
  RESOLVE(crypto, ERR_error_string_n);
  RESOLVE(crypto, ERR_clear_error);
  ossl.loaded = 1;
}

static int ready(char *error, size_t length) {
  pthread_once(&once, load);
  if (!ossl.loaded) snprintf(error, length, "%s", ossl.failure);
  return ossl.loaded;
}

/// The queued OpenSSL error, or `fallback`.
static void describe(char *error, size_t length, const char *what, const char *fallback) {
  unsigned long code = ossl.ERR_get_error();
  char detail[200] = "";
  if (code) ossl.ERR_error_string_n(code, detail, sizeof detail);
  snprintf(error, length, "%s: %s", what, code ? detail : fallback);
  ossl.ERR_clear_error();
}

void *driftq_tls_client_context(const char *ca_file, int insecure, char *error, size_t length) {
  if (!ready(error, length)) return NULL;
  SSL_CTX *ctx = ossl.SSL_CTX_new(ossl.TLS_client_method());
  if (!ctx) { describe(error, length, "TLS setup", "cannot create a context"); return NULL; }
  if (!insecure) {
    int loaded = ca_file ? ossl.SSL_CTX_load_verify_locations(ctx, ca_file, NULL) : ossl.SSL_CTX_set_default_verify_paths(ctx);
    if (loaded != 1) {
      describe(error, length, ca_file ? "cannot load the CA certificates" : "cannot load the system's trusted certificates", "unreadable");
      ossl.SSL_CTX_free(ctx);
      return NULL;
    }
  }
  ossl.SSL_CTX_set_verify(ctx, insecure ? 0 : 1 /* SSL_VERIFY_PEER */, NULL);
  return ctx;
}

void *driftq_tls_server_context(const char *certificate, const char *key, char *error, size_t length) {
  if (!ready(error, length)) return NULL;
  SSL_CTX *ctx = ossl.SSL_CTX_new(ossl.TLS_server_method());
  if (!ctx) { describe(error, length, "TLS setup", "cannot create a context"); return NULL; }
  if (ossl.SSL_CTX_use_certificate_chain_file(ctx, certificate) != 1) {
    describe(error, length, "cannot load the certificate", "unreadable");
  } else if (ossl.SSL_CTX_use_PrivateKey_file(ctx, key, 1 /* SSL_FILETYPE_PEM */) != 1) {
    describe(error, length, "cannot load the private key", "unreadable");
  } else if (ossl.SSL_CTX_check_private_key(ctx) != 1) {
    describe(error, length, "the private key does not match the certificate", "mismatch");
  } else {
    return ctx;
  }
  ossl.SSL_CTX_free(ctx);
  return NULL;
}

void driftq_tls_context_free(void *ctx) {
  if (ctx && ossl.loaded) ossl.SSL_CTX_free(ctx);
}

void *driftq_tls_connect(void *ctx, int fd, const char *host, int insecure, char *error, size_t length) {
  SSL *ssl = ossl.SSL_new(ctx);
  if (!ssl) { describe(error, length, "TLS setup", "cannot create a connection"); return NULL; }
  ossl.SSL_set_fd(ssl, fd);
  unsigned char address[16];
  int literal = inet_pton(AF_INET, host, address) == 1 || inet_pton(AF_INET6, host, address) == 1;
  if (!literal) ossl.SSL_ctrl(ssl, 55 /* SSL_CTRL_SET_TLSEXT_HOSTNAME */, 0 /* host_name */, (void *)host);
  if (!insecure) {
    int set = literal ? ossl.X509_VERIFY_PARAM_set1_ip_asc(ossl.SSL_get0_param(ssl), host) : ossl.SSL_set1_host(ssl, host);
    if (set != 1) { describe(error, length, "TLS setup", "cannot set the host name to verify"); ossl.SSL_free(ssl); return NULL; }
  }
  if (ossl.SSL_connect(ssl) != 1) {
    long verify = ossl.SSL_get_verify_result(ssl);
    if (verify != 0) {
      snprintf(error, length, "TLS handshake failed: certificate verify failed (%s)", ossl.X509_verify_cert_error_string(verify));
      ossl.ERR_clear_error();
    } else {
      describe(error, length, "TLS handshake failed", errno ? strerror(errno) : "the server closed the connection");
    }
    ossl.SSL_free(ssl);
    return NULL;
  }
  return ssl;
}

void *driftq_tls_accept(void *ctx, int fd, char *error, size_t length) {
  SSL *ssl = ossl.SSL_new(ctx);
  if (!ssl) { describe(error, length, "TLS setup", "cannot create a connection"); return NULL; }
  ossl.SSL_set_fd(ssl, fd);
  if (ossl.SSL_accept(ssl) != 1) {
    describe(error, length, "TLS handshake failed", "the client closed the connection");
    ossl.SSL_free(ssl);
    return NULL;
  }
  return ssl;
}

long driftq_tls_read(void *ssl, void *bytes, size_t count) {
  int n = ossl.SSL_read(ssl, bytes, count > 1 << 30 ? 1 << 30 : (int)count);
  if (n > 0) return n;
  int reason = ossl.SSL_get_error(ssl, n);
  ossl.ERR_clear_error();
  if (reason == 6 /* SSL_ERROR_ZERO_RETURN */) return 0;
  if (reason == 2 /* SSL_ERROR_WANT_READ */ || reason == 3 /* WANT_WRITE */) return -2;
  return n == 0 ? 0 : -1;
}

long driftq_tls_write(void *ssl, const void *bytes, size_t count) {
  int n = ossl.SSL_write(ssl, bytes, count > 1 << 30 ? 1 << 30 : (int)count);
  if (n > 0) return n;
  int reason = ossl.SSL_get_error(ssl, n);
  ossl.ERR_clear_error();
  if (reason == 2 || reason == 3) return -2;
  return -1;
}

int driftq_tls_pending(void *ssl) { return ossl.SSL_pending(ssl); }

void driftq_tls_close(void *ssl) {
  if (!ssl) return;
  ossl.SSL_shutdown(ssl);
  ossl.SSL_free(ssl);
}
