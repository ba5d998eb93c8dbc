/*-------------------------------------------------------------------------
 *
 * http.c
 *	  Webhook delivery (<http> actions): one request, one result.
 *
 * http_start() turns a TransportRequest into a POST or PUT transfer and
 * hands it to the multi handle (transport/curl_multi.c, which drives
 * transfers and keeps them); http_next_result() turns a finished transfer
 * into a TransportResult.
 *
 * Request: the action's URL (basic credentials from its user info, basic
 * authentication only), method POST or PUT, the body as given, headers
 * Content-Type, X-Notify-Event-Id, X-Notify-Notification-Id, User-Agent
 * notify_ext/<version> and an empty Expect (no 100-continue round trip);
 * when the notification signs its requests (notify.set_signing), the
 * Standard Webhooks headers webhook-id, webhook-timestamp and
 * webhook-signature (transport/signing.c), signed when the transfer is
 * started.
 * Protocols http and https only; redirects are not followed (a 3xx is
 * just a status); proxies from the environment are ignored (the SSRF guard
 * must see the receiver's own address).  Timeouts: the action's timeout as
 * the total time (0 = none), notify_ext.connect_timeout for connecting.
 * The response body is discarded, except its first HTTP_RESPONSE_KEEP bytes
 * which end up in the error message of a non-2xx answer.
 *
 * Delivered means a 2xx status and a transfer that completed (CURLE_OK).
 * A status line followed by a stall past the timeout, or by a connection
 * closed before the body announced by Content-Length or chunked encoding
 * was complete, is a failed attempt with the status seen and libcurl's
 * error, retried like a timeout: the receiver may not have processed the
 * event.  One deliberate exception: the body is read up to
 * HTTP_RESPONSE_MAX bytes only.  Beyond that, http_write_body stops the
 * transfer (libcurl then closes the connection) and the answer counts as
 * complete, because the receiver has sent its whole header and that much
 * body: a receiver answering 2xx with an endless or 4 GB body must not
 * hold a connection and the worker's time until the timeout, and is
 * delivered.  A body cut short or stalled below that size is the
 * receiver's failure and is not delivered.
 *
 * SSRF guard (rules and parsing in transport/hostcheck.c, lists loaded by
 * curl_multi.c): before a transfer starts, its host name (or IP literal)
 * is checked; a name that only an address rule could decide passes on to
 * the connect-time check, done in a CURLOPT_OPENSOCKETFUNCTION callback on
 * every address libcurl is about to connect to (so DNS answers cannot
 * sneak around the lists).  A refused host is reported in the result
 * (TRANSPORT_REFUSED), which delivery/retry.c never retries.
 *
 * A transfer's body copy, host and URL password live in HttpContext from
 * http_start() until its result is popped.  Result error strings are
 * palloc'd in the context that is current at http_next_result(), so
 * callers may start transfers from a short-lived context.  The libcurl
 * callbacks never ereport and never palloc; they only record what happened
 * in the transfer.  No transaction is open while this module runs and it
 * uses neither SPI nor the catalog (notify.check_url_host aside, which
 * runs in a backend).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/http.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>
#include <netdb.h>
#include <sys/socket.h>
#include <time.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "common/url.h"
#include "guc.h"
#include "transport/aws.h"
#include "transport/http_internal.h"
#include "transport/signing.h"
#include "transport/transport.h"

/* curl_easy_header appeared in 7.83.0, CURLOPT_PROTOCOLS_STR in 7.85.0 */
StaticAssertDecl(LIBCURL_VERSION_NUM >= 0x075500,
				 "notify_ext requires libcurl 7.85.0 or later");

#define HTTP_USER_AGENT			"notify_ext/" NOTIFY_EXT_VERSION

/*---- Checked setopt ----*/

#define HTTP_SETOPT(easy, opt, val) NOTIFY_CURL_SETOPT(easy, opt, val)

/*---- Local function declarations ----*/

static bool http_start(const TransportRequest *req, TransportResult *refusal);
static bool http_next_result(TransportResult *res);
static void http_refuse(const TransportRequest *req, char *error,
						TransportResult *refusal);
static size_t http_write_body(char *ptr, size_t size, size_t nmemb,
							  void *userdata);
