/*-------------------------------------------------------------------------
 *
 * indb_helper.c
 *	  A process of its own for the delivery worker's in-database actions.
 *
 * A <function> action runs as long as its function does (pg_sleep(4), a
 * slow query): run in the delivery worker, it would stop the worker from
 * driving its HTTP transfers for that long.  So the worker hands its
 * in-database attempts to a helper: a dynamic background worker connected
 * to the same database ("notify_ext in-database actions"), started on
 * first use, that runs them with the very code the worker would have run
 * (indb.c: each attempt in a subtransaction, as the notification's owner,
 * the attempts received together in one transaction) and sends each result
 * back.  Requests go over one shm_mq, results come back over another, in
 * the order of the requests.  The worker only sends and polls (never
 * waits on the helper), so HTTP transfers keep being driven while a
 * function runs; lanes and ordering stay the worker's (a lane is busy until
 * its attempt's result is back).
 *
 * Lifetime: the helper exits when the worker detaches (the worker exited or
 * dropped it); the worker notices a helper that is gone (its attempts sent
 * and unanswered get no answer, retried like any failed attempt) and starts
 * a new one at the next attempt.  When no background worker slot is free,
 * the worker runs the attempts itself, as before (and tries again to start
 * a helper after HELPER_RETRY_MS).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/indb_helper.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "common/compat.h"
#include "notify_ext.h"
#include "transport/indb_helper.h"

#define HELPER_MAGIC		0x4e584948
#define HELPER_QUEUE_SIZE	(256 * 1024)
#define HELPER_RETRY_MS		10000
#define HELPER_BATCH_MAX	64	/* attempts run in one transaction at most */

/* What a request carries besides its strings */
typedef struct HelperRequestHead
{
	int32		kind;			/* NotifyActionKind */
	int32		content_type;	/* NotifyContentType */
	Oid			owner;
	int32		timeout_ms;
} HelperRequestHead;

/* What a result carries besides its strings */
typedef struct HelperResultHead
{
	int32		outcome;		/* TransportOutcome */
	int32		status;
	int32		duration_ms;
	int32		retry_after_ms;
	bool		has_error;
	bool		has_answer;
} HelperResultHead;

/* the worker's side */
static dsm_segment *helper_seg = NULL;
static shm_mq_handle *helper_out = NULL;	/* requests */
static shm_mq_handle *helper_in = NULL; /* results */
static BackgroundWorkerHandle *helper_handle = NULL;
static TimestampTz helper_retry_at = 0;
static StringInfoData helper_pending;	/* a request not sent whole yet */

/*
 * put_string
 *		Append s (NULL as an empty string) with its terminating zero.
 */
static void
put_string(StringInfo buf, const char *s)
{
	appendBinaryStringInfo(buf, s ? s : "", s ? strlen(s) + 1 : 1);
}

/*
 * get_string
 *		The zero-terminated string at *pos of data (len bytes), advancing
 *		*pos; NULL when it is empty and empty_is_null.  ERRORs on a
 *		truncated message.
 */
static char *
get_string(const char *data, Size len, Size *pos, bool empty_is_null)
{
	const char *s = data + *pos;
	const char *end = memchr(s, '\0', len - *pos);

	if (end == NULL)
		elog(ERROR, "truncated message from the notify_ext in-database actions process");
	*pos += end - s + 1;
	if (empty_is_null && end == s)
		return NULL;
	return pstrdup(s);
}

/*
 * indb_helper_stop
 *		Drop the helper (detaching makes it exit).  Attempts sent and not
 *		answered are the caller's to settle.  failed: the helper did not
 *		answer; run attempts in this process for HELPER_RETRY_MS.
 */
void
indb_helper_stop(bool failed)
{
	if (helper_seg != NULL)
		dsm_detach(helper_seg);
	helper_seg = NULL;
	helper_out = NULL;
	helper_in = NULL;
	if (helper_handle != NULL)
		pfree(helper_handle);
	helper_handle = NULL;
	if (helper_pending.data != NULL)
		resetStringInfo(&helper_pending);
	if (failed)
		helper_retry_at = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													  HELPER_RETRY_MS);
}

/*
 * indb_helper_ready
 *		Whether in-database attempts go to the helper: true when it runs or
 *		was just asked for; false (run them in this process) when no
 *		background worker slot was free or the last helper failed, tried
 *		again after HELPER_RETRY_MS.  Worker only, no transaction needed.
 */
