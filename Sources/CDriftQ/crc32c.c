// CRC32C (Castagnoli, reflected polynomial 0x82F63B78).
// The checksum of every WAL frame; `wal verify` is bound by it, so the hardware
// instruction matters: SSE4.2 crc32q is ~5x faster than slicing-by-8 on our machines,
// three crc32q chains joined with PCLMULQDQ ~3x faster again, and folding 256 bytes at a
// time with AVX-512 VPCLMULQDQ ~2-3x faster than that (on 1 KiB and on 1 MiB).
#include "cdriftq.h"
#include <string.h>

static uint32_t table[8][256];
static int table_ready = 0;

static void build_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t crc = n;
    for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    table[0][n] = crc;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t crc = table[0][n];
    for (int k = 1; k < 8; k++) {
      crc = table[0][crc & 0xff] ^ (crc >> 8);
      table[k][n] = crc;
    }
  }
  __atomic_store_n(&table_ready, 1, __ATOMIC_RELEASE);
}

uint32_t driftq_crc32c_update_software(uint32_t crc, const void *bytes, size_t length) {
  if (!__atomic_load_n(&table_ready, __ATOMIC_ACQUIRE)) build_table();
  const unsigned char *p = (const unsigned char *)bytes;
  crc = ~crc;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    word ^= crc;  // little-endian hosts only: every target we build for is.
    crc = table[7][word & 0xff] ^ table[6][(word >> 8) & 0xff] ^
          table[5][(word >> 16) & 0xff] ^ table[4][(word >> 24) & 0xff] ^
          table[3][(word >> 32) & 0xff] ^ table[2][(word >> 40) & 0xff] ^
          table[1][(word >> 48) & 0xff] ^ table[0][word >> 56];
    p += 8;
    length -= 8;
  }
  while (length--) crc = table[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>
#include <immintrin.h>
#include <pthread.h>

// One stream of crc32q runs at one instruction per 3 cycles (its latency); the CPU can issue
// one per cycle. So long inputs are cut into three equal blocks whose CRCs run side by side,
// then joined: crc(A B) = shift(crc(A), |B|) ^ crc(B), where shift multiplies by
// x^(8|B|) mod P, one carry-less multiply by a constant and one crc32q (see `shift`).

/// Words per block at most (4 KiB): bounds the constant table, and longer blocks gain nothing.
#define STREAM_WORDS_MAX 512
/// Below three blocks of this many words, joining costs more than it saves.
#define STREAM_WORDS_MIN 8

/// x^(64w - 33) mod P, bit-reflected, for a block of w words (the 33 undoes the reflected
/// product's one-bit offset and the x^32 the crc32q in `shift` multiplies by).
static uint64_t shift_constant[STREAM_WORDS_MAX + 1];

static uint32_t times_x(uint32_t v) { return (v & 1) ? (v >> 1) ^ 0x82F63B78u : v >> 1; }

static void build_shift_constants(void) {
  uint32_t v = 0x80000000u;  // x^0
  for (int i = 0; i < 64 - 33; i++) v = times_x(v);
  shift_constant[1] = v;
  for (int w = 2; w <= STREAM_WORDS_MAX; w++) {
    for (int i = 0; i < 64; i++) v = times_x(v);
    shift_constant[w] = v;
  }
}

/// `crc` (the raw register) followed by as many zero bytes as the constant stands for.
__attribute__((target("sse4.2,pclmul")))
static inline uint64_t shift(uint64_t crc, uint64_t constant) {
  __m128i product = _mm_clmulepi64_si128(_mm_cvtsi64_si128((long long)crc), _mm_cvtsi64_si128((long long)constant), 0);
  return _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(product));
}

/// One dependency chain: the path for CPUs with SSE4.2 but no PCLMULQDQ.
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *bytes, size_t length) {
  const unsigned char *p = (const unsigned char *)bytes;
  uint64_t c = ~crc;
  while (length && ((uintptr_t)p & 7)) { c = _mm_crc32_u8((uint32_t)c, *p++); length--; }
  while (length >= 8) { uint64_t a; memcpy(&a, p, 8); c = _mm_crc32_u64(c, a); p += 8; length -= 8; }
  while (length--) c = _mm_crc32_u8((uint32_t)c, *p++);
  return ~(uint32_t)c;
}

