/*-------------------------------------------------------------------------
 *
 * poller.c
 *	  The S3 ingest poller: one background worker per database with S3
 *	  storage methods, applying SQS event messages and bucket scans to
 *	  notify.file.
 *
 * The launcher starts the poller beside the database's delivery worker
 * when the slot is marked ingest_wanted (bgw/launcher.c, bgw/shmem.c).
 * Each pass of its loop:
 *
 *	1. clears ingest_wanted and reads the storage methods with their
 *	   credentials (definition_aws_credential, as delivery resolves an
 *	   alias) in a short transaction; with none (or no extension) it
 *	   leaves (a later notify.ingest_wake() at commit starts it again);
 *	2. scans the bucket of every method whose scan is due: at the
 *	   poller's start when refreshOnStart, every refreshInterval seconds,
 *	   when notify.rescan_storage_method asked (scan_requested), and again
 *	   after a failed scan.  A scan lists the bucket page by page
 *	   (ListObjectsV2, notify_ext.ingest_scan_page_size objects, one page
 *	   in memory), applies each page with notify.ingest_scan_page in its
 *	   own transaction, listed_at being the time the page was asked for,
 *	   and ends with notify.ingest_scan_end (files not listed: MISSING);
 *	3. for every method with sqsName, receives messages (ReceiveMessage,
 *	   long poll of notify_ext.ingest_poll_wait seconds, at most
 *	   notify_ext.ingest_batch_size messages); the receives of all queues
 *	   run concurrently.  The queue's URL comes from GetQueueUrl (kept
 *	   until a call on the queue fails);
 *	4. applies each queue's messages in one short transaction, each
 *	   message in a subtransaction (notify.ingest_message), records the
 *	   counters on notify.storage_method_state and commits; then deletes
 *	   (DeleteMessageBatch) the messages whose subtransaction was
 *	   released, and those that can never apply (a data error, such as a
 *	   body that is not JSON: recorded in failure_message).  A message
 *	   whose transaction failed otherwise stays in the queue and comes
 *	   back after its visibility timeout.  Nothing is deleted before the
 *	   commit, so a crash or a stop loses no event (at least once; the
 *	   per-key sequencer makes a repeated event stale).
 *
 * Failures are data: an SQS or S3 error, a refused credential or a failed
 * transaction is written to the method's state row (last_failure,
 * failure_message: "Error polling SQS: <AWS message>", "Error scanning
 * S3 bucket <bucket>: ...") and the method is tried again after a back-off
 * (1 s doubling to 60 s); the other methods go on.  No transaction is
 * open during network I/O.  The queue is not purged at start: stale
 * events are dropped by the sequencer and listing-time rules of
 * notify.ingest_event.
 *
 * A long scan does not hold the queues back: between two of its pages,
 * once a second at most, every queue of the pass is read without a long
 * poll and what came is applied and deleted as in 4 (ingest_read_queues_between_pages).
 * An event applied during the scan is newer than the listing of its key
 * or not, and notify.ingest_event and notify.ingest_scan_page keep the
 * newest either way (sequencer and listing time), so the order in which
 * pages and events are applied does not matter.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/poller.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/pmsignal.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "bgw/shmem.h"
#include "common/subxact.h"
#include "common/xact.h"
#include "common/compat.h"
#include "definition/definition_cache.h"
#include "guc.h"
#include "delivery/delivery_site.h"
#include "ingest/ingest.h"
#include "ingest/ingest_internal.h"
#include "notify_ext.h"

#define BACKOFF_MIN_MS		1000
#define BACKOFF_MAX_MS		60000
#define IDLE_SLEEP_MS		10000	/* longest sleep without a queue */
#define SCAN_QUEUE_EVERY_MS	1000	/* queue reads between scan pages */
#define RESTART_HOLD_MIN_MS	1000	/* after an unexpected exit */
#define RESTART_HOLD_MAX_MS	60000

