/* Loopback HTTP/1.0 responder for GET /metrics: non-blocking, one epoll fd
 * for the owner's loop, strict request parsing (see metrics_http.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics.h"
#include "metrics_http.h"
#include "util.h"

#define HTTP_MAX_CONNS   16
#define HTTP_REQ_MAX     4096
#define HTTP_DEADLINE_NS (2ull * 1000000000ull)

struct conn {
	int fd;                  /* -1: slot free */
	bool writing;
	uint64_t deadline;
	size_t in_len;
	char in[HTTP_REQ_MAX];
	char *out;
	size_t out_len, out_off;
};

struct metrics_http {
	int lfd, epfd;
	uint16_t port;
	char *body;
	size_t body_len;
	struct conn c[HTTP_MAX_CONNS];
};

/* "127.x.y.z:P", "localhost:P" or "[::1]:P" -> sockaddr; loopback only. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sl)
{
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	const char *colon;
	char host[64];
	uint64_t port;
	size_t hl;

	if (!spec || !(colon = strrchr(spec, ':')) || parse_u64(colon + 1, &port) ||
	    port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - spec);
	if (hl == 0 || hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, "localhost"))
		strcpy(host, "127.0.0.1");
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		if ((ntohl(a4->sin_addr.s_addr) >> 24) != 127)
			return -EADDRNOTAVAIL;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*sl = sizeof(*a4);
		return 0;
	}
	if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return -EINVAL;
		if (!IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr))
			return -EADDRNOTAVAIL;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*sl = sizeof(*a6);
		return 0;
	}
	return -EINVAL;
}

static int bound_port(int fd, uint16_t *port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return -errno;
	if (ss.ss_family == AF_INET)
		*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	else
		*port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

int metrics_http_start(const char *listen_spec, struct metrics_http **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 0 };
	struct sockaddr_storage ss;
	struct metrics_http *h;
	socklen_t sl;
	int one = 1, err, i;

	err = parse_listen(listen_spec, &ss, &sl);
	if (err)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->epfd = -1;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		h->c[i].fd = -1;
	h->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->lfd < 0) {
		err = -errno;
		goto fail;
	}
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&ss, sl) || listen(h->lfd, HTTP_MAX_CONNS)) {
		err = -errno;
		goto fail;
	}
	err = bound_port(h->lfd, &h->port);
	if (err)
		goto fail;
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->lfd, &ev)) {
		err = -errno;
		goto fail;
	}
	*out = h;
	return 0;
fail:
	metrics_http_stop(h);
	return err;
}

static void conn_close(struct metrics_http *h, struct conn *c)
{
	if (c->fd < 0)
		return;
	epoll_ctl(h->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->writing = false;
	c->in_len = c->out_len = c->out_off = 0;
}

void metrics_http_stop(struct metrics_http *h)
{
	int i;

	if (!h)
		return;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		conn_close(h, &h->c[i]);
	if (h->lfd >= 0)
		close(h->lfd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h->body);
	free(h);
}

uint16_t metrics_http_port(const struct metrics_http *h) { return h->port; }
int metrics_http_fd(const struct metrics_http *h) { return h->epfd; }

int metrics_http_set_body(struct metrics_http *h, const char *text, size_t len)
{
	char *copy = malloc(len ? len : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	free(h->body);
	h->body = copy;
	h->body_len = len;
	return 0;
}

int metrics_http_publish(struct metrics_http *h, const struct metrics *m)
{
	char *text;
	size_t len;
	int err = metrics_render(m, &text, &len);

	if (err)
		return err;
	free(h->body);
	h->body = text;
	h->body_len = len;
	return 0;
}

/* Checks one request line or header line (without CRLF). */
static bool header_line_ok(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t i;

	if (!colon || colon == s)
		return false;
	for (i = 0; i < (size_t)(colon - s); i++)
		if (s[i] <= ' ' || s[i] > '~')
			return false;
	return true;
}

/* Printable ASCII and tab, CR only before LF, LF only after CR. A prefix
 * of a request may end in CR. */
static bool bytes_ok(const char *req, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)req[i];
		if ((ch < ' ' && ch != '\r' && ch != '\n' && ch != '\t') || ch > '~')
			return false;
		if (ch == '\n' && (i == 0 || req[i - 1] != '\r'))
			return false;
		if (ch == '\r' && i + 1 < n && req[i + 1] != '\n')
			return false;
	}
	return true;
}

