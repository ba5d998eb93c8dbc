/*-------------------------------------------------------------------------
 *
 * http.h
 *	  Webhook delivery (<http> actions) over one libcurl multi handle.
 *
 * A delivery worker calls http_init() once, http_configure() after every
 * configuration reload, then starts transfers with http_start(), drives
 * them with http_poll() and collects outcomes with http_next_result().
 * Every function runs outside any transaction and touches neither SPI nor
 * the catalog.  See transport/http.c for the design and the SSRF guard.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_TRANSPORT_HTTP_H
#define NOTIFY_TRANSPORT_HTTP_H

#include "definition/definition.h"

/* Outcome of one finished transfer, as returned by http_next_result() */
typedef struct HttpResult
{
	void	   *arg;			/* the caller's pointer given to http_start */
	long		status;			/* HTTP status, 0 when none was received */
	int			curl_code;		/* CURLcode of the transfer: 0 (CURLE_OK)
								 * when the answer was received completely,
								 * else the attempt failed, whatever the
								 * status (a timeout or a connection lost
								 * after the header) */
	bool		delivered;		/* curl_code 0 and a 2xx status */
	bool		refused;		/* the SSRF guard refused the host: a
								 * failure that retrying cannot mend */
	char	   *error;			/* NULL, or a message (palloc'd in the
								 * context that was current at http_start),
								 * never containing credentials */
	int			duration_ms;
	int			retry_after_ms; /* from a Retry-After header (seconds or
								 * HTTP date), -1 if none */
} HttpResult;

extern void http_init(void);
extern void http_configure(void);
extern bool http_start(void *arg, const NotifyAction *action,
					   const char *body, size_t len,
					   const char *content_type, const char *event_id,
					   const char *notification_id, char **error);
extern int	http_inflight(void);
extern void http_poll(int timeout_ms);
extern bool http_next_result(HttpResult *res);
extern void http_abort_all(void);

#endif							/* NOTIFY_TRANSPORT_HTTP_H */
