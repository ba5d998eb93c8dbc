/*-------------------------------------------------------------------------
 *
 * curl_multi.c
 *	  The HTTP transport's libcurl multi handle: its lifetime, its
 *	  connection limits, driving transfers and collecting finished ones.
 *
 * One delivery worker owns one multi handle.  http.c builds a transfer
 * for one request and hands it to http_multi_add(); http_poll() drives
 * every transfer for a bounded time and moves finished ones to the done
 * list, from which http.c pops results (http_done_head, http_done_finish).
 * Keep-alive comes from the multi's connection cache (at most
 * notify_ext.max_host_connections connections per host; transfers beyond
 * that wait inside libcurl); easy handles are recycled through a free list.
 *
 * The host lists (SSRF guard, transport/hostcheck.c) are parsed again when
 * http_configure() or http_multi_prepare() sees a new value, never per
 * transfer.  When the lists change while transfers are running,
 * connections already in the cache could bypass the connect-time check:
 * new transfers then ask for fresh connections (http_multi_fresh) until
 * the multi handle can be replaced (as soon as no transfer is running).
 *
 * Ownership (libcurl objects are malloc'd by libcurl and owned here): the
 * multi handle lives for the process and is freed by an on_proc_exit
 * callback, which also frees every easy handle and header list.  A
 * transfer's easy handle, header list and body copy live from
 * http_get_transfer() until its result is popped, then the handle is
 * reset and pooled; its parsed URL (CURLOPT_CURLU, http.c) stays with the
 * pooled transfer until another URL replaces it or the transfer is freed;
 * http_abort_all() frees every transfer and pooled handle.  Transfer
 * bookkeeping is palloc'd in HttpContext, a child of TopMemoryContext.  No transaction is open while this module runs and it
 * uses neither SPI nor the catalog.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/curl_multi.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "storage/ipc.h"
#include "utils/memutils.h"

#include "guc.h"
#include "transport/http_internal.h"

#define HTTP_POLL_SLICE_MS		250 /* longest wait between interrupt checks */

/*---- Local variables ----*/

MemoryContext HttpContext = NULL;
MemoryContext HttpHostsContext = NULL;

static bool http_initialized = false;
static bool http_curl_global = false;	/* curl_global_init succeeded */
static CURLM *http_multi = NULL;

static dlist_head http_active = DLIST_STATIC_INIT(http_active);
static dlist_head http_done = DLIST_STATIC_INIT(http_done);
static dlist_head http_idle = DLIST_STATIC_INIT(http_idle);
static int	http_nactive = 0;
static int	http_ndone = 0;
static int	http_family_count[HTTP_FAMILY_COUNT];	/* running + done */

static bool http_fresh_pending = false;

/*---- Local function declarations ----*/

static void http_on_exit(int code, Datum arg);
static void http_multi_options(void);
static void http_multi_setopt(CURLMoption opt, long val, const char *name);
static void http_renew_multi(void);
static void http_load_host_lists(void);
static void http_clear(HttpTransfer *t);
static void http_destroy(HttpTransfer *t, bool attached);
static void http_destroy_all(void);
static void http_perform(void);
static void http_collect(void);


/* ---------------------------------------------------------------------
 * Process lifetime
 * ---------------------------------------------------------------------
 */

/*
 * http_init
 *		Set up libcurl and the multi handle for this process.
 *
 * Call once per worker process, before anything else here; later calls do
 * nothing.  Registers an on_proc_exit callback that frees every libcurl
 * object.  ERRORs when libcurl cannot be initialized.
 */
void
http_init(void)
{
	CURLcode	rc;

	if (http_initialized)
		return;

	http_create_contexts();

	if (!http_curl_global)
	{
		rc = curl_global_init(CURL_GLOBAL_ALL);
		if (rc != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not initialize libcurl: %s",
							curl_easy_strerror(rc))));
		http_curl_global = true;
		on_proc_exit(http_on_exit, (Datum) 0);
	}

	http_renew_multi();
	http_initialized = true;

	http_configure();
}

/*
 * http_create_contexts
 *		Create the module's memory contexts, once.
 */
void
http_create_contexts(void)
{
	if (HttpContext != NULL)
		return;
	HttpContext = AllocSetContextCreate(TopMemoryContext,
										"notify_ext HTTP",
										ALLOCSET_DEFAULT_SIZES);
	HttpHostsContext = AllocSetContextCreate(HttpContext,
											 "notify_ext HTTP hosts",
											 ALLOCSET_SMALL_SIZES);
}