static curl_socket_t http_open_socket(void *clientp, curlsocktype purpose,
									  struct curl_sockaddr *address);
static bool http_url_handle(HttpTransfer *t, const char *url);


/* ---------------------------------------------------------------------
 * The SSRF guard, callable from SQL
 * ---------------------------------------------------------------------
 */

PG_FUNCTION_INFO_V1(notify_ext_check_url_host);

/*
 * notify_ext_check_url_host
 *		SQL notify.check_url_host(url text, allowed_hosts text,
 *		denied_hosts text) RETURNS text (API: private).
 *
 * Runs the SSRF guard on url the way a delivery does, with the given host
 * lists (a NULL list: the setting's current value), parsed as the settings
 * are: the URL and host checks of http_start(), then for a host name the
 * connect-time check (http_check_address, as in http_open_socket) on every
 * address getaddrinfo() gives, as libcurl resolves.  Returns the message a
 * delivery would record for the first refusal or an unusable URL, or NULL
 * when every address may be connected to (NULL for a NULL url).  Never
 * contains the URL or its password.  Invalid list entries give WARNINGs.
 * ERRORs only when out of memory.
 */
Datum
notify_ext_check_url_host(PG_FUNCTION_ARGS)
{
	char	   *url;
	char	   *host;
	NotifyUrl	u;
	char	   *error;
	char	   *raw = NULL;
	HostVerdict verdict;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	url = text_to_cstring(PG_GETARG_TEXT_PP(0));

	http_create_contexts();
	(void) http_host_lists_load(PG_ARGISNULL(1) ? notify_ext_allowed_hosts :
								text_to_cstring(PG_GETARG_TEXT_PP(1)),
								PG_ARGISNULL(2) ? notify_ext_denied_hosts :
								text_to_cstring(PG_GETARG_TEXT_PP(2)),
								HttpHostsContext);
	if (!http_parse_url(url, &u, &error))
		PG_RETURN_TEXT_P(cstring_to_text(error));
	notify_url_wipe(&u);
	host = u.host;

	verdict = http_check_host(host);
	if (verdict == HOST_UNDECIDED)
	{
		struct addrinfo hints;
		struct addrinfo *res = NULL;
		struct addrinfo *ai;
		int			rc;

		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_UNSPEC;
		hints.ai_socktype = SOCK_STREAM;
		rc = getaddrinfo(host, NULL, &hints, &res);
		if (rc != 0)
			raw = psprintf("could not resolve host \"%s\": %s",
						   host, gai_strerror(rc));
		verdict = HOST_PERMITTED;
		for (ai = res; rc == 0 && ai != NULL; ai = ai->ai_next)
		{
			/* as libcurl hands it over: room for any address after addr */
			union
			{
				struct curl_sockaddr sa;
				char		space[offsetof(struct curl_sockaddr, addr) +
								  sizeof(struct sockaddr_storage)];
			}			csa;
			HostAddr	addr;
			char		text[INET6_ADDRSTRLEN];

			memset(&csa, 0, sizeof(csa));
			csa.sa.family = ai->ai_family;
			csa.sa.socktype = ai->ai_socktype;
			csa.sa.protocol = ai->ai_protocol;
			csa.sa.addrlen = Min(ai->ai_addrlen, sizeof(struct sockaddr_storage));
			memcpy(csa.space + offsetof(struct curl_sockaddr, addr),
				   ai->ai_addr, csa.sa.addrlen);
			if (!http_host_addr_from_sockaddr(&csa.sa, &addr))
				continue;
			verdict = http_check_address(host, &addr);
			if (verdict != HOST_PERMITTED)
			{
				if (inet_ntop(addr.family, addr.bytes, text, sizeof(text)) == NULL)
					text[0] = '\0';
				raw = http_refusal_message(host, text, verdict);
				break;
			}
		}
		if (res != NULL)
			freeaddrinfo(res);
	}
	else if (verdict != HOST_PERMITTED)
		raw = http_refusal_message(host, NULL, verdict);

	if (raw != NULL)
	{
		StringInfoData buf;

		initStringInfo(&buf);
		http_append_clean(&buf, raw, strlen(raw));
		PG_RETURN_TEXT_P(cstring_to_text(buf.data));
	}
	PG_RETURN_NULL();
}




