/*-------------------------------------------------------------------------
 *
 * aws_http.c
 *	  Signed requests of the S3 ingest poller to SQS and S3, run together
 *	  on one libcurl multi handle, and the errors AWS answers with.
 *
 * The poller hands a set of requests to ingest_http_run(), which runs them
 * concurrently (the receives of several queues wait side by side) and
 * returns when every one has finished.  Requests are signed by libcurl
 * (CURLOPT_AWS_SIGV4 "aws:amz:<region>:<service>", the access key and the
 * secret key as user name and password); nothing here computes a
 * signature.  S3 requests carry x-amz-content-sha256 (the SHA-256 of the
 * empty body: every S3 request here is a GET), which S3 and s3rver
 * require and libcurl 7.88 does not add.
 *
 * SSRF guard: every request passes the host rules of every outgoing
 * request (notify_ext.allowed_hosts, notify_ext.denied_hosts, the
 * addresses never connected to) through transport/http_guard.c: a host
 * they refuse gets no transfer, and every address libcurl connects to is
 * checked again at connect time.  Either refusal is the request's error.
 * AWS's error answers are read by transport/aws.c, as the SQS transport
 * reads them.
 *
 * Interrupts: the transfers are driven in slices of at most
 * INGEST_POLL_SLICE_MS with CHECK_FOR_INTERRUPTS() between them, so that
 * SIGTERM ends even a 20-second long poll at once.
 *
 * Ownership: the multi handle lives for the process (its connection cache
 * keeps connections alive between passes) and is freed by an on_proc_exit
 * callback, which also frees the easy handles and header lists of
 * requests still running when the process exits (FATAL does not unwind).
 * Otherwise a request's easy handle and header list live from
 * ingest_http_run's start to its end, on every path (PG_FINALLY).  The
 * response body is palloc'd in the caller's context.  The secret key is
 * never put into an error text.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/aws_http.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/pmsignal.h"

#include "guc.h"
#include "ingest/ingest_internal.h"
#include "transport/aws.h"

#define INGEST_POLL_SLICE_MS	250
#define INGEST_BODY_MAX			(64 * 1024 * 1024)	/* longest answer kept */
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static CURLM *ingest_multi = NULL;
static IngestHttp **active = NULL;	/* requests of the running call */
static int	nactive = 0;

/*
 * ingest_http_release
 *		Free the easy handle and header list of r (both may be NULL).
 */
static void
ingest_http_release(IngestHttp *r)
{
	if (r->easy != NULL)
	{
		if (ingest_multi != NULL)
			(void) curl_multi_remove_handle(ingest_multi, r->easy);
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
	}
	if (r->headers != NULL)
	{
		curl_slist_free_all(r->headers);
		r->headers = NULL;
	}
}

/*
 * ingest_http_on_exit
 *		on_proc_exit callback: free the libcurl objects of running
 *		requests, then the multi handle.
 */
static void
ingest_http_on_exit(int code, Datum arg)
{
	int			i;

	for (i = 0; i < nactive; i++)
		ingest_http_release(active[i]);
	nactive = 0;
	if (ingest_multi != NULL)
		curl_multi_cleanup(ingest_multi);
	ingest_multi = NULL;
}

/*
 * ingest_http_init
 *		Create the process's multi handle (once).  ERRORs when libcurl
 *		cannot be initialized.
 */
static void
ingest_http_init(void)
{
	if (ingest_multi != NULL)
		return;
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		elog(ERROR, "could not initialize libcurl");
	ingest_multi = curl_multi_init();
	if (ingest_multi == NULL)
		elog(ERROR, "could not create a libcurl multi handle");
	on_proc_exit(ingest_http_on_exit, (Datum) 0);
}

/*
 * ingest_http_write
 *		libcurl write callback: append to the request's response, refusing
 *		(ending the transfer) past INGEST_BODY_MAX.
 */
static size_t
ingest_http_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	IngestHttp *r = userdata;
	size_t		n = size * nmemb;

	if ((size_t) r->response.len + n > INGEST_BODY_MAX)
		return 0;
	appendBinaryStringInfo(&r->response, data, (int) n);
	return n;
}

/*
 * ingest_http_header
 *		libcurl header callback: keep x-amzn-query-error (the SQS error
 *		code of JSON-protocol answers).
 */
static size_t
ingest_http_header(char *data, size_t size, size_t nmemb, void *userdata)
{
	IngestHttp *r = userdata;
	size_t		n = size * nmemb;
	const char *name = "x-amzn-query-error:";
	size_t		len = strlen(name);

	if (n > len && pg_strncasecmp(data, name, len) == 0)
	{
		const char *v = data + len;
		size_t		vlen = n - len;

		while (vlen > 0 && (*v == ' ' || *v == '\t'))
			v++, vlen--;
		while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
			vlen--;
		r->query_error = pnstrdup(v, vlen);
	}
	return n;
}

/*
 * ingest_http_prepare
 *		Make r's easy handle and header list and add it to the multi
 *		handle.  ERRORs when libcurl refuses (what was made is then freed
 *		by the caller's ingest_http_release).
 */
