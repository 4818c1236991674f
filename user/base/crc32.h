/* CRC-32 (IEEE 802.3, the polynomial of zlib's crc32()), so frames written
 * by any swarm build validate in any other. Our own code rather than zlib's
 * so that the agent's commands (swarm send/recv) load no library but libc. */
#ifndef SWARM_CRC32_H
#define SWARM_CRC32_H

#include <stddef.h>
#include <stdint.h>

/* crc32_update(0, buf, len) == zlib's crc32(0, buf, len); chainable. */
uint32_t crc32_update(uint32_t crc, const void *buf, size_t len);

#endif