/* ---------------------------------------------------------------------
 * Starting transfers
 * ---------------------------------------------------------------------
 */

/*
 * http_parse_url
 *		Check that url is an http or https URL and read its parts with the
 *		one URL parse (common/url.c).
 *
 * On success returns true with *u filled in CurrentMemoryContext: host
 * percent-decoded and normalized, password and password_decoded (as
 * written and percent-decoded) NULL when absent or empty; the caller wipes
 * them with notify_url_wipe() or notify_url_free().  Otherwise returns
 * false with *error palloc'd there and no password kept; the message
 * never contains the URL.  Schemes libcurl cannot send to are refused by
 * the parse itself.
 */
bool
http_parse_url(const char *url, NotifyUrl *u, char **error)
{
	CURLUcode	uc;

	*error = NULL;
	uc = notify_url_parse_with(url, NOTIFY_URL_NEED_HOST |
							   NOTIFY_URL_DECODE_HOST | NOTIFY_URL_PASSWORD,
							   u);
	if (uc != CURLUE_OK)
		*error = psprintf("invalid URL: %s", curl_url_strerror(uc));
	else if (pg_strcasecmp(u->scheme, "http") != 0 &&
			 pg_strcasecmp(u->scheme, "https") != 0)
		*error = psprintf("URL scheme \"%s\" is not supported", u->scheme);
	else if (u->host[0] == '\0')
		*error = pstrdup("invalid URL: no host");
	if (*error != NULL || (u->password != NULL && u->password[0] == '\0'))
		notify_url_wipe(u);
	if (*error != NULL)
		return false;

	http_host_normalize(u->host);
	if (u->password_decoded != NULL && u->password_decoded[0] == '\0')
	{
		pfree(u->password_decoded);
		u->password_decoded = NULL;
	}
	return true;
}

/*
 * The last URL http_start read and its parts (host, passwords), kept in
 * TopMemoryContext: the events of a backlog mostly go to one URL, and
 * libcurl's URL parser ran for each of them.  The passwords are wiped when
 * another URL replaces it.
 */
static char *last_url = NULL;
static NotifyUrl last_parts;

/*
 * http_parse_url_cached
 *		http_parse_url() of url, through the one-URL cache above: returns
 *		the parts (owned by the cache, valid until the next call), or NULL
 *		with *error palloc'd in CurrentMemoryContext (nothing is cached
 *		then).
 */