/// Three chains joined by carry-less multiplication (about 3x the single chain here).
__attribute__((target("sse4.2,pclmul")))
static uint32_t crc32c_sse42_3way(uint32_t crc, const void *bytes, size_t length) {
  const unsigned char *p = (const unsigned char *)bytes;
  uint64_t c = ~crc;
  while (length && ((uintptr_t)p & 7)) { c = _mm_crc32_u8((uint32_t)c, *p++); length--; }
  while (length >= 3 * 8 * STREAM_WORDS_MIN) {
    size_t words = length / 24;
    if (words > STREAM_WORDS_MAX) words = STREAM_WORDS_MAX;
    const unsigned char *q = p + 8 * words, *r = p + 16 * words;
    uint64_t c1 = 0, c2 = 0;
    for (size_t i = 0; i < words; i++) {
      uint64_t a, b, d;
      memcpy(&a, p + 8 * i, 8); memcpy(&b, q + 8 * i, 8); memcpy(&d, r + 8 * i, 8);
      c = _mm_crc32_u64(c, a); c1 = _mm_crc32_u64(c1, b); c2 = _mm_crc32_u64(c2, d);
    }
    uint64_t k = shift_constant[words];
    c = shift(c, k) ^ c1;
    c = shift(c, k) ^ c2;
    p += 24 * words;
    length -= 24 * words;
  }
  while (length >= 8) { uint64_t a; memcpy(&a, p, 8); c = _mm_crc32_u64(c, a); p += 8; length -= 8; }
  while (length--) c = _mm_crc32_u8((uint32_t)c, *p++);
  return ~(uint32_t)c;
}

// With AVX-512 and VPCLMULQDQ, the bytes are folded 256 at a time instead: four 512-bit
// accumulators, each 128-bit lane multiplied forward by x^(8d) mod P (d the fold distance)
// and added to the bytes d further on, until 16 bytes are left whose CRC (from zero) is
// the CRC of everything (Intel's "Fast CRC Computation Using PCLMULQDQ", widened).

/// Per fold distance d: x^(8d+31) and x^(8d-33) mod P, for a lane's low and high halves.
static uint64_t fold_constant[7][2];
static const int fold_distance[7] = {256, 192, 128, 64, 48, 32, 16};

static void build_fold_constants(void) {
  for (int i = 0; i < 7; i++) {
    uint32_t low = 0x80000000u, high = 0x80000000u;
    for (int n = 0; n < 8 * fold_distance[i] + 31; n++) low = times_x(low);
    for (int n = 0; n < 8 * fold_distance[i] - 33; n++) high = times_x(high);
    fold_constant[i][0] = low;
    fold_constant[i][1] = high;
  }
}

#define AVX512_TARGET __attribute__((target("avx512f,avx512vl,vpclmulqdq,pclmul,sse4.2")))

AVX512_TARGET static inline __m512i fold_constants_512(int index) {
  return _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)fold_constant[index]));
}

/// `x` moved forward by the constants' distance, plus `data` (0x96: a three-way xor).
AVX512_TARGET static inline __m512i fold_512(__m512i x, __m512i k, __m512i data) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11), data, 0x96);
}

AVX512_TARGET static inline __m128i fold_128(__m128i x, int index, __m128i data) {
  __m128i k = _mm_loadu_si128((const __m128i *)fold_constant[index]);
  return _mm_ternarylogic_epi64(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11), data, 0x96);
}