/*
 * http_on_exit
 *		on_proc_exit callback: free every libcurl object.
 *
 * Runs with no libcurl call in progress (the callbacks never ereport), so
 * every handle is in a consistent state.
 */
static void
http_on_exit(int code, Datum arg)
{
	http_destroy_all();

	if (http_multi != NULL)
		curl_multi_cleanup(http_multi);
	http_multi = NULL;
	http_initialized = false;

	if (http_curl_global)
		curl_global_cleanup();
	http_curl_global = false;
}

/*
 * http_configure
 *		Apply the current settings: connection limits and host lists.
 *
 * Call after every configuration reload (and http_init calls it).  The host
 * lists are parsed again only when their text changed; invalid entries are
 * reported with WARNING.  ERRORs only on libcurl failures (bugs).
 */
void
http_configure(void)
{
	http_load_host_lists();

	if (http_multi == NULL)
		return;
	if (http_fresh_pending && http_nactive == 0)
		http_renew_multi();
	else
		http_multi_options();
}

/*
 * http_multi_options
 *		Set the connection limits of the multi handle from the settings.
 *
 * The connection cache holds four connections per allowed host connection,
 * and at least one per transfer that may be in flight.
 */
static void
http_multi_options(void)
{
	long		per_host = Max(notify_ext_max_host_connections, 1);
	long		cache = Max(4 * per_host, (long) notify_ext_max_inflight);

	http_multi_setopt(CURLMOPT_MAX_HOST_CONNECTIONS, per_host,
					  "CURLMOPT_MAX_HOST_CONNECTIONS");
	http_multi_setopt(CURLMOPT_MAXCONNECTS, cache, "CURLMOPT_MAXCONNECTS");
}

/*
 * http_multi_setopt
 *		Set a long option of the multi handle; ERRORs (naming the option)
 *		when libcurl refuses it, which is a bug.
 */
static void
http_multi_setopt(CURLMoption opt, long val, const char *name)
{
	CURLMcode	rc = curl_multi_setopt(http_multi, opt, val);

	if (rc != CURLM_OK)
		elog(ERROR, "could not set libcurl multi option %s: %s",
			 name, curl_multi_strerror(rc));
}

/*
 * http_renew_multi
 *		Replace the multi handle, dropping its connection cache (or create
 *		the first one, for http_init).
 *
 * Only called with no transfer attached.  ERRORs when out of memory.
 */