static const NotifyUrl *
http_parse_url_cached(const char *url, char **error)
{
	NotifyUrl	u;
	MemoryContext old;

	if (last_url != NULL && strcmp(last_url, url) == 0)
		return &last_parts;
	if (!http_parse_url(url, &u, error))
		return NULL;
	if (last_url != NULL)
	{
		notify_url_free(&last_parts);
		pfree(last_url);
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	memset(&last_parts, 0, sizeof(last_parts));
	last_parts.host = pstrdup(u.host);
	if (u.password)
		last_parts.password = pstrdup(u.password);
	if (u.password_decoded)
		last_parts.password_decoded = pstrdup(u.password_decoded);
	last_url = pstrdup(url);
	MemoryContextSwitchTo(old);
	notify_url_free(&u);
	return &last_parts;
}

/*
 * http_start
 *		Start delivering body to the URL of an <http> action.
 *
 req->arg comes back in the TransportResult.  req->body (req->len bytes)
 * is copied, so the caller may free it at once; the action's content type,
 * req->event_id and req->notification_id become headers (NULL leaves the
 * header out).  Returns true when the transfer was added (its result
 * arrives through http_next_result), false with *refusal filled (error
 * palloc'd in CurrentMemoryContext) when it was refused before any
 * transfer: invalid URL, scheme other than http(s), host refused by
 * notify_ext.denied_hosts/allowed_hosts, or a signing secret that is gone
 * or cannot be used.  ERRORs only when out of memory or
 * on libcurl misuse (bugs); nothing is leaked then.
 */
static bool
http_start(const TransportRequest *req, TransportResult *refusal)
{
	const NotifyAction *action = req->action;
	const char *body = req->body;
	size_t		len = req->len;
	char	   *error;
	const NotifyUrl *u;
	HttpTransfer *volatile t;
	char	   *volatile signature = NULL;
	volatile int64 timestamp = 0;

	if (action == NULL || action->kind != NA_HTTP || action->url == NULL)
		elog(ERROR, "HTTP transport called for an action that is not HTTP");
	if (body == NULL && len > 0)
		elog(ERROR, "HTTP transport called without a body");

	http_multi_prepare();

	u = http_parse_url_cached(action->url, &error);
	if (u == NULL)
	{
		http_refuse(req, error, refusal);
		return false;
	}

	error = http_host_refusal(u->host);
	if (error != NULL)
	{
		http_refuse(req, error, refusal);
		return false;
	}

	/* Standard Webhooks: signed now, as the request is about to be sent */
	if (action->signing_alias != NULL)
	{
		if (action->signing_secret == NULL)
			error = psprintf("signing secret \"%s\" does not exist or may not be used by the notification's owner",
							 action->signing_alias);
		else if (req->event_id == NULL)
			error = pstrdup("cannot sign a request without an event id");
		else
		{
			timestamp = (int64) time(NULL);
			signature = webhook_signature(action->signing_secret,
										  action->signing_previous,
										  req->event_id, timestamp,
										  body, len, &error);
		}
		if (signature == NULL)
		{
			http_refuse(req, error, refusal);
			return false;
		}
	}

	t = http_get_transfer(HTTP_FAMILY_WEBHOOK);
	PG_TRY();
	{
		t->arg = req->arg;
		t->host = MemoryContextStrdup(HttpContext, u->host);
		if (u->password)
			t->secret = MemoryContextStrdup(HttpContext, u->password);
		if (u->password_decoded)
			t->secret_decoded = MemoryContextStrdup(HttpContext,
													u->password_decoded);
		http_setup(t, action->url, action->put, action->timeout_s, body, len,
				   /* S3 event messages are JSON to the receiver */
				   NCT_IS_S3(action->content_type) ? "application/json" :
				   content_type_name(action->content_type), req->event_id,
				   req->notification_id);
		/* a synchronous attempt: its own limit, not the action's */
		if (req->timeout_ms > 0)
			HTTP_SETOPT(t->easy, CURLOPT_TIMEOUT_MS, (long) req->timeout_ms);
		if (signature != NULL)
		{
			char		ts[32];

			snprintf(ts, sizeof(ts), INT64_FORMAT, (int64) timestamp);
			http_add_header(t, "webhook-id", req->event_id);
			http_add_header(t, "webhook-timestamp", ts);
			http_add_header(t, "webhook-signature", signature);
		}
		http_multi_add(t);
	}
	PG_CATCH();
	{
		http_release(t);
		PG_RE_THROW();
	}
	PG_END_TRY();

	if (signature != NULL)
		pfree(signature);
	return true;
}


/*
 * http_url_refusal
 *		The refusal of url's host by the rules that need no name lookup
 *		(denied_hosts, allowed_hosts, the addresses never connected to)
 *		under the current settings, or NULL when the host passes them or
 *		only the connect-time check can decide (a name).  NULL as well for
 *		a URL http_start() could not read: the definition layer reports
 *		those itself.  The definition layer's definition_url_check_hook,
 *		set by _PG_init: create and update refuse what delivery would.
 *		The message (palloc'd) names the host, never the URL or its
 *		password.  ERRORs only when out of memory.
 */
char *
http_url_refusal(const char *url)
{
	NotifyUrl	u;
	char	   *error;

	http_create_contexts();
	(void) http_host_lists_load(notify_ext_allowed_hosts,
								notify_ext_denied_hosts, HttpHostsContext);
	if (!http_parse_url(url, &u, &error))
	{
		pfree(error);
		return NULL;
	}
	error = http_host_refusal(u.host);
	notify_url_free(&u);
	return error;
}

/*
 * http_host_refusal
 *		The SSRF guard's first check on a (normalized) host before any
 *		transfer: NULL when it may be tried, else the cleaned message of the
 *		refusal, palloc'd in CurrentMemoryContext.
 */
char *
http_host_refusal(const char *host)
{
	HostVerdict verdict = http_check_host(host);
	StringInfoData buf;
	char	   *raw;

	if (verdict == HOST_PERMITTED || verdict == HOST_UNDECIDED)
		return NULL;
	raw = http_refusal_message(host, NULL, verdict);
	initStringInfo(&buf);
	http_append_clean(&buf, raw, strlen(raw));
	pfree(raw);
	return buf.data;
}

/*
 * http_setup
 *		Fill a transfer's state and set every option of its easy handle for
 *		a POST (or PUT) of body to url, with the headers of http_start (a
 *		NULL content type, event id or notification id leaves its header
 *		out) and the connect-time SSRF check on t->host, which the caller
 *		has set.  The caller may add headers and options afterwards.
 *
 * ERRORs when out of memory or when libcurl refuses an option (a bug); the
 * caller then releases the transfer, which frees what was set up.
 */
void
http_setup(HttpTransfer *t, const char *url, bool put, int timeout_s,
		   const char *body, size_t len, const char *content_type,
		   const char *event_id, const char *notification_id)
{
	CURL	   *e = t->easy;

	t->code = CURLE_OK;
	t->status = 0;
	t->duration_ms = 0;
	t->retry_after_ms = -1;
	t->refused = false;
	t->verdict = HOST_PERMITTED;
	t->refused_addr[0] = '\0';
	t->resp_len = 0;
	t->resp_read = 0;
	t->resp_cut = false;
	t->errbuf[0] = '\0';
	t->start = GetCurrentTimestamp();

	/* the body must outlive the caller's copy: it is sent later */
	t->body = MemoryContextAllocExtended(HttpContext, len + 1, MCXT_ALLOC_HUGE);
	if (len > 0)
		memcpy(t->body, body, len);
	t->body[len] = '\0';

	if (content_type != NULL)
		http_add_header(t, "Content-Type", content_type);
	if (event_id != NULL)
		http_add_header(t, "X-Notify-Event-Id", event_id);
	if (notification_id != NULL)
		http_add_header(t, "X-Notify-Notification-Id", notification_id);
	http_add_header(t, "Expect", NULL);

	HTTP_SETOPT(e, CURLOPT_PRIVATE, (void *) t);
	if (http_url_handle(t, url))
		HTTP_SETOPT(e, CURLOPT_CURLU, t->url_handle);
	else
		HTTP_SETOPT(e, CURLOPT_URL, url);
	HTTP_SETOPT(e, CURLOPT_NOSIGNAL, 1L);
	HTTP_SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	HTTP_SETOPT(e, CURLOPT_FOLLOWLOCATION, 0L);
	HTTP_SETOPT(e, CURLOPT_PROXY, "");
	HTTP_SETOPT(e, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
	HTTP_SETOPT(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) len);
	HTTP_SETOPT(e, CURLOPT_POSTFIELDS, t->body);
	if (put)
		HTTP_SETOPT(e, CURLOPT_CUSTOMREQUEST, "PUT");
	HTTP_SETOPT(e, CURLOPT_TIMEOUT, (long) Max(timeout_s, 0));
	HTTP_SETOPT(e, CURLOPT_CONNECTTIMEOUT, (long) Max(notify_ext_connect_timeout, 1));
	HTTP_SETOPT(e, CURLOPT_USERAGENT, HTTP_USER_AGENT);
	HTTP_SETOPT(e, CURLOPT_HTTPHEADER, t->headers);
	HTTP_SETOPT(e, CURLOPT_WRITEFUNCTION, http_write_body);
	HTTP_SETOPT(e, CURLOPT_WRITEDATA, (void *) t);
	HTTP_SETOPT(e, CURLOPT_ERRORBUFFER, t->errbuf);
	HTTP_SETOPT(e, CURLOPT_OPENSOCKETFUNCTION, http_open_socket);
	HTTP_SETOPT(e, CURLOPT_OPENSOCKETDATA, (void *) t);
	if (http_multi_fresh())
		HTTP_SETOPT(e, CURLOPT_FRESH_CONNECT, 1L);
}

/*
 * http_url_handle
 *		Make t->url_handle the parsed form of url, for CURLOPT_CURLU: libcurl
 *		then copies it for each transfer instead of parsing the URL string
 *		again (the events of a backlog mostly go to one URL, and a pooled
 *		transfer keeps its handle).  Parsed with the flags libcurl uses for
 *		CURLOPT_URL, so the transfer sees the same URL.  Returns false, with
 *		no handle kept, when libcurl cannot parse url or is out of memory:
 *		the caller then sets CURLOPT_URL and libcurl reports the problem as
 *		it always did.  ERRORs only when out of memory (palloc).
 */
static bool
http_url_handle(HttpTransfer *t, const char *url)
{
	CURLU	   *h;

	if (t->url_handle != NULL && strcmp(t->url_parsed, url) == 0)
		return true;
	http_forget_url(t);
	h = curl_url();
	if (h == NULL)
		return false;
	if (curl_url_set(h, CURLUPART_URL, url,
					 CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
	{
		curl_url_cleanup(h);
		return false;
	}
	PG_TRY();
	{
		t->url_parsed = MemoryContextStrdup(HttpContext, url);
	}
	PG_CATCH();
	{
		curl_url_cleanup(h);
		PG_RE_THROW();
	}
	PG_END_TRY();
	t->url_handle = h;
	return true;
}

/*
 * http_forget_url
 *		Free a transfer's parsed URL (the libcurl handle and the string,
 *		wiped first: it may hold a password).  The easy handle must no longer
 *		point at it (reset, or being set up again).
 */
void
http_forget_url(HttpTransfer *t)
{
	if (t->url_handle != NULL)
		curl_url_cleanup(t->url_handle);
	t->url_handle = NULL;
	if (t->url_parsed != NULL)
	{
		explicit_bzero(t->url_parsed, strlen(t->url_parsed));
		pfree(t->url_parsed);
	}
	t->url_parsed = NULL;
}

/*
 * http_add_header
 *		Append "name: value" to the transfer's header list; a NULL value
 *		gives "name:", which makes libcurl leave the header out.
 *
 * Control characters in value become spaces (no header injection).
 * ERRORs when out of memory; the list built so far stays owned by t.
 */
void
http_add_header(HttpTransfer *t, const char *name, const char *value)
{
	size_t		nlen = strlen(name);
	size_t		vlen = value != NULL ? strlen(value) : 0;
	char		small[256];
	char	   *line;
	char	   *p;
	struct curl_slist *list;
	size_t		i;

	/* "name:" or "name: value", built in one piece */
	line = (nlen + vlen + 3 <= sizeof(small)) ? small : palloc(nlen + vlen + 3);
	memcpy(line, name, nlen);
	p = line + nlen;
	*p++ = ':';
	if (value != NULL)
	{
		*p++ = ' ';
		for (i = 0; i < vlen; i++)
		{
			unsigned char c = (unsigned char) value[i];

			*p++ = (c < 0x20 || c == 0x7F) ? ' ' : (char) c;
		}
	}
	*p = '\0';

	list = curl_slist_append(t->headers, line);
	if (line != small)
		pfree(line);
	if (list == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not build the headers of an HTTP request.")));
	t->headers = list;
}


/* ---------------------------------------------------------------------
 * Results of finished transfers
 * ---------------------------------------------------------------------
 */

/*
 * http_retry_after
 *		Milliseconds asked for by the last response's Retry-After header
 *		(delay in seconds or an HTTP date), or -1 when absent or unreadable.
 *		A date in the past gives 0; huge values are capped at INT_MAX.
 */
int
http_retry_after(CURL *easy)
{
	struct curl_header *h;
	const char *p;
	int64		secs = 0;
	bool		digits = false;

	if (curl_easy_header(easy, "Retry-After", 0, CURLH_HEADER, -1, &h) != CURLHE_OK ||
		h->value == NULL)
		return -1;

	p = h->value;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p >= '0' && *p <= '9')
	{
		digits = true;
		if (secs < (int64) INT_MAX)
			secs = secs * 10 + (*p - '0');
		p++;
	}
	if (digits)
	{
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '\0')
			return -1;
	}
	else
	{
		time_t		when = curl_getdate(h->value, NULL);
		time_t		now = time(NULL);

		if (when == (time_t) -1)
			return -1;
		secs = (when > now) ? (int64) (when - now) : 0;
	}
	return (int) Min(secs * 1000, (int64) INT_MAX);
}

/*
 * http_next_result
 *		Pop the oldest finished transfer into *res.
 *
 * Returns false when none is waiting.  The outcome: delivered for a
 * complete 2xx answer; refused when the connect-time SSRF check refused
 * every address; no answer when the transfer did not complete (whatever
 * the status seen) or no status arrived; else answered, with the status.
 * res->error is palloc'd in CurrentMemoryContext.  The transfer's libcurl
 * objects go back to the pool.
 * ERRORs only when out of memory; the result then stays queued.
 */
static bool
http_next_result(TransportResult *res)
{
	HttpTransfer *t;
	char	   *error;

	t = http_done_head(HTTP_FAMILY_WEBHOOK);
	if (t == NULL)
		return false;

	error = http_result_error(t);

	res->arg = t->arg;
	res->status = (int) t->status;
	if (t->code == CURLE_OK && t->status >= 200 && t->status <= 299)
		res->outcome = TRANSPORT_DELIVERED;
	else if (t->refused && t->code != CURLE_OK)
		res->outcome = TRANSPORT_REFUSED;
	else if (t->code != CURLE_OK || t->status == 0)
		res->outcome = TRANSPORT_NO_ANSWER;
	else
		res->outcome = TRANSPORT_ANSWERED;
	if (res->outcome != TRANSPORT_DELIVERED && error == NULL)
		error = psprintf("HTTP status %ld", t->status);
	res->error = error;
	res->answer = NULL;
	if (res->outcome == TRANSPORT_DELIVERED)
		res->answer = pnstrdup(t->resp, t->resp_len);
	res->duration_ms = t->duration_ms;
	res->retry_after_ms = t->retry_after_ms;

	http_done_finish(t);
	return true;
}

/*
 * http_result_error
 *		The error message of a finished transfer, or NULL for a 2xx answer.
 *
 * In order: a connection refused by the host lists, libcurl's error text
 * (its error buffer, or the generic text of the code), "HTTP status N"
 * followed by the start of the response body.  Cleaned (no control
 * characters, valid in the database encoding) and with the URL password
 * masked.  palloc'd in CurrentMemoryContext.
 */
char *
http_result_error(HttpTransfer *t)
{
	StringInfoData buf;
	char	   *msg;

	initStringInfo(&buf);
	if (t->code != CURLE_OK && t->refused)
	{
		char	   *raw = http_refusal_message(t->host, t->refused_addr,
											   t->verdict);

		http_append_clean(&buf, raw, strlen(raw));
		pfree(raw);
	}
	else if (t->code != CURLE_OK)
	{
		const char *text = t->errbuf[0] != '\0' ? t->errbuf :
			curl_easy_strerror(t->code);

		http_append_clean(&buf, text, strnlen(text, CURL_ERROR_SIZE));
	}
	else if (t->status < 200 || t->status > 299)
	{
		appendStringInfo(&buf, "HTTP status %ld", t->status);
		if (t->resp_len > 0)
		{
			appendStringInfoString(&buf, ": ");
			http_append_clean(&buf, t->resp, t->resp_len);
		}
	}
	else
	{
		pfree(buf.data);
		return NULL;
	}

	/* no trailing blanks (response bodies often end in a newline) */
	while (buf.len > 0 && buf.data[buf.len - 1] == ' ')
		buf.data[--buf.len] = '\0';

	msg = http_mask(buf.data, t->secret);
	msg = http_mask(msg, t->secret_decoded);
	return msg;
}

/*
 * http_append_clean
 *		Append len bytes of s as safe message text: control characters
 *		become spaces; a non-ASCII character is kept when the database
 *		encoding is UTF-8 and it is valid UTF-8, else it becomes '?'.
 */
void
http_append_clean(StringInfo buf, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *) s;
	bool		utf8 = (GetDatabaseEncoding() == PG_UTF8);
	size_t		i = 0;

	while (i < len)
	{
		if (u[i] < 0x20 || u[i] == 0x7F)
		{
			appendStringInfoChar(buf, ' ');
			i++;
		}
		else if (u[i] < 0x80)
		{
			appendStringInfoChar(buf, (char) u[i]);
			i++;
		}
		else
		{
			int			l = pg_utf_mblen(u + i);

			if (utf8 && l >= 2 && (size_t) l <= len - i &&
				pg_utf8_islegal(u + i, l))
			{
				appendBinaryStringInfo(buf, s + i, l);
				i += l;
			}
			else
			{
				appendStringInfoChar(buf, '?');
				i++;
			}
		}
	}
}

/*
 * http_mask
 *		Replace every occurrence of secret in msg by "***".
 *
 * Returns msg itself when secret is NULL, empty or absent; otherwise a new
 * string in CurrentMemoryContext (msg is freed).
 */
char *
http_mask(char *msg, const char *secret)
{
	StringInfoData buf;
	const char *p;
	const char *hit;
	size_t		n;

	if (secret == NULL || secret[0] == '\0' || strstr(msg, secret) == NULL)
		return msg;

	n = strlen(secret);
	initStringInfo(&buf);
	p = msg;
	while ((hit = strstr(p, secret)) != NULL)
	{
		appendBinaryStringInfo(&buf, p, (int) (hit - p));
		appendStringInfoString(&buf, "***");
		p = hit + n;
	}
	appendStringInfoString(&buf, p);
	pfree(msg);
	return buf.data;
}

/* ---------------------------------------------------------------------
 * libcurl callbacks: no ereport, no palloc
 * ---------------------------------------------------------------------
 */

/*
 * http_write_body
 *		CURLOPT_WRITEFUNCTION: keep the first HTTP_RESPONSE_KEEP bytes of
 *		the response body (all of it in resp_all when the transfer has that
 *		buffer), discard the rest, and stop the transfer once
 *		more than HTTP_RESPONSE_MAX bytes came (returning less than given
 *		makes libcurl end it with CURLE_WRITE_ERROR; http_collect knows
 *		from resp_cut that this was deliberate).
 */
static size_t
http_write_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	HttpTransfer *t = (HttpTransfer *) userdata;
	size_t		n = size * nmemb;

	if (n > HTTP_RESPONSE_MAX - t->resp_read)
	{
		t->resp_cut = true;
		return 0;
	}
	if (t->resp_all != NULL)
		memcpy(t->resp_all + t->resp_read, ptr, n);
	t->resp_read += n;

	if (t->resp_len < HTTP_RESPONSE_KEEP)
	{
		size_t		keep = Min(n, HTTP_RESPONSE_KEEP - t->resp_len);

		memcpy(t->resp + t->resp_len, ptr, keep);
		t->resp_len += keep;
	}
	return n;
}

