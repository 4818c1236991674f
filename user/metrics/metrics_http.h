/*
 * A tiny loopback HTTP/1.0 endpoint serving GET /metrics.
 *
 * Why hand-written rather than libmicrohttpd: the coordinator is one epoll
 * loop (pidfds, inbox eventfds, timers) and must not grow a server thread
 * that races it for the registry; this server is non-blocking, exposes a
 * single pollable fd (its own epoll fd) for that loop, serves a body the
 * owner hands it, and binds loopback addresses only. The request parser is
 * strict: "GET|HEAD SP /metrics SP HTTP/1.0|HTTP/1.1 CRLF", header lines of
 * printable ASCII, the request ending in CRLF CRLF within 4 KiB; anything
 * else gets 400/404/405 and the connection is closed. At most 16
 * connections; each is dropped 2 s after accept (slow clients cannot hold
 * the loop; no call here ever blocks). Call metrics_http_step() when the
 * fd is readable and at least once a second so stale connections expire.
 */
#ifndef SWARM_METRICS_HTTP_H
#define SWARM_METRICS_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct metrics_http;

/* Listen on "127.0.0.1:PORT" (or "[::1]:PORT", "localhost:PORT"); PORT 0
 * picks a free port. -EINVAL: malformed; -EADDRNOTAVAIL: not loopback. */
int metrics_http_start(const char *listen_spec, struct metrics_http **out);
void metrics_http_stop(struct metrics_http *h);
/* The bound port (useful after PORT 0). */
uint16_t metrics_http_port(const struct metrics_http *h);
/* Readable (EPOLLIN) when metrics_http_step() has work. */
int metrics_http_fd(const struct metrics_http *h);
/* Copy the exposition text served from now on. */
int metrics_http_set_body(struct metrics_http *h, const char *text, size_t len);
/* Render the registry and serve that text from now on (call it after each
 * sample, as you would metrics_write_file). */
struct metrics;
int metrics_http_publish(struct metrics_http *h, const struct metrics *m);
/* Accept, read, answer, expire: waits at most timeout_ms (0 = do what is
 * ready). Returns the number of responses completed, or -errno. */
int metrics_http_step(struct metrics_http *h, int timeout_ms);

#endif