/// 256 bytes per step in four independent chains (about 3x the three-stream path on 1 KiB,
/// and it keeps more loads in flight when the bytes come from memory).
AVX512_TARGET static uint32_t crc32c_avx512(uint32_t crc, const void *bytes, size_t length) {
  if (length < 256) return crc32c_sse42_3way(crc, bytes, length);
  const unsigned char *p = (const unsigned char *)bytes;
  __m512i x0 = _mm512_loadu_si512(p), x1 = _mm512_loadu_si512(p + 64);
  __m512i x2 = _mm512_loadu_si512(p + 128), x3 = _mm512_loadu_si512(p + 192);
  // The running CRC enters as the first four bytes' complement, as crc32q takes it.
  x0 = _mm512_xor_si512(x0, _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)~crc)));
  p += 256;
  length -= 256;
  __m512i k = fold_constants_512(0);
  while (length >= 256) {
    x0 = fold_512(x0, k, _mm512_loadu_si512(p));
    x1 = fold_512(x1, k, _mm512_loadu_si512(p + 64));
    x2 = fold_512(x2, k, _mm512_loadu_si512(p + 128));
    x3 = fold_512(x3, k, _mm512_loadu_si512(p + 192));
    p += 256;
    length -= 256;
  }
  __m512i x = fold_512(x0, fold_constants_512(1), fold_512(x1, fold_constants_512(2), fold_512(x2, fold_constants_512(3), x3)));
  k = fold_constants_512(3);
  while (length >= 64) {
    x = fold_512(x, k, _mm512_loadu_si512(p));
    p += 64;
    length -= 64;
  }
  __m128i lane = fold_128(_mm512_extracti32x4_epi32(x, 0), 4,
    fold_128(_mm512_extracti32x4_epi32(x, 1), 5, fold_128(_mm512_extracti32x4_epi32(x, 2), 6, _mm512_extracti32x4_epi32(x, 3))));
  uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(lane));
  c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(lane, 1));
  return crc32c_sse42_3way(~(uint32_t)c, p, length);
}

/// Whether the CPU has AVX-512 (F, VL), VPCLMULQDQ, and the OS saves the zmm registers.
static int has_avx512_clmul(void) {
  unsigned int eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & bit_OSXSAVE)) return 0;
  unsigned int xcr0_low, xcr0_high;
  __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
  if ((xcr0_low & 0xE6) != 0xE6) return 0;  // SSE, AVX, opmask and both zmm halves
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
  return (ebx & bit_AVX512F) && (ebx & bit_AVX512VL) && (ecx & bit_VPCLMULQDQ);
}

/// -1 until `detect` ran; then the path, stored after the constants it needs.
static int best_path = -1;
static pthread_once_t detected = PTHREAD_ONCE_INIT;

static void detect(void) {
  unsigned int eax, ebx, ecx, edx;
  int path = DRIFTQ_CRC32C_SOFTWARE;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2)) {
    path = DRIFTQ_CRC32C_SSE42;
    if (ecx & bit_PCLMUL) {
      build_shift_constants();
      path = DRIFTQ_CRC32C_SSE42_3WAY;
      if (has_avx512_clmul()) {
        build_fold_constants();
        path = DRIFTQ_CRC32C_AVX512;
      }
    }
  }
  __atomic_store_n(&best_path, path, __ATOMIC_RELEASE);
}

int driftq_crc32c_best_path(void) {
  int path = __atomic_load_n(&best_path, __ATOMIC_ACQUIRE);
  if (__builtin_expect(path >= 0, 1)) return path;
  pthread_once(&detected, detect);
  return __atomic_load_n(&best_path, __ATOMIC_ACQUIRE);
}
#else
int driftq_crc32c_best_path(void) { return DRIFTQ_CRC32C_SOFTWARE; }
#endif

int driftq_crc32c_is_hardware(void) { return driftq_crc32c_best_path() != DRIFTQ_CRC32C_SOFTWARE; }

uint32_t driftq_crc32c_update_path(int path, uint32_t crc, const void *bytes, size_t length) {
  int best = driftq_crc32c_best_path();
  if (path > best) path = best;
  switch (path) {
#if defined(__x86_64__)
  case DRIFTQ_CRC32C_AVX512: return crc32c_avx512(crc, bytes, length);
  case DRIFTQ_CRC32C_SSE42_3WAY: return crc32c_sse42_3way(crc, bytes, length);
  case DRIFTQ_CRC32C_SSE42: return crc32c_sse42(crc, bytes, length);
#endif
  default: return driftq_crc32c_update_software(crc, bytes, length);
  }
}

uint32_t driftq_crc32c_update(uint32_t crc, const void *bytes, size_t length) {
#if defined(__x86_64__)
  // A frame header (28 bytes) is checked once per record: straight to the short-input path.
  if (length < 256 && driftq_crc32c_best_path() >= DRIFTQ_CRC32C_SSE42_3WAY) return crc32c_sse42_3way(crc, bytes, length);
#endif
  return driftq_crc32c_update_path(DRIFTQ_CRC32C_AVX512, crc, bytes, length);
}
