/*-------------------------------------------------------------------------
 *
 * http_internal.h
 *	  Private to the HTTP transport family: http.c (one request and the
 *	  result of one transfer) and curl_multi.c (the libcurl multi handle
 *	  and the lifetime of transfers).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/http_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_HTTP_INTERNAL_H
#define NOTIFY_HTTP_INTERNAL_H

#include <netinet/in.h>
#include <arpa/inet.h>

#include <curl/curl.h>

#include "lib/ilist.h"
#include "utils/timestamp.h"

#include "transport/hostcheck.h"

#define HTTP_RESPONSE_KEEP		256 /* response bytes kept for messages */

/*
 * One transfer.  Owned by curl_multi.c, which keeps it in exactly one of
 * its three lists (running, done, idle); http.c fills it for a request
 * and reads its result.
 */
typedef struct HttpTransfer
{
	dlist_node	node;
	CURL	   *easy;			/* owned, never NULL */
	struct curl_slist *headers; /* owned, NULL when idle */
	char	   *body;			/* copy of the request body, HttpContext */
	char	   *host;			/* normalized host name, HttpContext */
	char	   *secret;			/* URL password as written, or NULL */
	char	   *secret_decoded; /* URL password percent-decoded, or NULL */
	void	   *arg;
	TimestampTz start;
	CURLcode	code;
	long		status;
	int			duration_ms;
	int			retry_after_ms;
	bool		refused;		/* set by http_open_socket */
	HostVerdict verdict;		/* why, when refused */
	char		refused_addr[INET6_ADDRSTRLEN];
	size_t		resp_len;		/* bytes kept in resp */
	size_t		resp_read;		/* body bytes read */
	bool		resp_cut;		/* http_write_body stopped reading */
	char		resp[HTTP_RESPONSE_KEEP];
	char		errbuf[CURL_ERROR_SIZE];
} HttpTransfer;

/* curl_multi.c: memory of the family (children of TopMemoryContext) */
extern MemoryContext HttpContext;	/* transfers and their strings */
extern MemoryContext HttpHostsContext;	/* the parsed host lists */

/* curl_multi.c: process lifetime and the multi handle */
extern void http_init(void);
extern void http_configure(void);
extern void http_create_contexts(void);
extern void http_multi_prepare(void);
extern bool http_multi_fresh(void);

/* curl_multi.c: transfers */
extern HttpTransfer *http_get_transfer(void);
extern void http_multi_add(HttpTransfer *t);
extern void http_release(HttpTransfer *t);
extern HttpTransfer *http_done_head(void);
extern void http_done_finish(HttpTransfer *t);
extern int	http_inflight(void);
extern void http_poll(int timeout_ms);
extern void http_abort_all(void);

/* http.c: reading a finished transfer's answer */
extern int	http_retry_after(CURL *easy);

#endif							/* NOTIFY_HTTP_INTERNAL_H */