static void
http_renew_multi(void)
{
	Assert(http_nactive == 0);

	if (http_multi != NULL)
		curl_multi_cleanup(http_multi);
	http_multi = curl_multi_init();
	if (http_multi == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not create a libcurl multi handle.")));
	http_fresh_pending = false;
	http_multi_options();
}


/* ---------------------------------------------------------------------
 * Host lists (SSRF guard)
 * ---------------------------------------------------------------------
 */

/*
 * http_load_host_lists
 *		Parse notify_ext.allowed_hosts and denied_hosts if they changed.
 *
 * The parsed lists live in HttpHostsContext (http_host_lists_load).  A
 * change after the first load makes new transfers use fresh connections
 * until the multi handle is replaced (see the file banner).
 */
static void
http_load_host_lists(void)
{
	http_create_contexts();
	if (http_host_lists_load(notify_ext_allowed_hosts, notify_ext_denied_hosts,
							 HttpHostsContext) &&
		http_multi != NULL)
		http_fresh_pending = true;
}

/*
 * http_multi_prepare
 *		Before a new transfer: load the host lists if they changed, and
 *		replace the multi handle if a change waits for it and no transfer
 *		runs.  ERRORs when http_init has not run, or out of memory.
 */
void
http_multi_prepare(void)
{
	if (!http_initialized)
		elog(ERROR, "HTTP transport used before http_init");
	http_load_host_lists();
	if (http_fresh_pending && http_nactive == 0)
		http_renew_multi();
}

/*
 * http_multi_fresh
 *		Must a new transfer ask for a fresh connection?  True while a host
 *		list change waits for the multi handle to be replaced.
 */
bool
http_multi_fresh(void)
{
	return http_fresh_pending;
}


/* ---------------------------------------------------------------------
 * Transfers: from the free list, through the multi handle, back
 * ---------------------------------------------------------------------
 */

/*
 * http_get_transfer
 *		A transfer of family with an easy handle, from the free list or new.
 *
 * The transfer is in no list.  ERRORs when out of memory.
 */
HttpTransfer *
http_get_transfer(HttpFamily family)
{
	HttpTransfer *t;

	if (!dlist_is_empty(&http_idle))
	{
		t = dlist_container(HttpTransfer, node,
							dlist_pop_head_node(&http_idle));
		t->family = family;
		return t;
	}

	t = MemoryContextAllocZero(HttpContext, sizeof(HttpTransfer));
	t->family = family;
	t->easy = curl_easy_init();
	if (t->easy == NULL)
	{
		pfree(t);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not create a libcurl handle.")));
	}
	return t;
}

/*
 * http_multi_add
 *		Attach a transfer set up by http.c to the multi handle and put it on
 *		the running list.  ERRORs on libcurl failure, the transfer then
 *		still being the caller's (in no list, not attached).
 */
void
http_multi_add(HttpTransfer *t)
{
	CURLMcode	mc = curl_multi_add_handle(http_multi, t->easy);

	if (mc != CURLM_OK)
		elog(ERROR, "could not add an HTTP transfer: %s",
			 curl_multi_strerror(mc));
	dlist_push_tail(&http_active, &t->node);
	http_nactive++;
	http_family_count[t->family]++;
}

/*
 * http_done_head
 *		The oldest finished transfer of family whose result was not popped
 *		yet, or NULL when none waits.  It stays in the done list.
 */
HttpTransfer *
http_done_head(HttpFamily family)
{
	dlist_iter	it;

	dlist_foreach(it, &http_done)
	{
		HttpTransfer *t = dlist_container(HttpTransfer, node, it.cur);

		if (t->family == family)
			return t;
	}
	return NULL;
}

/*
 * http_done_finish
 *		Take t (from http_done_head) out of the done list once its result
 *		was read: its libcurl objects go back to the pool, and the multi
 *		handle is replaced if a host list change waits for it.
 */
void
http_done_finish(HttpTransfer *t)
{
	dlist_delete(&t->node);
	http_ndone--;
	http_family_count[t->family]--;
	http_release(t);

	if (http_fresh_pending && http_nactive == 0)
		http_renew_multi();
}


/*
 * http_clear
 *		Free what a transfer owns for one request (header list, body copy,
 *		host, URL password, wiped first, whole response) and forget the
 *		caller's pointer.
 *		The easy handle stays.
 */
static void
http_clear(HttpTransfer *t)
{
	if (t->headers != NULL)
		curl_slist_free_all(t->headers);
	t->headers = NULL;
	if (t->body != NULL)
		pfree(t->body);
	t->body = NULL;
	if (t->host != NULL)
		pfree(t->host);
	t->host = NULL;
	if (t->secret != NULL)
	{
		explicit_bzero(t->secret, strlen(t->secret));
		pfree(t->secret);
	}
	t->secret = NULL;
	if (t->secret_decoded != NULL)
	{
		explicit_bzero(t->secret_decoded, strlen(t->secret_decoded));
		pfree(t->secret_decoded);
	}
	t->secret_decoded = NULL;
	if (t->resp_all != NULL)
		pfree(t->resp_all);
	t->resp_all = NULL;
	t->arg = NULL;
}

/*
 * http_release
 *		Free what a transfer owns for one request and put it on the free
 *		list.  The easy handle must not be attached to the multi handle.
 */
void
http_release(HttpTransfer *t)
{
	http_clear(t);

	/* forget every option, keep nothing pointing at freed memory */
	curl_easy_reset(t->easy);
	dlist_push_head(&http_idle, &t->node);
}

/*
 * http_destroy
 *		Free a transfer completely (it must already be out of its list, or
 *		its list be abandoned by the caller).  attached: the easy handle is
 *		still in the multi handle.
 */
static void
http_destroy(HttpTransfer *t, bool attached)
{
	if (attached && http_multi != NULL)
		(void) curl_multi_remove_handle(http_multi, t->easy);
	http_clear(t);
	curl_easy_cleanup(t->easy);
	t->easy = NULL;
	http_forget_url(t);
	pfree(t);
}

/* ---------------------------------------------------------------------
 * Driving transfers and collecting results
 * ---------------------------------------------------------------------
 */

/*
 * http_inflight
 *		Number of webhook transfers started whose result has not been
 *		popped yet (running, waiting for a connection, or finished but not
 *		popped).
 */
int
http_inflight(void)
{
	return http_family_count[HTTP_FAMILY_WEBHOOK];
}

/*
 * http_family_inflight
 *		The same count for the transfers of one family.
 */
int
http_family_inflight(HttpFamily family)
{
	return http_family_count[family];
}

/*
 * http_poll
 *		Run the transfers for at most timeout_ms milliseconds.
 *
 * Returns as soon as at least one finished transfer (of any family) waits
 * to be popped (at once if one already does), when none is running, or
 * when the time
 * is up; it never waits longer than timeout_ms (0: just make progress).
 * Waits in slices of at most HTTP_POLL_SLICE_MS with CHECK_FOR_INTERRUPTS
 * in between, so a pending die() ends the process here; the module's
 * state stays consistent if it does.  ERRORs only on libcurl failure.
 */
void
http_poll(int timeout_ms)
{
	TimestampTz deadline;

	if (!http_initialized)
		return;

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										   Max(timeout_ms, 0));
	for (;;)
	{
		TimestampTz now;
		int64		remaining;
		int			numfds;
		CURLMcode	mc;

		http_perform();
		if (http_ndone > 0 || http_nactive == 0)
			break;

		now = GetCurrentTimestamp();
		remaining = (deadline - now) / 1000;
		if (remaining <= 0)
			break;

		mc = curl_multi_poll(http_multi, NULL, 0,
							 (int) Min(remaining, HTTP_POLL_SLICE_MS), &numfds);
		if (mc != CURLM_OK)
			elog(ERROR, "could not wait for HTTP transfers: %s",
				 curl_multi_strerror(mc));
		CHECK_FOR_INTERRUPTS();
	}
}

