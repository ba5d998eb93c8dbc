/*-------------------------------------------------------------------------
 *
 * ingest_internal.h
 *	  Between the files of the S3 ingest poller: signed requests
 *	  (aws_http.c), SQS calls (sqs_queue.c) and bucket listings
 *	  (s3_list.c).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/ingest_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_INGEST_INTERNAL_H
#define NOTIFY_INGEST_INTERNAL_H

#include <curl/curl.h>

#include "datatype/timestamp.h"
#include "lib/stringinfo.h"

#include "transport/aws.h"

/* One signed request; the caller owns the strings (all but body required) */
typedef struct IngestHttp
{
	const char *url;
	const char *sigv4;			/* "aws:amz:<region>:<service>" */
	const char *access_key;
	const char *secret;
	const char *target;			/* X-Amz-Target of a JSON POST, or NULL */
	const char *body;			/* JSON POST body; NULL: a GET (S3) */
	long		timeout_s;		/* whole request */
	/* results (ingest_http_run) */
	long		status;			/* 0: no answer */
	StringInfoData response;
	char	   *error;			/* NULL: a 2xx answer came */
	char	   *query_error;	/* x-amzn-query-error, or NULL */
	bool		done;
	HttpGuard	guard;			/* the SSRF guard of the transfer */
	/* libcurl objects while running */
	CURL	   *easy;
	struct curl_slist *headers;
	char		errbuf[CURL_ERROR_SIZE];
} IngestHttp;

/* aws_http.c */
extern void ingest_http_run(IngestHttp **reqs, int n);

/* One received SQS message */
typedef struct IngestMessage
{
	char	   *message_id;
	char	   *receipt_handle;
	char	   *body;			/* UTF-8 */
	bool		remove;			/* out: delete it from the queue */
} IngestMessage;

/* sqs_queue.c */
extern char *ingest_sqs_endpoint(const char *sqs_endpoint, const char *region);
extern char *ingest_sqs_get_queue_url_body(const char *name);
extern char *ingest_sqs_queue_url(const IngestHttp *r);
extern char *ingest_sqs_receive_body(const char *queue_url, int max, int wait_s);
extern IngestMessage *ingest_sqs_messages(const IngestHttp *r, int *n, char **error);
extern char *ingest_sqs_delete_body(const char *queue_url, IngestMessage *msgs, int n);
extern char *ingest_sqs_delete_failures(const IngestHttp *r);

/* One page of a bucket listing */
typedef struct IngestListPage
{
	int			n;
	char	  **keys;			/* UTF-8 */
	int64	   *sizes;
	char	  **etags;
	bool		truncated;
	char	   *next_token;		/* NULL when none */
} IngestListPage;

/* s3_list.c */
extern char *ingest_s3_list_url(const char *endpoint, const char *region,
								const char *bucket, const char *prefix,
								const char *token, int max_keys);
extern bool ingest_s3_parse_list(const char *xml, int len, IngestListPage *page,
								 char **error);

#define REQUEST_TIMEOUT_S	30	/* an S3 or SQS request, besides a long poll */

/* A storage method as read at the start of a pass (loop context) */
typedef struct Method
{
	char	   *id;
	char	   *bucket;
	char	   *prefix;			/* UTF-8 */
	char	   *endpoint;		/* NULL: AWS */
	char	   *region;
	char	   *credential;		/* alias in notify.aws_credential */
	Oid			owner;
	char	   *access_key;		/* NULL: no usable credential */
	char	   *secret;
	char	   *sqs_name;		/* NULL: no queue */
	char	   *sqs_endpoint;
	bool		refresh_on_start;
	int			refresh_interval;	/* 0: none */
	bool		scan_requested;
	TimestampTz last_scan_started;	/* 0: never */
	struct MethodMemory *mem;
	bool		is_new;			/* first seen in this pass */
	/* this pass */
	IngestHttp	req;
	IngestMessage *msgs;
	int			nmsgs;
} Method;

/* What the poller remembers of a method across passes (keyed by id) */
typedef struct MethodMemory
{
	char		id[64];			/* hash key */
	bool		seen;			/* read in the last pass */
	char		queue_key[1024];	/* endpoint, name, access key of url */
	char		queue_url[1024];	/* "" until known */
	TimestampTz sqs_retry_at;
	int			sqs_backoff_ms;
	bool		scan_failed;
	TimestampTz scan_retry_at;
	int			scan_backoff_ms;
} MethodMemory;

/* poller.c: shared with scan.c */
extern bool ingest_xact(void (*fn) (void *arg), void *arg, char **error);
extern void ingest_record_failure(Method *m, const char *message);
extern TimestampTz ingest_next_backoff(int *ms, TimestampTz now);
extern void ingest_read_queues_between_pages(MemoryContext cxt);

/* scan.c */
extern bool ingest_scan_due(Method *m, bool is_new, TimestampTz now);
extern void ingest_scan_method(Method *m);

#endif							/* NOTIFY_INGEST_INTERNAL_H */
