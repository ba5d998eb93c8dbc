/*-------------------------------------------------------------------------
 *
 * http_guard.c
 *	  The SSRF guard applied to a transfer: the host check before it and
 *	  the connect-time check on every address libcurl connects to.
 *
 * http.c's transfers (webhooks, SQS and SNS) use http_socket_check from
 * their CURLOPT_OPENSOCKETFUNCTION.  A module that runs transfers on a
 * libcurl handle of its own (the S3 ingest poller) calls
 * http_guard_setup() on each easy handle: it loads the host lists of the
 * current settings (notify_ext.allowed_hosts, notify_ext.denied_hosts),
 * refuses a URL whose host they refuse before anything is sent, and
 * installs the connect-time check; after the transfer, http_guard_error()
 * gives the refusal when the connect-time check refused.  The rules are
 * those of every outgoing request (transport/hostcheck.c).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/http_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "lib/stringinfo.h"

#include "common/url.h"
#include "guc.h"
#include "transport/aws.h"
#include "transport/http_internal.h"

/*
 * http_socket_check
 *		The connect-time SSRF check of a transfer to host (normalized),
 *		called from a CURLOPT_OPENSOCKETFUNCTION: opens the socket as
 *		libcurl would when the host lists permit address, else returns
 *		CURL_SOCKET_BAD (libcurl reports a failed connection) with
 *		*refused, *verdict and refused_addr (INET6_ADDRSTRLEN bytes) set.
 *		Never ereports, never pallocs.
 */
curl_socket_t
http_socket_check(const char *host, struct curl_sockaddr *address,
				  bool *refused, HostVerdict *verdict, char *refused_addr)
{
	HostAddr	addr;
	HostVerdict v;

	memset(&addr, 0, sizeof(addr));
	if (!http_host_addr_from_sockaddr(address, &addr))
		v = HOST_NOT_ALLOWED;
	else
		v = http_check_address(host, &addr);

	if (v != HOST_PERMITTED)
	{
		*refused = true;
		*verdict = v;
		if (addr.family == 0 ||
			inet_ntop(addr.family, addr.bytes, refused_addr,
					  INET6_ADDRSTRLEN) == NULL)
			refused_addr[0] = '\0';
		return CURL_SOCKET_BAD;
	}
	return socket(address->family, address->socktype, address->protocol);
}

/*
 * http_guard_open_socket
 *		CURLOPT_OPENSOCKETFUNCTION of a guarded transfer (clientp: its
 *		HttpGuard).
 */
static curl_socket_t
http_guard_open_socket(void *clientp, curlsocktype purpose,
					   struct curl_sockaddr *address)
{
	HttpGuard  *g = (HttpGuard *) clientp;

	return http_socket_check(g->host, address, &g->refused, &g->verdict,
							 g->refused_addr);
}

/*
 * http_guard_setup
 *		Guard a transfer to url on easy: NULL when it may start (the
 *		connect-time check, no proxy and no redirects are then set on
 *		easy, g filled), else the message of the refusal (an unusable URL,
 *		or a host the lists refuse before any name lookup), palloc'd,
 *		naming the host and never the URL.  g must outlive the transfer.
 *		ERRORs when out of memory or when libcurl refuses an option.
 */
char *
http_guard_setup(HttpGuard *g, CURL *easy, const char *url)
{
	NotifyUrl	u;
	char	   *error;

	memset(g, 0, sizeof(*g));
	http_create_contexts();
	(void) http_host_lists_load(notify_ext_allowed_hosts,
								notify_ext_denied_hosts, HttpHostsContext);
	if (!http_parse_url(url, &u, &error))
		return error;
	g->host = pstrdup(u.host);
	notify_url_free(&u);
	error = http_host_refusal(g->host);
	if (error != NULL)
		return error;
	NOTIFY_CURL_SETOPT(easy, CURLOPT_OPENSOCKETFUNCTION, http_guard_open_socket);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_OPENSOCKETDATA, (void *) g);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_PROXY, "");
	NOTIFY_CURL_SETOPT(easy, CURLOPT_FOLLOWLOCATION, 0L);
	return NULL;
}

/*
 * http_guard_error
 *		After a failed transfer guarded by g: the message of the
 *		connect-time refusal (host, address and rule), palloc'd, or NULL
 *		when the check did not refuse.
 */
char *
http_guard_error(const HttpGuard *g)
{
	StringInfoData buf;
	char	   *raw;

	if (!g->refused)
		return NULL;
	raw = http_refusal_message(g->host, g->refused_addr, g->verdict);
	initStringInfo(&buf);
	http_append_clean(&buf, raw, strlen(raw));
	pfree(raw);
	return buf.data;
}
