/* crc32c.h - CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of
 * TFRecord framing in TensorBoard event files (host/tb_events.c).
 *
 *   uint32_t c = rise_crc32c(data, n);            "123456789" -> 0xE3069283
 *   uint32_t m = rise_crc32c_masked(data, n);     TFRecord's rotated + offset form
 *
 * Debian ships no C library whose job is CRC-32C (ISA-L has one among its storage
 * codecs), and the event files checksum a few hundred bytes per log interval, so a
 * bitwise loop is written here; tests/cpu/test_tb_events.c checks it against the
 * RFC 3720 (iSCSI) test vectors. */
#ifndef RISE_HOST_CRC32C_H
#define RISE_HOST_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Continues a CRC: rise_crc32c_extend(rise_crc32c(a, n), b, m) == CRC of a then b. */
uint32_t rise_crc32c_extend(uint32_t crc, const void *data, size_t n);
static inline uint32_t rise_crc32c(const void *data, size_t n) {
    return rise_crc32c_extend(0, data, n);
}
/* TFRecord's masked CRC: ((crc >> 15) | (crc << 17)) + 0xa282ead8. */
static inline uint32_t rise_crc32c_masked(const void *data, size_t n) {
    const uint32_t c = rise_crc32c(data, n);
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

#ifdef __cplusplus
}
#endif
#endif