/*
 * http_perform
 *		Let libcurl make progress, then move finished transfers to the
 *		done list.
 */
static void
http_perform(void)
{
	int			running;
	CURLMcode	mc;

	mc = curl_multi_perform(http_multi, &running);
	if (mc != CURLM_OK)
		elog(ERROR, "could not run HTTP transfers: %s",
			 curl_multi_strerror(mc));
	http_collect();
}

/*
 * http_collect
 *		Read libcurl's completion messages: record each outcome, detach the
 *		easy handle (its connection returns to the cache) and move the
 *		transfer to the done list.
 */
static void
http_collect(void)
{
	CURLMsg    *msg;
	int			left;

	while ((msg = curl_multi_info_read(http_multi, &left)) != NULL)
	{
		CURL	   *easy = msg->easy_handle;
		CURLcode	code = msg->data.result;
		char	   *priv = NULL;
		HttpTransfer *t;
		CURLMcode	mc;
		long		ms;

		if (msg->msg != CURLMSG_DONE)
			continue;
		if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
			priv == NULL)
			elog(ERROR, "finished HTTP transfer has no owner");
		t = (HttpTransfer *) priv;

		/*
		 * A body longer than HTTP_RESPONSE_MAX was cut by http_write_body,
		 * which libcurl reports as a write error: the status line, the
		 * header and that much body arrived, so the answer is complete as
		 * far as delivery goes (see the file banner).
		 */
		if (code == CURLE_WRITE_ERROR && t->resp_cut)
			code = CURLE_OK;
		t->code = code;
		if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &t->status) != CURLE_OK)
			t->status = 0;
		t->retry_after_ms = http_retry_after(easy);

		mc = curl_multi_remove_handle(http_multi, easy);
		if (mc != CURLM_OK)
			elog(ERROR, "could not detach a finished HTTP transfer: %s",
				 curl_multi_strerror(mc));

		ms = TimestampDifferenceMilliseconds(t->start, GetCurrentTimestamp());
		t->duration_ms = (int) Min(ms, (long) INT_MAX);

		dlist_delete(&t->node);
		http_nactive--;
		dlist_push_tail(&http_done, &t->node);
		http_ndone++;
	}
}



/*
 * http_abort_all
 *		Drop every transfer, finished or not, without results, and free every
 *		easy handle, pooled ones included (shutdown).  The multi handle and
 *		its connection cache stay for later transfers.
 */
void
http_abort_all(void)
{
	http_destroy_all();

	if (http_fresh_pending && http_multi != NULL)
		http_renew_multi();
}

/*
 * http_destroy_all
 *		Free every transfer of the three lists (running ones detached from
 *		the multi handle first) and empty the lists.
 */
static void
http_destroy_all(void)
{
	dlist_head *lists[] = {&http_active, &http_done, &http_idle};
	int			i;

	for (i = 0; i < lengthof(lists); i++)
	{
		dlist_mutable_iter iter;

		dlist_foreach_modify(iter, lists[i])
		{
			dlist_delete(iter.cur);
			http_destroy(dlist_container(HttpTransfer, node, iter.cur),
						 lists[i] == &http_active);
		}
	}
	http_nactive = 0;
	http_ndone = 0;
	memset(http_family_count, 0, sizeof(http_family_count));
}
