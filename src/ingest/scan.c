/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  S3 ingest: full scans of a storage method's bucket.
 *
 * ListObjectsV2 page by page (continuation tokens, one page in memory at a
 * time), each page applied with notify.ingest_scan_page in a short
 * transaction of its own with the time the page was fetched, then
 * notify.ingest_scan_end (files not listed become MISSING).  The queues of
 * the pass are read between pages (poller.c), so a long scan does not
 * hold their events back.  When a scan is due: at the poller's start
 * (refreshOnStart), every refreshInterval, on request, and after a failed
 * scan once its back-off has passed.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "guc.h"
#include "ingest/ingest_internal.h"

/* One scan page to apply */
typedef struct PageWork
{
	Method	   *m;
	TimestampTz listed_at;
	IngestListPage *page;
	int			objects;		/* out */
} PageWork;

/* What scan_begin and scan_end write */
typedef struct ScanWork
{
	Method	   *m;
	TimestampTz started;
	int64		objects;
} ScanWork;

/*
 * scan_begin_xact
 *		ingest_xact callback (arg: ScanWork): note the scan's start and
 *		clear scan_requested.
 */
static void
scan_begin_xact(void *arg)
{
	ScanWork   *w = arg;
	Oid			types[2] = {TEXTOID, TIMESTAMPTZOID};
	Datum		values[2];

	values[0] = CStringGetTextDatum(w->m->id);
	values[1] = TimestampTzGetDatum(w->started);
	if (SPI_execute_with_args("UPDATE notify.storage_method_state st "
							  "SET last_scan_started = $2, scan_requested = false "
							  "WHERE st.method_id OPERATOR(pg_catalog.=) $1",
							  2, types, values, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the start of a scan");
}

/*
 * scan_end_xact
 *		ingest_xact callback (arg: ScanWork): notify.ingest_scan_end.
 */
static void
scan_end_xact(void *arg)
{
	ScanWork   *w = arg;
	Oid			types[3] = {TEXTOID, TIMESTAMPTZOID, INT8OID};
	Datum		values[3];

	values[0] = CStringGetTextDatum(w->m->id);
	values[1] = TimestampTzGetDatum(w->started);
	values[2] = Int64GetDatum(w->objects);
	if (SPI_execute_with_args("SELECT notify.ingest_scan_end($1, $2, $3)",
							  3, types, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not end a scan");
}

/*
 * text_array
 *		A text[] of the n UTF-8 strings of items (NULL entries stay NULL),
 *		converted to the database encoding.
 */
static Datum
text_array(char **items, int n)
{
	Datum	   *d = palloc(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int			i;

	for (i = 0; i < n; i++)
	{
		nulls[i] = (items[i] == NULL);
		d[i] = nulls[i] ? (Datum) 0 :
			CStringGetTextDatum(pg_any_to_server(items[i], strlen(items[i]), PG_UTF8));
	}
	return PointerGetDatum(construct_md_array(d, nulls, 1, dims, lbs, TEXTOID,
											  -1, false, TYPALIGN_INT));
}

/*
 * scan_page_xact
 *		ingest_xact callback (arg: PageWork): notify.ingest_scan_page of
 *		one page; sets objects.
 */
static void
scan_page_xact(void *arg)
{
	PageWork   *w = arg;
	Oid			types[5] = {TEXTOID, TIMESTAMPTZOID, TEXTARRAYOID, INT8ARRAYOID, TEXTARRAYOID};
	Datum		values[5];
	Datum	   *sizes = palloc(sizeof(Datum) * Max(w->page->n, 1));
	bool		isnull;
	int			i;

	for (i = 0; i < w->page->n; i++)
		sizes[i] = Int64GetDatum(w->page->sizes[i]);
	values[0] = CStringGetTextDatum(w->m->id);
	values[1] = TimestampTzGetDatum(w->listed_at);
	values[2] = text_array(w->page->keys, w->page->n);
	values[3] = PointerGetDatum(construct_array(sizes, w->page->n, INT8OID, 8,
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
	values[4] = text_array(w->page->etags, w->page->n);
	if (SPI_execute_with_args("SELECT notify.ingest_scan_page($1, $2, $3, $4, $5)",
							  5, types, values, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not apply a scan page");
	w->objects = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
											 SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * ingest_scan_due
 *		Is a scan of m due now?
 */
bool
ingest_scan_due(Method *m, bool is_new, TimestampTz now)
{
	MethodMemory *mem = m->mem;

	if (m->access_key == NULL)
		return false;
	if (mem->scan_failed)
		return now >= mem->scan_retry_at;
	if (m->scan_requested || (is_new && m->refresh_on_start))
		return true;
	return m->refresh_interval > 0 &&
		(m->last_scan_started == 0 ||
		 now >= TimestampTzPlusMilliseconds(m->last_scan_started,
											(int64) m->refresh_interval * 1000));
}

/*
 * ingest_scan_method
 *		List m's bucket page by page, applying each page in a transaction
 *		of its own, then end the scan.  A failure is recorded on m's state
 *		and the scan is tried again after a back-off.  Memory: one page at
 *		a time, in a context reset per page.
 */
void
ingest_scan_method(Method *m)
{
	MethodMemory *mem = m->mem;
	ScanWork	sw;
	MemoryContext page_cxt;
	MemoryContext old;
	char	   *token = NULL;
	char	   *failure = NULL;
	char	   *sigv4 = psprintf("aws:amz:%s:s3", m->region);

	sw.m = m;
	sw.started = GetCurrentTimestamp();
	sw.objects = 0;
	if (!ingest_xact(scan_begin_xact, &sw, &failure))
		goto failed;

	page_cxt = AllocSetContextCreate(CurrentMemoryContext, "notify_ext ingest scan page",
									 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		IngestHttp	r;
		IngestHttp *reqs[1] = {&r};
		IngestListPage page;
		PageWork	pw;
		char	   *next;

		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(page_cxt);
		memset(&r, 0, sizeof(r));
		r.url = ingest_s3_list_url(m->endpoint, m->region, m->bucket, m->prefix,
								   token, notify_ext_ingest_scan_page_size);
		r.sigv4 = sigv4;
		r.access_key = m->access_key;
		r.secret = m->secret;
		r.timeout_s = REQUEST_TIMEOUT_S;
		pw.listed_at = GetCurrentTimestamp();
		ingest_http_run(reqs, 1);
		if (r.error != NULL)
			failure = psprintf("Error scanning S3 bucket %s: %s", m->bucket, r.error);
		else if (!ingest_s3_parse_list(r.response.data, r.response.len, &page, &failure))
			failure = psprintf("Error scanning S3 bucket %s: %s", m->bucket, failure);
		else
		{
			pw.m = m;
			pw.page = &page;
			pw.objects = 0;
			if (!ingest_xact(scan_page_xact, &pw, &failure))
				failure = psprintf("Error scanning S3 bucket %s: %s", m->bucket, failure);
			sw.objects += pw.objects;
		}
		MemoryContextSwitchTo(old);
		if (failure != NULL)
		{
			failure = pstrdup(failure);
			break;
		}
		next = (page.truncated && page.next_token) ? pstrdup(page.next_token) : NULL;
		if (token != NULL)
			pfree(token);
		token = next;
		MemoryContextReset(page_cxt);
		if (token == NULL)
			break;
		ingest_read_queues_between_pages(page_cxt);
	}
	MemoryContextDelete(page_cxt);
	if (failure == NULL && !ingest_xact(scan_end_xact, &sw, &failure))
		failure = psprintf("Error ending the scan of S3 bucket %s: %s", m->bucket, failure);
	if (failure == NULL)
	{
		mem->scan_failed = false;
		mem->scan_backoff_ms = 0;
		return;
	}

failed:
	mem->scan_failed = true;
	mem->scan_retry_at = ingest_next_backoff(&mem->scan_backoff_ms, GetCurrentTimestamp());
	ingest_record_failure(m, failure);
}