static void
ingest_http_prepare(IngestHttp *r)
{
	CURL	   *easy;

	initStringInfo(&r->response);
	r->status = 0;
	r->error = NULL;
	r->query_error = NULL;
	r->errbuf[0] = '\0';

	r->easy = easy = curl_easy_init();
	if (easy == NULL)
		elog(ERROR, "could not create a libcurl handle");
	r->error = http_guard_setup(&r->guard, easy, r->url);
	if (r->error != NULL)
	{
		/* refused before sending: no transfer */
		r->done = true;
		return;
	}
	NOTIFY_CURL_SETOPT(easy, CURLOPT_URL, r->url);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	NOTIFY_CURL_SETOPT(easy, CURLOPT_NOSIGNAL, 1L);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_ERRORBUFFER, r->errbuf);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_WRITEFUNCTION, ingest_http_write);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_WRITEDATA, r);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_HEADERFUNCTION, ingest_http_header);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_HEADERDATA, r);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_CONNECTTIMEOUT, (long) notify_ext_connect_timeout);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_TIMEOUT, r->timeout_s);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_AWS_SIGV4, r->sigv4);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_USERNAME, r->access_key);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_PASSWORD, r->secret);

	if (r->body != NULL)
	{
		r->headers = curl_slist_append(r->headers,
									   "Content-Type: application/x-amz-json-1.0");
		if (r->target != NULL)
		{
			char	   *h = psprintf("X-Amz-Target: %s", r->target);

			r->headers = curl_slist_append(r->headers, h);
			pfree(h);
		}
		NOTIFY_CURL_SETOPT(easy, CURLOPT_POSTFIELDS, r->body);
		NOTIFY_CURL_SETOPT(easy, CURLOPT_POSTFIELDSIZE, (long) strlen(r->body));
	}
	else
		r->headers = curl_slist_append(r->headers,
									   "x-amz-content-sha256: " EMPTY_SHA256);
	if (r->headers == NULL)
		elog(ERROR, "out of memory for a libcurl header list");
	NOTIFY_CURL_SETOPT(easy, CURLOPT_HTTPHEADER, r->headers);
	NOTIFY_CURL_SETOPT(easy, CURLOPT_PRIVATE, r);
	if (curl_multi_add_handle(ingest_multi, easy) != CURLM_OK)
		elog(ERROR, "could not add a transfer to the libcurl multi handle");
}

/*
 * ingest_http_aws_error
 *		The text of a non-2xx answer of r: AWS's message, else its code
 *		(transport/aws.c reads both from any shape of answer), else the
 *		HTTP status.  palloc'd.
 */
static char *
ingest_http_aws_error(const IngestHttp *r)
{
	char	   *code;
	char	   *message;

	aws_error_of(r->response.data, r->query_error, &code, &message);
	if (message != NULL)
		return message;
	if (code != NULL)
		return code;
	return psprintf("HTTP status %ld", r->status);
}

/*
 * ingest_http_finish
 *		Read the outcome of r's finished transfer (code): status, and error
 *		when the transfer failed or the answer is not 2xx (with the secret
 *		masked out).
 */
static void
ingest_http_finish(IngestHttp *r, CURLcode code)
{
	char	   *error = NULL;

	(void) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
	if (code != CURLE_OK && r->guard.refused)
		error = http_guard_error(&r->guard);
	else if (code != CURLE_OK)
		error = psprintf("%s", r->errbuf[0] ? r->errbuf : curl_easy_strerror(code));
	else if (r->status < 200 || r->status > 299)
		error = ingest_http_aws_error(r);
	if (error != NULL)
		r->error = aws_clean(error, r->secret);
	r->done = true;
}

/*
 * ingest_http_run
 *		Run the n requests concurrently until every one has finished, then
 *		free their libcurl objects.  On return each has status (0 without
 *		an answer), response (the body, NUL-terminated) and error (NULL
 *		when a 2xx answer came).  Serves interrupts while waiting (SIGTERM
 *		ends the process); exits when the postmaster is gone.  ERRORs only
 *		when libcurl cannot be set up.  No transaction may be open.
 */
void
ingest_http_run(IngestHttp **reqs, int n)
{
	int			i;

	if (n == 0)
		return;
	ingest_http_init();
	active = reqs;
	nactive = n;
	PG_TRY();
	{
		int			running = 0;

		for (i = 0; i < n; i++)
		{
			reqs[i]->easy = NULL;
			reqs[i]->headers = NULL;
			reqs[i]->done = false;
		}
		for (i = 0; i < n; i++)
			ingest_http_prepare(reqs[i]);
		do
		{
			CURLMsg    *msg;
			int			left;

			CHECK_FOR_INTERRUPTS();
			if (!PostmasterIsAlive())
				proc_exit(1);
			if (curl_multi_perform(ingest_multi, &running) != CURLM_OK)
				elog(ERROR, "libcurl multi handle failed");
			while ((msg = curl_multi_info_read(ingest_multi, &left)) != NULL)
			{
				IngestHttp *r = NULL;

				if (msg->msg != CURLMSG_DONE)
					continue;
				(void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &r);
				if (r != NULL)
					ingest_http_finish(r, msg->data.result);
			}
			if (running > 0)
				(void) curl_multi_poll(ingest_multi, NULL, 0,
									   INGEST_POLL_SLICE_MS, NULL);
		} while (running > 0);
		/* a transfer that libcurl never reported is no answer */
		for (i = 0; i < n; i++)
			if (!reqs[i]->done)
				reqs[i]->error = pstrdup("the transfer did not finish");
	}
	PG_FINALLY();
	{
		for (i = 0; i < n; i++)
			ingest_http_release(reqs[i]);
		active = NULL;
		nactive = 0;
	}
	PG_END_TRY();
}