/* Status code for a complete request of n bytes ending in CRLF CRLF. */
static int request_status(const char *req, size_t n, bool *head)
{
	const char *eol = memmem(req, n, "\r\n", 2), *sp1, *sp2, *p, *next;
	size_t mlen;

	if (!bytes_ok(req, n))
		return 400;
	sp1 = memchr(req, ' ', (size_t)(eol - req));
	sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp1 || !sp2 || sp1 == req || sp2 == sp1 + 1 ||
	    memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)))
		return 400;
	for (p = req; p < sp1; p++)
		if (*p < 'A' || *p > 'Z')
			return 400;
	if ((size_t)(eol - sp2 - 1) != 8 ||
	    (memcmp(sp2 + 1, "HTTP/1.0", 8) && memcmp(sp2 + 1, "HTTP/1.1", 8)))
		return 400;
	if (sp1[1] != '/')
		return 400;
	for (p = eol + 2; p < req + n - 2; p = next + 2) {
		next = memmem(p, (size_t)(req + n - p), "\r\n", 2);
		if (!header_line_ok(p, (size_t)(next - p)))
			return 400;
	}
	mlen = (size_t)(sp1 - req);
	*head = mlen == 4 && !memcmp(req, "HEAD", 4);
	if (!*head && !(mlen == 3 && !memcmp(req, "GET", 3)))
		return 405;
	if ((size_t)(sp2 - sp1 - 1) != 8 || memcmp(sp1 + 1, "/metrics", 8))
		return 404;
	return 200;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	default: return "Bad Request";
	}
}

static int build_response(struct metrics_http *h, struct conn *c, int status, bool head)
{
	const char *body = status == 200 ? (h->body ? h->body : "") : reason(status);
	size_t blen = status == 200 ? h->body_len : strlen(body);
	const char *type = status == 200 ? METRICS_CONTENT_TYPE : "text/plain";
	char hdr[256];
	int hl;

	hl = snprintf(hdr, sizeof(hdr),
		      "HTTP/1.0 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		      "%sConnection: close\r\n\r\n",
		      status, reason(status), type, blen,
		      status == 405 ? "Allow: GET, HEAD\r\n" : "");
	if (head)
		blen = 0;
	c->out = malloc((size_t)hl + blen);
	if (!c->out)
		return -ENOMEM;
	memcpy(c->out, hdr, (size_t)hl);
	memcpy(c->out + hl, body, blen);
	c->out_len = (size_t)hl + blen;
	c->out_off = 0;
	return 0;
}

/* 1 when the response went out completely, 0 if more to do, -errno. */
static int conn_write(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == EAGAIN ? 0 : -errno;
		}
		c->out_off += (size_t)n;
	}
	return 1;
}

/* Read what is there; once the request is complete, answer it. */
static int conn_read(struct metrics_http *h, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = (uint64_t)(c - h->c) + 1 };
	const char *end;
	bool head = false;
	int status, err;

	for (;;) {
		ssize_t n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return n ? -errno : -ECONNRESET;
		c->in_len += (size_t)n;
		end = memmem(c->in, c->in_len, "\r\n\r\n", 4);
		/* Answer garbage at once instead of waiting for CRLF CRLF. */
		if (end || c->in_len == sizeof(c->in) || !bytes_ok(c->in, c->in_len))
			break;
	}
	status = end ? request_status(c->in, (size_t)(end - c->in) + 4, &head) : 400;
	err = build_response(h, c, status, head);
	if (err)
		return err;
	c->writing = true;
	shutdown(c->fd, SHUT_RD);
	if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, c->fd, &ev))
		return -errno;
	return conn_write(c);
}

static void accept_all(struct metrics_http *h)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, i;

	while ((fd = accept4(h->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		for (i = 0; i < HTTP_MAX_CONNS && h->c[i].fd >= 0; i++)
			;
		ev.data.u64 = (uint64_t)i + 1;
		if (i == HTTP_MAX_CONNS || epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev)) {
			close(fd);   /* over the limit: refuse rather than queue */
			continue;
		}
		h->c[i].fd = fd;
		h->c[i].deadline = now_ns() + HTTP_DEADLINE_NS;
	}
}

static void expire(struct metrics_http *h)
{
	uint64_t now = now_ns();
	int i;

	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (h->c[i].fd >= 0 && now > h->c[i].deadline)
			conn_close(h, &h->c[i]);
}

int metrics_http_step(struct metrics_http *h, int timeout_ms)
{
	struct epoll_event evs[HTTP_MAX_CONNS + 1];
	bool listen_ready = false;
	int n, i, done = 0, r;

	n = epoll_wait(h->epfd, evs, HTTP_MAX_CONNS + 1, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	/* Connections first: the ones that ended free their slots before
	 * new ones are accepted (a full table refuses newcomers). */
	for (i = 0; i < n; i++) {
		struct conn *c;

		if (evs[i].data.u64 == 0) {
			listen_ready = true;
			continue;
		}
		c = &h->c[evs[i].data.u64 - 1];
		if (c->fd < 0)
			continue;
		r = c->writing ? conn_write(c) : conn_read(h, c);
		if (r > 0)
			done++;
		if (r != 0)
			conn_close(h, c);
	}
	expire(h);
	if (listen_ready)
		accept_all(h);
	return done;
}