bool
indb_helper_ready(void)
{
	BackgroundWorker bgw;
	shm_toc_estimator e;
	shm_toc    *toc;
	shm_mq	   *out;
	shm_mq	   *in;
	Oid		   *dboid;
	Size		size;
	MemoryContext old;
	bool		registered;

	if (helper_seg != NULL)
		return true;
	if (GetCurrentTimestamp() < helper_retry_at)
		return false;

	shm_toc_initialize_estimator(&e);
	shm_toc_estimate_chunk(&e, sizeof(Oid));
	shm_toc_estimate_chunk(&e, HELPER_QUEUE_SIZE);
	shm_toc_estimate_chunk(&e, HELPER_QUEUE_SIZE);
	shm_toc_estimate_keys(&e, 3);
	size = shm_toc_estimate(&e);

	old = MemoryContextSwitchTo(TopMemoryContext);
	if (helper_pending.data == NULL)
		initStringInfo(&helper_pending);
	helper_seg = dsm_create(size, 0);
	dsm_pin_mapping(helper_seg);
	toc = shm_toc_create(HELPER_MAGIC, dsm_segment_address(helper_seg), size);
	dboid = shm_toc_allocate(toc, sizeof(Oid));
	*dboid = MyDatabaseId;
	shm_toc_insert(toc, 0, dboid);
	out = shm_mq_create(shm_toc_allocate(toc, HELPER_QUEUE_SIZE), HELPER_QUEUE_SIZE);
	shm_toc_insert(toc, 1, out);
	in = shm_mq_create(shm_toc_allocate(toc, HELPER_QUEUE_SIZE), HELPER_QUEUE_SIZE);
	shm_toc_insert(toc, 2, in);
	shm_mq_set_sender(out, MyProc);
	shm_mq_set_receiver(in, MyProc);
	helper_out = shm_mq_attach(out, helper_seg, NULL);
	helper_in = shm_mq_attach(in, helper_seg, NULL);

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "notify_ext");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "notify_ext_indb_helper_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "notify_ext in-database actions");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "notify_ext in-database actions");
	bgw.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(helper_seg));
	bgw.bgw_notify_pid = MyProcPid;
	registered = RegisterDynamicBackgroundWorker(&bgw, &helper_handle);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		helper_handle = NULL;
		ereport(LOG,
				(errmsg("notify_ext worker runs its in-database actions itself: no background worker slot is free"),
				 errhint("Raise max_worker_processes so that function actions do not hold up HTTP delivery.")));
		indb_helper_stop(true);
		return false;
	}
	shm_mq_set_handle(helper_out, helper_handle);
	shm_mq_set_handle(helper_in, helper_handle);
	return true;
}

/*
 * indb_helper_send
 *		Send one request to the helper without waiting.  HELPER_BUSY: the
 *		queue is full, send the same request again later; HELPER_GONE: the
 *		helper is not there (stop it).
 */
HelperSend
indb_helper_send(const TransportRequest *req)
{
	shm_mq_result r;

	if (helper_pending.len == 0)
	{
		HelperRequestHead h;

		h.kind = req->action->kind;
		h.content_type = req->action->content_type;
		h.owner = req->owner;
		h.timeout_ms = req->timeout_ms;
		appendBinaryStringInfo(&helper_pending, (char *) &h, sizeof(h));
		put_string(&helper_pending, req->notification_id);
		put_string(&helper_pending, req->event_id);
		put_string(&helper_pending, req->action->function_name);
		put_string(&helper_pending, req->action->channel);
		put_string(&helper_pending, req->payload);
	}
	r = shm_mq_send(helper_out, helper_pending.len, helper_pending.data, true, true);
	if (r == SHM_MQ_WOULD_BLOCK)
		return HELPER_BUSY;
	resetStringInfo(&helper_pending);
	return r == SHM_MQ_SUCCESS ? HELPER_SENT : HELPER_GONE;
}

/*
 * indb_helper_receive
 *		Take one result from the helper without waiting, into *res (error
 *		and answer palloc'd in CurrentMemoryContext; arg not set).  1: got
 *		one; 0: none yet; -1: the helper is gone.
 */
int
indb_helper_receive(TransportResult *res)
{
	HelperResultHead h;
	shm_mq_result r;
	Size		len;
	void	   *data;
	Size		pos = sizeof(h);

	r = shm_mq_receive(helper_in, &len, &data, true);
	if (r == SHM_MQ_WOULD_BLOCK)
		return 0;
	if (r != SHM_MQ_SUCCESS || len < sizeof(h))
		return -1;
	memcpy(&h, data, sizeof(h));
	memset(res, 0, sizeof(*res));
	res->outcome = (TransportOutcome) h.outcome;
	res->status = h.status;
	res->duration_ms = h.duration_ms;
	res->retry_after_ms = h.retry_after_ms;
	res->error = h.has_error ? get_string(data, len, &pos, false) : NULL;
	res->answer = h.has_answer ? get_string(data, len, &pos, false) : NULL;
	return 1;
}

