/*-------------------------------------------------------------------------
 *
 * http_internal.h
 *	  Private to the HTTP transport family: http.c (one request and the
 *	  result of one transfer), sqs.c (signed AWS requests built on http.c's
 *	  request setup) and curl_multi.c (the libcurl multi handle and the
 *	  lifetime of transfers).  Each transfer belongs to one family member,
 *	  which alone pops its finished transfers.
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
#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "common/url.h"
#include "transport/hostcheck.h"

#define HTTP_RESPONSE_KEEP		256 /* response bytes kept for messages */
#define HTTP_RESPONSE_MAX		65536	/* response body bytes read at most */

/* Which transport a transfer belongs to */
typedef enum HttpFamily
{
	HTTP_FAMILY_WEBHOOK,		/* http.c */
	HTTP_FAMILY_AWS,			/* sqs.c */
	HTTP_FAMILY_COUNT
} HttpFamily;

/*
 * One transfer.  Owned by curl_multi.c, which keeps it in exactly one of
 * its three lists (running, done, idle); http.c fills it for a request
 * and reads its result.
 */
typedef struct HttpTransfer
{
	dlist_node	node;
	HttpFamily	family;			/* who pops it */
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
	char	   *resp_all;		/* NULL, or HTTP_RESPONSE_MAX + 1 bytes in
								 * HttpContext keeping the whole body */
	CURLU	   *url_handle;		/* owned: url_parsed read by libcurl's URL
								 * parser, kept while pooled, or NULL */
	char	   *url_parsed;		/* the URL of url_handle, HttpContext */
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
extern HttpTransfer *http_get_transfer(HttpFamily family);
extern void http_multi_add(HttpTransfer *t);
extern void http_release(HttpTransfer *t);
extern HttpTransfer *http_done_head(HttpFamily family);
extern void http_done_finish(HttpTransfer *t);
extern int	http_inflight(void);
extern int	http_family_inflight(HttpFamily family);
extern void http_poll(int timeout_ms);
extern void http_abort_all(void);

/* http.c: building a request */
extern bool http_parse_url(const char *url, NotifyUrl *u, char **error);
extern char *http_host_refusal(const char *host);
extern void http_setup(HttpTransfer *t, const char *url, bool put,
					   int timeout_s, const char *body, size_t len,
					   const char *content_type, const char *event_id,
					   const char *notification_id);
extern void http_add_header(HttpTransfer *t, const char *name,
							const char *value);
extern void http_forget_url(HttpTransfer *t);

/* http.c: reading a finished transfer's answer */
extern int	http_retry_after(CURL *easy);
extern char *http_result_error(HttpTransfer *t);
extern void http_append_clean(StringInfo buf, const char *s, size_t len);
extern char *http_mask(char *msg, const char *secret);

#endif							/* NOTIFY_HTTP_INTERNAL_H */
