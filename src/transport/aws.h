/*-------------------------------------------------------------------------
 *
 * aws.h
 *	  What the SQS/SNS transport (sqs.c) and the S3 ingest poller
 *	  (src/ingest) share about AWS: reading AWS's error answers, error text
 *	  made safe with the secret masked, a checked curl_easy_setopt, and the
 *	  SSRF guard for a transfer run on the caller's own libcurl handle.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/aws.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_TRANSPORT_AWS_H
#define NOTIFY_TRANSPORT_AWS_H

#include <netinet/in.h>
#include <arpa/inet.h>

#include <curl/curl.h>

#include "transport/hostcheck.h"

struct json_object;

/* curl_easy_setopt that ERRORs when libcurl refuses the option (a bug) */
#define NOTIFY_CURL_SETOPT(easy, opt, val) \
	do { \
		CURLcode	setopt_rc_ = curl_easy_setopt((easy), (opt), (val)); \
		if (setopt_rc_ != CURLE_OK) \
			elog(ERROR, "could not set libcurl option %s: %s", \
				 #opt, curl_easy_strerror(setopt_rc_)); \
	} while (0)

/* aws.c: AWS's answers */
extern const char *aws_json_string(struct json_object *obj, const char *name);
extern char *aws_xml_tag(const char *s, const char *tag);
extern void aws_error_of(const char *body, const char *query_error,
						 char **code, char **message);
extern bool aws_is_throttling(const char *code);
extern char *aws_clean(const char *s, const char *secret);

/*
 * The SSRF guard of one transfer on a handle the caller owns (the ingest
 * poller's): http_guard_setup checks the URL's host before the transfer
 * and installs the connect-time check, which records here why it refused.
 * host is palloc'd; the struct must live until the transfer is done.
 */
typedef struct HttpGuard
{
	char	   *host;			/* normalized host of the URL */
	bool		refused;		/* the connect-time check refused */
	HostVerdict verdict;		/* why */
	char		refused_addr[INET6_ADDRSTRLEN];
} HttpGuard;

/* http_guard.c */
extern char *http_guard_setup(HttpGuard *g, CURL *easy, const char *url);
extern char *http_guard_error(const HttpGuard *g);
extern curl_socket_t http_socket_check(const char *host,
									   struct curl_sockaddr *address,
									   bool *refused, HostVerdict *verdict,
									   char *refused_addr);

#endif							/* NOTIFY_TRANSPORT_AWS_H */