/*
 * indb_helper_wait
 *		Wait up to timeout_ms for the helper (its results set this
 *		process's latch).  The latch is left set: the worker's loop resets
 *		it and takes it as a wake-up.
 */
void
indb_helper_wait(int timeout_ms)
{
	(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					 Max(timeout_ms, 1), NOTIFY_WAIT_EVENT);
}

/*
 * helper_take
 *		In the helper: decode one request (strings copied into
 *		CurrentMemoryContext) and queue it with the in-database transport.
 */
static void
helper_take(const char *data, Size len)
{
	HelperRequestHead h;
	TransportRequest req;
	TransportResult refusal;
	NotifyAction *action;
	Size		pos = sizeof(h);

	if (len < sizeof(h))
		elog(ERROR, "truncated message from the notify_ext delivery worker");
	memcpy(&h, data, sizeof(h));
	action = palloc0(sizeof(NotifyAction));
	action->kind = (NotifyActionKind) h.kind;
	action->content_type = (NotifyContentType) h.content_type;
	memset(&req, 0, sizeof(req));
	req.action = action;
	req.owner = h.owner;
	req.timeout_ms = h.timeout_ms;
	req.notification_id = get_string(data, len, &pos, false);
	req.event_id = get_string(data, len, &pos, false);
	action->function_name = get_string(data, len, &pos, true);
	action->channel = get_string(data, len, &pos, true);
	req.payload = get_string(data, len, &pos, false);
	(void) indb_transport.start(&req, &refusal);
}

/*
 * helper_reply
 *		In the helper: send one result back, waiting while the queue is
 *		full.  Exits when the worker is gone.
 */
static void
helper_reply(shm_mq_handle *out, const TransportResult *res)
{
	HelperResultHead h;
	StringInfoData buf;

	memset(&h, 0, sizeof(h));
	h.outcome = res->outcome;
	h.status = res->status;
	h.duration_ms = res->duration_ms;
	h.retry_after_ms = res->retry_after_ms;
	h.has_error = res->error != NULL;
	h.has_answer = res->answer != NULL;
	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, (char *) &h, sizeof(h));
	if (res->error)
		put_string(&buf, res->error);
	if (res->answer)
		put_string(&buf, res->answer);
	if (shm_mq_send(out, buf.len, buf.data, false, true) != SHM_MQ_SUCCESS)
		proc_exit(0);
	pfree(buf.data);
}

/*
 * notify_ext_indb_helper_main
 *		Entry point of the helper; main_arg is the worker's DSM handle.
 *		Receives requests (waiting for the first, then taking what else
 *		waits, up to HELPER_BATCH_MAX), runs them in one transaction
 *		(indb.c, as in the worker) and sends the results back in order.
 *		Exits when the worker detaches.
 */
void
notify_ext_indb_helper_main(Datum main_arg)
{
	dsm_segment *seg;
	shm_toc    *toc;
	shm_mq_handle *in;
	shm_mq_handle *out;
	MemoryContext batch;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "notify_ext in-database actions");
	seg = dsm_attach(DatumGetUInt32(main_arg));
	if (seg == NULL)
		proc_exit(0);
	dsm_pin_mapping(seg);
	toc = shm_toc_attach(HELPER_MAGIC, dsm_segment_address(seg));
	if (toc == NULL)
		proc_exit(0);
	shm_mq_set_receiver(shm_toc_lookup(toc, 1, false), MyProc);
	shm_mq_set_sender(shm_toc_lookup(toc, 2, false), MyProc);
	in = shm_mq_attach(shm_toc_lookup(toc, 1, false), seg, NULL);
	out = shm_mq_attach(shm_toc_lookup(toc, 2, false), seg, NULL);
	BackgroundWorkerInitializeConnectionByOid(*(Oid *) shm_toc_lookup(toc, 0, false),
											  InvalidOid, 0);
	pgstat_report_appname("notify_ext in-database actions");
	indb_run_here = true;
	indb_transport.init();
	batch = AllocSetContextCreate(TopMemoryContext, "notify_ext in-database batch",
								  ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		Size		len;
		void	   *data;
		int			n = 1;
		TransportResult res;

		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(batch);
		MemoryContextSwitchTo(batch);
		if (shm_mq_receive(in, &len, &data, false) != SHM_MQ_SUCCESS)
			proc_exit(0);
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		helper_take(data, len);
		while (n < HELPER_BATCH_MAX &&
			   shm_mq_receive(in, &len, &data, true) == SHM_MQ_SUCCESS)
		{
			helper_take(data, len);
			n++;
		}
		indb_transport.drive(0);
		while (indb_transport.next_result(&res))
			helper_reply(out, &res);
	}
}