/* The messages of one queue to apply, and what applying them came to */
typedef struct ApplyWork
{
	Method	   *m;
	int64		applied;
	int64		stale;
	int64		skipped;
	char	   *failure;		/* first failure, or NULL */
} ApplyWork;

static int	slotno;
static List *scan_queues = NIL;	/* queues to read between scan pages */
static TimestampTz scan_queues_read = 0;

static TimestampTz poller_started = 0;
static HTAB *memories = NULL;
static List *methods = NIL;		/* Method *, this pass */
static bool extension_gone = false;

/* ----------------------------------------------------------------
 *		transactions
 * ----------------------------------------------------------------
 */

/* What ingest_xact runs: fn(arg) */
typedef struct IngestXactCall
{
	void		(*fn) (void *arg);
	void	   *arg;
} IngestXactCall;

/*
 * ingest_xact_body
 *		run_in_transaction callback of ingest_xact: the poller's statement
 *		settings (this transaction only), SPI connected around the call.
 */
static void
ingest_xact_body(void *arg)
{
	IngestXactCall *call = arg;

	(void) set_config_option("search_path", NOTIFY_SAFE_SEARCH_PATH, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	call->fn(call->arg);
	SPI_finish();
}

/*
 * ingest_xact
 *		Call fn(arg) in a short transaction (run_in_transaction) with the
 *		poller's statement settings, connected to SPI.  Returns true when
 *		it committed; otherwise the error is logged, the transaction
 *		rolled back, *error (when error is not NULL) set to the error's
 *		message in the caller's context, and false returned.
 */
bool
ingest_xact(void (*fn) (void *arg), void *arg, char **error)
{
	IngestXactCall call = {fn, arg};

	return run_in_transaction(ingest_xact_body, &call, "notify_ext ingest", error);
}

/*
 * spi_text_or_null
 *		Column col of row as a string copied into cxt, or NULL.
 */
static char *
spi_text_or_null(HeapTuple row, TupleDesc desc, int col, MemoryContext cxt)
{
	char	   *v = SPI_getvalue(row, desc, col);

	return v ? MemoryContextStrdup(cxt, v) : NULL;
}

/*
 * load_methods
 *		ingest_xact callback (arg: the loop context): read every storage
 *		method with its credential (when its owner may use it) and state
 *		into methods.  Sets extension_gone when the extension is not
 *		installed.  The UTF-8 forms of bucket names and prefixes are kept.
 */
static void
load_methods(void *arg)
{
	MemoryContext cxt = arg;
	uint64		i;
	int			ret;
	ListCell   *lc;

	methods = NIL;
	if (!OidIsValid(notify_catalog()->schema))
	{
		extension_gone = true;
		return;
	}
	/* objects older than the library have no storage methods */
	if (!delivery_objects_current())
		return;
	ret = SPI_execute("SELECT m.id, m.bucket, m.prefix, m.endpoint, m.region, "
					  "m.credential, m.owner, m.sqs_name, m.sqs_endpoint, "
					  "m.refresh_on_start, m.refresh_interval, "
					  "COALESCE(st.scan_requested, false), "
					  "st.last_scan_started "
					  "FROM notify.storage_method m "
					  "LEFT JOIN notify.storage_method_state st ON st.method_id OPERATOR(pg_catalog.=) m.id "
					  "ORDER BY m.id", true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read storage methods: %s", SPI_result_code_string(ret));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		Method	   *m = MemoryContextAllocZero(cxt, sizeof(Method));
		char	   *v;
		MemoryContext old;

		m->id = spi_text_or_null(row, desc, 1, cxt);
		m->bucket = spi_text_or_null(row, desc, 2, cxt);
		m->prefix = spi_text_or_null(row, desc, 3, cxt);
		m->endpoint = spi_text_or_null(row, desc, 4, cxt);
		m->region = spi_text_or_null(row, desc, 5, cxt);
		m->credential = spi_text_or_null(row, desc, 6, cxt);
		{
			bool		isnull;
			Datum		d = SPI_getbinval(row, desc, 7, &isnull);

			m->owner = isnull ? InvalidOid : DatumGetObjectId(d);
		}
		m->sqs_name = spi_text_or_null(row, desc, 8, cxt);
		m->sqs_endpoint = spi_text_or_null(row, desc, 9, cxt);
		v = SPI_getvalue(row, desc, 10);
		m->refresh_on_start = (v == NULL || strcmp(v, "t") == 0);
		v = SPI_getvalue(row, desc, 11);
		m->refresh_interval = v ? atoi(v) : 0;
		v = SPI_getvalue(row, desc, 12);
		m->scan_requested = (v != NULL && strcmp(v, "t") == 0);
		{
			bool		isnull;
			Datum		d = SPI_getbinval(row, desc, 13, &isnull);

			m->last_scan_started = isnull ? 0 : DatumGetTimestampTz(d);
		}
		/* listings and URLs need the prefix as UTF-8 */
		old = MemoryContextSwitchTo(cxt);
		m->prefix = pg_server_to_any(m->prefix, strlen(m->prefix), PG_UTF8);
		MemoryContextSwitchTo(old);
		old = MemoryContextSwitchTo(cxt);
		methods = lappend(methods, m);
		MemoryContextSwitchTo(old);
	}

	/* credentials as delivery reads them (after the rows: SPI nests) */
	foreach(lc, methods)
	{
		Method	   *m = lfirst(lc);
		MemoryContext old = MemoryContextSwitchTo(cxt);
		char	   *region;

		if (!definition_aws_credential(m->credential, m->owner,
									   &m->access_key, &m->secret, &region))
			m->access_key = m->secret = NULL;
		MemoryContextSwitchTo(old);
	}
}

/* What ingest_record_failure writes */
typedef struct FailureWork
{
	const char *id;
	const char *message;
	bool		success;		/* record last_success instead */
} FailureWork;

/*
 * record_state
 *		ingest_xact callback (arg: FailureWork): set last_failure and
 *		failure_message, or last_success, of a method's state row.
 */
static void
record_state(void *arg)
{
	FailureWork *w = arg;
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	char		nulls[2] = {' ', ' '};
	int			ret;

	values[0] = CStringGetTextDatum(w->id);
	if (w->success)
		ret = SPI_execute_with_args("UPDATE notify.storage_method_state st "
									"SET last_success = pg_catalog.clock_timestamp() "
									"WHERE st.method_id OPERATOR(pg_catalog.=) $1",
									1, types, values, nulls, false, 0);
	else
	{
		values[1] = CStringGetTextDatum(w->message);
		ret = SPI_execute_with_args("UPDATE notify.storage_method_state st "
									"SET last_failure = pg_catalog.clock_timestamp(), "
									"failure_message = $2 "
									"WHERE st.method_id OPERATOR(pg_catalog.=) $1",
									2, types, values, nulls, false, 0);
	}
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not record the ingest state: %s", SPI_result_code_string(ret));
}

/*
 * ingest_record_failure
 *		Write message as m's last failure (its own transaction; a failure
 *		to write it is only logged).  message is UTF-8 or ASCII text from a
 *		peer: it is converted, and invalid bytes make it a generic text.
 */
void
ingest_record_failure(Method *m, const char *message)
{
	FailureWork w = {m->id, message, false};

	if (pg_verify_mbstr(PG_UTF8, message, strlen(message), true))
		w.message = pg_any_to_server(message, strlen(message), PG_UTF8);
	else
		w.message = "the peer's error message is not valid UTF-8";
	(void) ingest_xact(record_state, &w, NULL);
}

/*
 * record_success
 *		Write the current time as m's last success.
 */
static void
record_success(Method *m)
{
	FailureWork w = {m->id, NULL, true};

	(void) ingest_xact(record_state, &w, NULL);
}

/* ----------------------------------------------------------------
 *		method memory
 * ----------------------------------------------------------------
 */

/*
 * memory_of
 *		m's entry in memories, made when new (*is_new then true).
 */
static MethodMemory *
memory_of(Method *m, bool *is_new)
{
	char		key[64];
	bool		found;
	MethodMemory *mem;

	memset(key, 0, sizeof(key));
	strlcpy(key, m->id, sizeof(key));
	mem = hash_search(memories, key, HASH_ENTER, &found);
	if (!found)
	{
		mem->queue_key[0] = '\0';
		mem->queue_url[0] = '\0';
		mem->sqs_retry_at = 0;
		mem->sqs_backoff_ms = 0;
		mem->scan_failed = false;
		mem->scan_retry_at = 0;
		mem->scan_backoff_ms = 0;
	}
	*is_new = !found;
	return mem;
}

/*
 * ingest_next_backoff
 *		Double *ms between BACKOFF_MIN_MS and BACKOFF_MAX_MS; return the
 *		time that much after now.
 */
TimestampTz
ingest_next_backoff(int *ms, TimestampTz now)
{
	*ms = (*ms == 0) ? BACKOFF_MIN_MS : Min(*ms * 2, BACKOFF_MAX_MS);
	return TimestampTzPlusMilliseconds(now, *ms);
}

/* ----------------------------------------------------------------
 *		queues
 * ----------------------------------------------------------------
 */

/*
 * sqs_failed
 *		Record an SQS failure of m, forget its queue URL and back off.
 */
static void
sqs_failed(Method *m, const char *error)
{
	MethodMemory *mem = m->mem;

	mem->queue_url[0] = '\0';
	mem->sqs_retry_at = ingest_next_backoff(&mem->sqs_backoff_ms, GetCurrentTimestamp());
	ingest_record_failure(m, psprintf("Error polling SQS: %s", error));
}

/*
 * prepare_sqs
 *		Set up r as the SQS call target with body for m.
 */
static void
prepare_sqs(Method *m, IngestHttp *r, const char *target, char *body, long timeout_s)
{
	memset(r, 0, sizeof(*r));
	r->url = ingest_sqs_endpoint(m->sqs_endpoint, m->region);
	r->sigv4 = psprintf("aws:amz:%s:sqs", m->region);
	r->access_key = m->access_key;
	r->secret = m->secret;
	r->target = target;
	r->body = body;
	r->timeout_s = timeout_s;
}

/*
 * resolve_queues
 *		GetQueueUrl, concurrently, for the methods of list ms whose queue
 *		URL is not known; failures are recorded.
 */
static void
resolve_queues(List *ms)
{
	IngestHttp **reqs = palloc(sizeof(IngestHttp *) * Max(list_length(ms), 1));
	Method	  **who = palloc(sizeof(Method *) * Max(list_length(ms), 1));
	int			n = 0;
	int			i;
	ListCell   *lc;

	foreach(lc, ms)
	{
		Method	   *m = lfirst(lc);
		char	   *key = psprintf("%s\n%s\n%s", m->sqs_endpoint ? m->sqs_endpoint : "",
								   m->sqs_name, m->access_key);

		if (strcmp(key, m->mem->queue_key) != 0)
		{
			strlcpy(m->mem->queue_key, key, sizeof(m->mem->queue_key));
			m->mem->queue_url[0] = '\0';
		}
		if (m->mem->queue_url[0] != '\0')
			continue;
		prepare_sqs(m, &m->req, "AmazonSQS.GetQueueUrl",
					ingest_sqs_get_queue_url_body(m->sqs_name), REQUEST_TIMEOUT_S);
		reqs[n] = &m->req;
		who[n++] = m;
	}
	ingest_http_run(reqs, n);
	for (i = 0; i < n; i++)
	{
		char	   *url = reqs[i]->error ? NULL : ingest_sqs_queue_url(reqs[i]);

		if (reqs[i]->error != NULL)
			sqs_failed(who[i], reqs[i]->error);
		else if (url == NULL || strlen(url) >= sizeof(who[i]->mem->queue_url))
			sqs_failed(who[i], "the GetQueueUrl answer has no usable QueueUrl");
		else
			strlcpy(who[i]->mem->queue_url, url, sizeof(who[i]->mem->queue_url));
	}
}

/* One message in apply_message's subtransaction */
typedef struct OneMessage
{
	Method	   *m;
	IngestMessage *msg;
	int64		counts[3];
} OneMessage;

/*
 * apply_one
 *		notify.ingest_message of one message; sets counts.
 */
static void
apply_one(OneMessage *om)
{
	Oid			types[2] = {TEXTOID, TEXTOID};
	Datum		values[2];
	const char *body = om->msg->body;
	int			i;

	values[0] = CStringGetTextDatum(om->m->id);
	values[1] = CStringGetTextDatum(pg_any_to_server(body, strlen(body), PG_UTF8));
	if (SPI_execute_with_args("SELECT applied, stale, skipped FROM notify.ingest_message($1, $2)",
							  2, types, values, NULL, false, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not apply an SQS message");
	for (i = 0; i < 3; i++)
	{
		bool		isnull;
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
									  i + 1, &isnull);

		om->counts[i] = isnull ? 0 : DatumGetInt32(d);
	}
}

/*
 * apply_one_cb
 *		subxact_run callback: apply_one(arg).
 */
static void
apply_one_cb(void *arg)
{
	apply_one((OneMessage *) arg);
}

/*
 * apply_in_subxact
 *		apply_one in a subtransaction of the current transaction.  Returns
 *		true when it was released; otherwise rolls it back, sets *error
 *		(palloc'd) and *permanent (a data error: the message can never
 *		apply) and returns false.
 */
static bool
apply_in_subxact(OneMessage *om, char **error, bool *permanent)
{
	int			sqlerrcode = 0;

	if (subxact_run(apply_one_cb, om, error, &sqlerrcode))
		return true;
	*permanent = (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION);
	return false;
}

/*
 * apply_xact
 *		ingest_xact callback (arg: ApplyWork): apply each received message
 *		of the method in a subtransaction (SPI reconnected for each, as
 *		subtransactions need), mark the ones to delete, add the counters
 *		to the method's state with last_success (and the first failure).
 */
static void
apply_xact(void *arg)
{
	ApplyWork  *w = arg;
	Method	   *m = w->m;
	Oid			types[5] = {TEXTOID, INT8OID, INT8OID, INT8OID, TEXTOID};
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			i;

	for (i = 0; i < m->nmsgs; i++)
	{
		OneMessage	om;
		char	   *error = NULL;
		bool		permanent = false;

		om.m = m;
		om.msg = &m->msgs[i];
		if (apply_in_subxact(&om, &error, &permanent))
		{
			m->msgs[i].remove = true;
			w->applied += om.counts[0];
			w->stale += om.counts[1];
			w->skipped += om.counts[2];
			continue;
		}
		/* a message that can never apply is dropped, and says so */
		m->msgs[i].remove = permanent;
		ereport(LOG,
				(errmsg("notify_ext ingest could not apply SQS message %s of storage method %s: %s",
						m->msgs[i].message_id, m->id, error),
				 permanent ? errdetail("The message is deleted: it can never apply.") : 0));
		if (w->failure == NULL)
			w->failure = psprintf("Error applying SQS message %s%s: %s",
								  m->msgs[i].message_id,
								  permanent ? " (deleted)" : "", error);
	}
	values[0] = CStringGetTextDatum(m->id);
	values[1] = Int64GetDatum(w->applied);
	values[2] = Int64GetDatum(w->stale);
	values[3] = Int64GetDatum(w->skipped);
	if (w->failure != NULL)
		values[4] = CStringGetTextDatum(w->failure);
	else
		nulls[4] = 'n';
	if (SPI_execute_with_args("UPDATE notify.storage_method_state st SET "
							  "messages_applied = st.messages_applied OPERATOR(pg_catalog.+) $2, "
							  "stale_dropped = st.stale_dropped OPERATOR(pg_catalog.+) $3, "
							  "messages_skipped = st.messages_skipped OPERATOR(pg_catalog.+) $4, "
							  "last_success = pg_catalog.clock_timestamp(), "
							  "last_failure = CASE WHEN $5 IS NULL THEN st.last_failure "
							  "ELSE pg_catalog.clock_timestamp() END, "
							  "failure_message = COALESCE($5, st.failure_message) "
							  "WHERE st.method_id OPERATOR(pg_catalog.=) $1",
							  5, types, values, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the ingest counters");
}

/*
 * delete_messages
 *		DeleteMessageBatch of the messages of each method in ms that are
 *		marked remove, concurrently; failures are recorded.
 */
static void
delete_messages(List *ms)
{
	IngestHttp **reqs = palloc(sizeof(IngestHttp *) * Max(list_length(ms), 1));
	Method	  **who = palloc(sizeof(Method *) * Max(list_length(ms), 1));
	int			n = 0;
	int			i;
	ListCell   *lc;

	foreach(lc, ms)
	{
		Method	   *m = lfirst(lc);
		char	   *body = ingest_sqs_delete_body(m->mem->queue_url, m->msgs, m->nmsgs);

		if (body == NULL)
			continue;
		prepare_sqs(m, &m->req, "AmazonSQS.DeleteMessageBatch", body, REQUEST_TIMEOUT_S);
		reqs[n] = &m->req;
		who[n++] = m;
	}
	ingest_http_run(reqs, n);
	for (i = 0; i < n; i++)
	{
		char	   *failed = reqs[i]->error ? reqs[i]->error :
			ingest_sqs_delete_failures(reqs[i]);

		if (failed != NULL)
			ingest_record_failure(who[i], psprintf("Error deleting SQS messages: %s", failed));
	}
}

/*
 * poll_queues
 *		One receive (long poll of wait_s seconds) on the queue of every
 *		method of ms (concurrently), then apply and delete what came.
 *		Returns the number of messages received.
 */
static int
poll_queues(List *ms, int wait_s)
{
	IngestHttp **reqs = palloc(sizeof(IngestHttp *) * Max(list_length(ms), 1));
	Method	  **who = palloc(sizeof(Method *) * Max(list_length(ms), 1));
	List	   *got = NIL;
	int			n = 0;
	int			total = 0;
	int			i;
	ListCell   *lc;

	resolve_queues(ms);
	foreach(lc, ms)
	{
		Method	   *m = lfirst(lc);

		if (m->mem->queue_url[0] == '\0')
			continue;
		prepare_sqs(m, &m->req, "AmazonSQS.ReceiveMessage",
					ingest_sqs_receive_body(m->mem->queue_url,
											notify_ext_ingest_batch_size,
											wait_s),
					REQUEST_TIMEOUT_S + wait_s);
		reqs[n] = &m->req;
		who[n++] = m;
	}
	ingest_http_run(reqs, n);
	for (i = 0; i < n; i++)
	{
		Method	   *m = who[i];
		char	   *error = reqs[i]->error;
		ApplyWork	w;

		if (error == NULL)
			m->msgs = ingest_sqs_messages(reqs[i], &m->nmsgs, &error);
		if (error != NULL)
		{
			sqs_failed(m, error);
			continue;
		}
		m->mem->sqs_backoff_ms = 0;
		total += m->nmsgs;
		memset(&w, 0, sizeof(w));
		w.m = m;
		if (m->nmsgs == 0)
		{
			record_success(m);
			continue;
		}
		if (!ingest_xact(apply_xact, &w, &error))
		{
			/* nothing was applied: the messages come back */
			ingest_record_failure(m, psprintf("Error applying SQS messages: %s", error));
			continue;
		}
		got = lappend(got, m);
	}
	delete_messages(got);
	return total;
}

/*
 * ingest_read_queues_between_pages
 *		Between two pages of a scan: read the queues of the pass once (no
 *		long poll) when SCAN_QUEUE_EVERY_MS have passed since the last
 *		read, so that a long scan does not hold back the events of the
 *		queues for its whole duration.  Runs in cxt, reset after.
 */
void
ingest_read_queues_between_pages(MemoryContext cxt)
{
	MemoryContext old;

	if (scan_queues == NIL ||
		!TimestampDifferenceExceeds(scan_queues_read, GetCurrentTimestamp(),
									SCAN_QUEUE_EVERY_MS))
		return;
	old = MemoryContextSwitchTo(cxt);
	(void) poll_queues(scan_queues, 0);
	MemoryContextSwitchTo(old);
	MemoryContextReset(cxt);
	scan_queues_read = GetCurrentTimestamp();
}


/* ----------------------------------------------------------------
 *		attach, leave, main loop
 * ----------------------------------------------------------------
 */

/*
 * poller_shmem_exit
 *		on_shmem_exit callback: give up the slot's poller fields; after an
 *		unexpected exit, ask the launcher for a new poller, but not before
 *		a hold (RESTART_HOLD_MIN_MS doubling with each unexpected exit in a
 *		row up to RESTART_HOLD_MAX_MS; a poller that ran RESTART_HOLD_MAX_MS
 *		starts the count again), so that a poller failing at once is not
 *		restarted in a tight loop.
 */
static void
poller_shmem_exit(int code, Datum arg)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];
	TimestampTz now = GetCurrentTimestamp();
	int			hold_ms = 0;

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	if (slot->ingest_pid == MyProcPid)
	{
		slot->ingest_pid = 0;
		slot->ingest_latch = NULL;
	}
	if (code != 0)
	{
		if (TimestampDifferenceExceeds(poller_started, now, RESTART_HOLD_MAX_MS))
			slot->ingest_failures = 0;
		hold_ms = RESTART_HOLD_MIN_MS << Min(slot->ingest_failures, 6);
		hold_ms = Min(hold_ms, RESTART_HOLD_MAX_MS);
		slot->ingest_failures++;
		slot->ingest_hold_until = TimestampTzPlusMilliseconds(now, hold_ms);
	}
	LWLockRelease(notify_shared->lock);
	if (code != 0)
	{
		pg_atomic_write_u32(&slot->ingest_wanted, 1);
		ereport(LOG,
				(errmsg("notify_ext ingest poller exited unexpectedly; the next one starts in %d ms",
						hold_ms)));
	}
}

/*
 * poller_start
 *		Connect to the slot's database and take the slot's poller fields;
 *		exit when another poller has them.
 */
static void
poller_start(Datum main_arg)
{
	NotifyDbSlot *slot;
	bool		taken = false;
	HASHCTL		ctl;

	slotno = DatumGetInt32(main_arg);
	slot = &notify_shared->slots[slotno];
	poller_started = GetCurrentTimestamp();
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(slot->dboid, InvalidOid, 0);
	pgstat_report_appname("notify_ext ingest");

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	if (slot->ingest_pid != 0 && slot->ingest_pid != MyProcPid)
		taken = true;
	else
	{
		slot->ingest_pid = MyProcPid;
		slot->ingest_latch = MyLatch;
	}
	LWLockRelease(notify_shared->lock);
	if (taken)
		proc_exit(0);
	on_shmem_exit(poller_shmem_exit, (Datum) 0);

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = 64;
	ctl.entrysize = sizeof(MethodMemory);
	memories = hash_create("notify_ext ingest methods", 16, &ctl, HASH_ELEM | HASH_BLOBS);
}

/*
 * forget_gone_methods
 *		Drop the memory of methods not read in this pass.
 */
static void
forget_gone_methods(void)
{
	HASH_SEQ_STATUS status;
	MethodMemory *mem;

	hash_seq_init(&status, memories);
	while ((mem = hash_seq_search(&status)) != NULL)
	{
		if (!mem->seen)
			(void) hash_search(memories, mem->id, HASH_REMOVE, NULL);
		else
			mem->seen = false;
	}
}

/*
 * notify_ext_ingest_main
 *		Entry point of a database's ingest poller; main_arg is the slot of
 *		its database.  See the file header for the loop.
 */
void
notify_ext_ingest_main(Datum main_arg)
{
	MemoryContext loop_context;
	bool		started = false;

	poller_start(main_arg);
	loop_context = AllocSetContextCreate(TopMemoryContext, "notify_ext ingest loop",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		List	   *queues = NIL;
		TimestampTz now;
		TimestampTz wake_at;
		int			received = -1;
		ListCell   *lc;

		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);
		CHECK_FOR_INTERRUPTS();
		if (!PostmasterIsAlive())
			proc_exit(1);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/* cleared before the look, so that a commit after it is not missed */
		pg_atomic_write_u32(&notify_shared->slots[slotno].ingest_wanted, 0);
		ResetLatch(MyLatch);
		if (!ingest_xact(load_methods, loop_context, NULL))
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 BACKOFF_MAX_MS, NOTIFY_WAIT_EVENT);
			continue;
		}
		if (extension_gone || methods == NIL)
			proc_exit(0);
		if (!started)
		{
			ereport(LOG, (errmsg("notify_ext ingest poller started")));
			started = true;
		}

		now = GetCurrentTimestamp();
		wake_at = TimestampTzPlusMilliseconds(now, IDLE_SLEEP_MS);
		foreach(lc, methods)
		{
			Method	   *m = lfirst(lc);

			m->mem = memory_of(m, &m->is_new);
			m->mem->seen = true;
			if (m->access_key == NULL)
			{
				if (m->is_new || m->scan_requested)
					ingest_record_failure(m, "the storage method's AWS credential is gone or may not be used by its owner");
				continue;
			}
			if (m->sqs_name != NULL && now >= m->mem->sqs_retry_at)
				scan_queues = lappend(scan_queues, m);
		}
		/* scans, with the queues read between their pages */
		scan_queues_read = now;
		foreach(lc, methods)
		{
			Method	   *m = lfirst(lc);

			if (m->access_key == NULL)
				continue;
			if (ingest_scan_due(m, m->is_new, now))
				ingest_scan_method(m);
			if (m->mem->scan_failed)
				wake_at = Min(wake_at, m->mem->scan_retry_at);
			else if (m->refresh_interval > 0)
				wake_at = Min(wake_at,
							  TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														  (int64) m->refresh_interval * 1000));
		}
		scan_queues = NIL;
		foreach(lc, methods)
		{
			Method	   *m = lfirst(lc);

			if (m->access_key == NULL || m->sqs_name == NULL)
				continue;
			if (GetCurrentTimestamp() >= m->mem->sqs_retry_at)
				queues = lappend(queues, m);
			else
				wake_at = Min(wake_at, m->mem->sqs_retry_at);
		}
		forget_gone_methods();
		if (queues != NIL)
			received = poll_queues(queues, notify_ext_ingest_poll_wait);

		/*
		 * Sleep only when no queue was asked (a long poll is the wait), or
		 * when receives do not wait and none brought anything
		 */
		if (received < 0 || (received == 0 && notify_ext_ingest_poll_wait == 0))
		{
			long		ms;

			if (received == 0)
				wake_at = Min(wake_at, TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
																   BACKOFF_MIN_MS));
			ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), wake_at);
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
							 Max(ms, 1), NOTIFY_WAIT_EVENT);
		}
	}
}