/*
 * http_open_socket
 *		CURLOPT_OPENSOCKETFUNCTION: the connect-time SSRF check.
 *
 * Refuses (CURL_SOCKET_BAD, which libcurl reports as a failed connection)
 * any address the host lists do not permit, recording why in the transfer;
 * otherwise opens the socket as libcurl would.
 */
static curl_socket_t
http_open_socket(void *clientp, curlsocktype purpose,
				 struct curl_sockaddr *address)
{
	HttpTransfer *t = (HttpTransfer *) clientp;

	return http_socket_check(t->host, address, &t->refused, &t->verdict,
							 t->refused_addr);
}


/* ---------------------------------------------------------------------
 * The transport
 * ---------------------------------------------------------------------
 */

/*
 * http_refuse
 *		Fill *refusal for a request refused before any transfer; error is
 *		the message (palloc'd), kept by the result.
 */
static void
http_refuse(const TransportRequest *req, char *error, TransportResult *refusal)
{
	refusal->arg = req->arg;
	refusal->outcome = TRANSPORT_REFUSED;
	refusal->status = 0;
	refusal->error = error;
	refusal->duration_ms = 0;
	refusal->retry_after_ms = -1;
}

/* <http> actions: webhooks, asynchronous over the multi handle */
const TransportOps http_transport = {
	.name = "http",
	.batch_max = 1,
	.init = http_init,
	.configure = http_configure,
	.start = http_start,
	.inflight = http_inflight,
	.drive = http_poll,
	.next_result = http_next_result,
	.abort_all = http_abort_all
};
