/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The per-database delivery worker: claim, send, record.
 *
 * One worker serves one database (the launcher starts it).  Its loop:
 *
 *	1. In one short transaction: record the outcomes of finished attempts
 *	   (outbox_record) and claim the next pending rows in id order
 *	   (outbox_claim: status in_flight, with a lease).  Claimed rows are
 *	   appended to in-memory lanes.
 *	2. With no transaction open: start a transfer for the head event of
 *	   every idle lane (transport/http.c, libcurl multi), up to
 *	   notify_ext.max_inflight, and drive the transfers.
 *	3. Sleep on the latch when there is nothing to do.  Committing
 *	   transactions that captured events set the latch (shmem.c);
 *	   notify_ext.naptime is the backstop.
 *
 * Ordering.  A lane is a strict FIFO: its next event starts only when the
 * previous one is delivered or has failed for good, and a retry keeps its
 * place at the head.  An event's lane is its action's thread group when it
 * has one (one lane across entities and endpoints); otherwise the pair
 * (endpoint, entity), or the endpoint alone when the notification asks for
 * endpoint ordering.  Rows are claimed in id order, and a transaction that
 * commits late has its rows claimed when it commits.  Capture serialises
 * the writers of a strict lane (group, endpoint) with an advisory lock, so
 * their ids follow commit order; an entity's updates are ordered by its row
 * lock.  Different lanes run
 * in parallel over several keep-alive connections.
 *
 * Crash safety.  The outbox is the only truth.  A worker that starts
 * returns every in_flight row to pending (only one worker serves a
 * database, so those rows belong to a worker that is gone) and delivers
 * them again: at least once.  Failed deliveries are data on the outbox row,
 * never an ERROR: an ERROR inside a transaction here is reported, the
 * transaction is rolled back and the loop goes on.
 *
 * Pause.  Every transaction that records and claims first asks
 * delivery_site.c whether this database may deliver (not when it was
 * restored or copied from another database, nor after
 * notify.pause_delivery()).  While it may not, nothing is claimed or
 * started; transfers already running finish and are recorded.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "commands/dbcommands.h"
#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "lib/ilist.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/acl.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "common/compat.h"
#include "definition/definition_cache.h"
#include "delivery/delivery_site.h"
#include "encode/encode.h"
#include "guc.h"
#include "notify_ext.h"
#include "outbox/outbox.h"
#include "bgw/shmem.h"
#include "common/subxact.h"
#include "transport/http.h"
#include "delivery/worker.h"

/*
 * Retention runs every tenth of the shorter retention period, between 10 s
 * and 10 min: a purge scans the outbox, and rows live at most 10% longer
 * than their retention.
 */
#define PURGE_MIN_MS		10000
#define PURGE_MAX_MS		600000

/*
 * A database without the extension is looked at again only after this many
 * launcher periods: its first captured event asks for a worker at once.
 */
#define IDLE_HOLD_PERIODS	10
#define POLL_SLICE_MS		2
#define RECORD_DELAY_MS		20

typedef struct Lane Lane;

/*
 * What the worker needs of one notification, copied out of the definition
 * cache (which may be rebuilt while events wait) and shared by its events.
 * A copy made before the cache changed stays alive until its last event
 * is done.
 */
typedef struct ActionRef
{
	char		id[NAMEDATALEN];	/* hash key: notification id */
	MemoryContext context;		/* holds this and the strings */
	int			refcount;		/* events pointing here */
	bool		current;		/* still in action_map */
	bool		known;			/* the notification exists */
	NotifyAction action;
	Oid			owner;
	char	   *lane_prefix;	/* group, endpoint, or endpoint + entity */
	bool		per_entity;		/* lane_prefix is completed by the entity */
} ActionRef;

typedef struct ActionEntry
{
	char		id[NAMEDATALEN];
	ActionRef  *ref;
} ActionEntry;

/* One claimed event, held until it is delivered or has failed for good */
typedef struct Event
{
	dlist_node	node;			/* in lane->queue */
	Lane	   *lane;
	OutboxRow  *row;
	ActionRef  *ref;
	TimestampTz started;
} Event;

struct Lane
{
	uint64		key;			/* hash key */
	dlist_head	queue;			/* Event */
	bool		busy;			/* its head is being sent */
	bool		listed;			/* in ready or waiting */
	dlist_node	lnode;
};

static int	slotno;
static MemoryContext event_context;
static HTAB *lanes;
static HTAB *action_map;
static uint64 action_generation = 0;
static int64 claim_hint = 0;	/* ids up to here were claimed already */
static dlist_head ready_lanes;	/* head due now */
static dlist_head waiting_lanes;	/* head waits for its next attempt */
static int	buffered = 0;
static List *outcomes = NIL;	/* OutboxOutcome *, in event_context */
static TimestampTz outcomes_since = 0;	/* when the oldest was added */
static List *indb_batch = NIL;	/* Event * of function/channel actions */
static bool extension_gone = false;
static bool cache_refreshed = false;	/* definition_cache_refresh done in
										 * this transaction */
static bool delivery_paused = true;	/* until the first check says otherwise */
static char database_name[NAMEDATALEN];

/* ----------------------------------------------------------------
 *		lanes
 * ----------------------------------------------------------------
 */

static void
lane_list(Lane *lane)
{
	Event	   *head;

	if (lane->listed)
		dlist_delete(&lane->lnode);
	lane->listed = false;
	if (lane->busy || dlist_is_empty(&lane->queue))
		return;
	head = dlist_head_element(Event, node, &lane->queue);
	if (head->row->next_attempt_at <= GetCurrentTimestamp())
		dlist_push_tail(&ready_lanes, &lane->lnode);
	else
		dlist_push_tail(&waiting_lanes, &lane->lnode);
	lane->listed = true;
}

static void
action_release(ActionRef *ref)
{
	if (--ref->refcount == 0 && !ref->current)
		MemoryContextDelete(ref->context);
}

/* Forget every copy: the definitions changed */
static void
action_map_reset(void)
{
	HASH_SEQ_STATUS status;
	ActionEntry *e;

	hash_seq_init(&status, action_map);
	while ((e = hash_seq_search(&status)) != NULL)
	{
		ActionRef  *ref = e->ref;

		hash_search(action_map, e->id, HASH_REMOVE, NULL);
		ref->current = false;
		if (ref->refcount == 0)
			MemoryContextDelete(ref->context);
	}
}

static char *
copy_str(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

/* The shared copy of a notification's action; runs in a transaction */
static ActionRef *
action_get(const char *id)
{
	CachedNotification *cn;
	ActionEntry *e;
	ActionRef  *ref;
	MemoryContext ctx;
	MemoryContext old;
	bool		found;

	if (strlen(id) >= NAMEDATALEN)
		id = "";
	cn = definition_cache_get(id);

	/*
	 * Not in the cache: the notification may be newer than this
	 * transaction's snapshot (see definition_cache_refresh).  Look once
	 * more, once per transaction, before calling it gone.
	 */
	if (cn == NULL && !cache_refreshed)
	{
		cn = definition_cache_refresh(id);
		cache_refreshed = true;
	}

	if (definition_cache_generation() != action_generation)
	{
		action_map_reset();
		action_generation = definition_cache_generation();
	}
	e = hash_search(action_map, id, HASH_ENTER, &found);
	if (found)
	{
		e->ref->refcount++;
		return e->ref;
	}

	ctx = AllocSetContextCreate(event_context, "notify_ext action",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(ctx);
	ref = palloc0(sizeof(ActionRef));
	strlcpy(ref->id, id, NAMEDATALEN);
	ref->context = ctx;
	ref->current = true;
	ref->refcount = 1;
	if (cn != NULL)
	{
		const NotifyAction *a = &cn->def->action;

		ref->known = true;
		ref->owner = cn->owner;
		ref->action = *a;
		ref->action.group = copy_str(a->group);
		ref->action.url = copy_str(a->url);
		ref->action.sqs_endpoint = copy_str(a->sqs_endpoint);
		ref->action.sqs_queue = copy_str(a->sqs_queue);
		ref->action.sqs_access_key = copy_str(a->sqs_access_key);
		ref->action.sqs_secret = copy_str(a->sqs_secret);
		ref->action.sqs_region = copy_str(a->sqs_region);
		ref->action.function_name = copy_str(a->function_name);
		ref->action.channel = copy_str(a->channel);
		ref->lane_prefix = pstrdup(cn->lane_prefix);
		ref->per_entity = cn->lane_per_entity;
	}
	else
		ref->lane_prefix = psprintf("n:%s", id);
	MemoryContextSwitchTo(old);
	e->ref = ref;
	return ref;
}

static uint64
lane_key(const ActionRef *ref, const OutboxRow *row)
{
	uint64		h = hash_bytes_extended((const unsigned char *) ref->lane_prefix,
										strlen(ref->lane_prefix), 0);

	if (ref->per_entity)
	{
		h = hash_combine64(h, hash_bytes_extended((const unsigned char *) row->resource,
												  strlen(row->resource), 0));
		if (row->entity_id)
			h = hash_combine64(h, hash_bytes_extended((const unsigned char *) row->entity_id,
													  strlen(row->entity_id), 1));
	}
	return h;
}

/* Take a claimed row into its lane; runs inside the claim transaction */
static void
event_enqueue(OutboxRow *row)
{
	Event	   *ev;
	Lane	   *lane;
	uint64		key;
	bool		found;
	MemoryContext old = MemoryContextSwitchTo(event_context);

	ev = palloc0(sizeof(Event));
	ev->row = row;
	ev->ref = action_get(row->notification_id);
	key = lane_key(ev->ref, row);
	lane = hash_search(lanes, &key, HASH_ENTER, &found);
	if (!found)
	{
		dlist_init(&lane->queue);
		lane->busy = false;
		lane->listed = false;
	}
	ev->lane = lane;
	dlist_push_tail(&lane->queue, &ev->node);
	buffered++;
	if (!lane->busy && !lane->listed)
		lane_list(lane);
	if (row->id > claim_hint)
		claim_hint = row->id;
	MemoryContextSwitchTo(old);
}

static void
event_free(Event *ev)
{
	OutboxRow  *r = ev->row;

	if (r->event_id)
		pfree(r->event_id);
	if (r->notification_id)
		pfree(r->notification_id);
	if (r->resource)
		pfree(r->resource);
	if (r->event)
		pfree(r->event);
	if (r->entity_id)
		pfree(r->entity_id);
	if (r->payload)
		pfree(r->payload);
	pfree(r);
	action_release(ev->ref);
	pfree(ev);
}

/* ----------------------------------------------------------------
 *		outcomes
 * ----------------------------------------------------------------
 */

/* Backoff before attempt `attempt` + 1: exponential, jittered, capped */
static int64
backoff_ms(int attempt, int retry_after_ms)
{
	double		d = (double) notify_ext_backoff_base * pow(2.0, Max(attempt - 1, 0));
	int64		ms;

	if (d > notify_ext_backoff_max)
		d = notify_ext_backoff_max;
	ms = (int64) (d / 2 + pg_prng_double(&pg_global_prng_state) * d / 2);
	if (retry_after_ms > ms)
		ms = Min(retry_after_ms, notify_ext_backoff_max);
	return ms;
}

/*
 * Decide what an attempt means and queue the outcome.  The lane is freed
 * for its next event unless the event will be tried again.
 */
static void
event_finish(Event *ev, bool delivered, bool retryable, int status_code,
			 const char *error, int retry_after_ms)
{
	MemoryContext old = MemoryContextSwitchTo(event_context);
	OutboxOutcome *o = palloc0(sizeof(OutboxOutcome));
	Lane	   *lane = ev->lane;
	TimestampTz now = GetCurrentTimestamp();

	o->id = ev->row->id;
	o->attempt = ev->row->attempts + 1;
	o->attempted_at = ev->started ? ev->started : now;
	o->duration_ms = ev->started ? (int) ((now - ev->started) / 1000) : 0;
	o->status_code = status_code;
	o->error = error ? pstrdup(error) : NULL;

	lane->busy = false;
	if (delivered)
		o->status = "delivered";
	else if (retryable && !ev->ref->action.synchronous &&
			 o->attempt - ev->row->attempts_base <= ev->ref->action.retry)
	{
		o->status = "in_flight";
		o->next_attempt_at = TimestampTzPlusMilliseconds(now,
														 backoff_ms(o->attempt, retry_after_ms));
		ev->row->attempts = o->attempt;
		ev->row->next_attempt_at = o->next_attempt_at;
	}
	else
		o->status = "failed";
	if (outcomes == NIL)
		outcomes_since = now;
	outcomes = lappend(outcomes, o);

	if (strcmp(o->status, "in_flight") != 0)
	{
		dlist_delete(&ev->node);
		buffered--;
		event_free(ev);
	}
	if (dlist_is_empty(&lane->queue))
	{
		if (lane->listed)
			dlist_delete(&lane->lnode);
		hash_search(lanes, &lane->key, HASH_REMOVE, NULL);
	}
	else
		lane_list(lane);
	MemoryContextSwitchTo(old);
}

static void
collect_http_results(void)
{
	HttpResult	res;

	while (http_next_result(&res))
	{
		char	   *given = res.error;

		Event	   *ev = res.arg;
		bool		ok = res.delivered;
		bool		retryable;
		char	   *err = res.error;

		if (ok || res.refused)
			retryable = false;
		else if (res.curl_code != 0)
			retryable = true;	/* no complete answer, whatever the status */
		else if (res.status >= 500 || res.status == 429 || res.status == 408)
			retryable = true;
		else if (res.status == 0)
			retryable = true;
		else
			retryable = false;	/* 1xx, 3xx (redirects are not followed), 4xx */

		if (!ok && err == NULL)
			err = psprintf("HTTP status %ld", res.status);
		event_finish(ev, ok, retryable, (int) res.status, err, res.retry_after_ms);
		if (given)
			pfree(given);
	}
}

/* ----------------------------------------------------------------
 *		in-database actions (function, channel)
 * ----------------------------------------------------------------
 */

typedef struct IndbCall
{
	Event	   *ev;
	bool		delivered;
	char	   *error;
} IndbCall;

/*
 * indb_check_owner
 *		The role an in-database action runs as: the notification's owner,
 *		which must still exist.  ERROR otherwise: never the worker's role.
 */
static Oid
indb_check_owner(const Event *ev)
{
	Oid			owner = ev->ref->owner;

	if (!OidIsValid(owner) ||
		!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u, the owner of notification \"%s\", does not exist",
						owner, ev->row->notification_id),
				 errhint("Actions run as the role that created the notification; create the notification again as an existing role.")));
	return owner;
}

/*
 * indb_call_function
 *		Call the event function of a <function> action with the event as
 *		jsonb, as role `owner`.
 *
 * The call runs the way core runs a table owner's code in maintenance
 * commands: as that role, in a security-restricted operation (no SET ROLE,
 * SET SESSION AUTHORIZATION or other escapes into the worker's superuser
 * session), under its own GUC nest level whose changes are all rolled
 * back afterwards (so the function sees the session's normal settings, not
 * the worker's, and leaves nothing behind), and under
 * notify_ext.function_timeout.  The owner's privileges to use the
 * function (USAGE on its schema, EXECUTE) are checked at every call.  Sets call->delivered, or call->error when the function
 * returned NULL; ERRORs otherwise.
 */
static void
indb_call_function(IndbCall *call, Oid owner)
{
	Event	   *ev = call->ev;
	Oid			argtypes[1] = {JSONBOID};
	Oid			fn;
	FmgrInfo	flinfo;
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;

	LOCAL_FCINFO(fcinfo, 1);

	fn = LookupFuncName(stringToQualifiedNameList(ev->ref->action.function_name),
						1, argtypes, false);
	if (pg_namespace_aclcheck(get_func_namespace(fn), owner, ACL_USAGE) != ACLCHECK_OK ||
		pg_proc_aclcheck(fn, owner, ACL_EXECUTE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s",
						ev->ref->action.function_name),
				 errdetail("The action runs as role \"%s\".",
						   GetUserNameFromId(owner, false))));
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = DirectFunctionCall1(jsonb_in,
												CStringGetDatum(ev->row->payload));
	fcinfo->args[0].isnull = false;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	if (notify_ext_function_timeout > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, notify_ext_function_timeout);
	PG_TRY();
	{
		(void) FunctionCallInvoke(fcinfo);
		CHECK_FOR_INTERRUPTS();
	}
	PG_FINALLY();
	{
		if (notify_ext_function_timeout > 0)
			disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_END_TRY();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);

	if (fcinfo->isnull)
		call->error = pstrdup("function returned NULL: the event was not accepted");
	else
		call->delivered = true;
}

/* Run one in-database action; called inside a subtransaction */
static void
indb_call(void *arg)
{
	IndbCall   *call = arg;
	Event	   *ev = call->ev;
	Oid			owner = indb_check_owner(ev);

	if (ev->ref->action.kind == NA_FUNCTION)
		indb_call_function(call, owner);
	else
	{
		Oid			save_userid;
		int			save_sec;
		size_t		len;
		char	   *body = encode_body(ev->row->payload, ev->ref->action.content_type, &len);

		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		Async_Notify(ev->ref->action.channel, body);
		SetUserIdAndSecContext(save_userid, save_sec);
		call->delivered = true;
	}
}

/*
 * Deliver a function or channel event, as the notification's creator, in a
 * subtransaction of the worker's transaction: an error is the outcome of
 * this attempt (retried like a 5xx), never the worker's.
 */
static void
deliver_indb(Event *ev)
{
	IndbCall	call = {ev, false, NULL};
	char	   *error = NULL;

	ev->started = GetCurrentTimestamp();
	if (!subxact_run(indb_call, &call, &error))
		event_finish(ev, false, true, 0, error, -1);
	else
		event_finish(ev, call.delivered, false, 0, call.error, -1);
}

/* ----------------------------------------------------------------
 *		transactions
 * ----------------------------------------------------------------
 */

typedef enum TxnWork
{
	TXN_SYNC,					/* record outcomes, claim, maybe purge */
	TXN_INDB,					/* run in-database actions */
	TXN_RECLAIM					/* start-up */
} TxnWork;

/*
 * Run one short transaction.  Returns false, with the error reported and
 * the transaction rolled back, if anything in it failed.
 */
static bool
run_transaction(TxnWork work, int claim_limit, bool purge, int *claimed)
{
	MemoryContext saved = CurrentMemoryContext;
	volatile bool ok = true;

	*claimed = 0;
	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		cache_refreshed = false;
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "notify_ext delivery");

		/*
		 * The worker's statements are planned once and kept.  Planned while
		 * the outbox is empty (or just vacuumed), a plan could scan the
		 * whole table for every claim and record; every statement here has
		 * an index to use, except the purge, which scans anyway.  Make the
		 * planner use them, in this transaction only: in-database actions
		 * run in transactions of their own with the session's settings.
		 */
		if (work != TXN_INDB)
			(void) set_config_option("enable_seqscan", "off", PGC_SUSET,
									 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0,
									 false);

		if (!OidIsValid(notify_catalog()->schema))
			extension_gone = true;
		else if (work == TXN_INDB)
		{
			ListCell   *lc;

			foreach(lc, indb_batch)
				deliver_indb((Event *) lfirst(lc));
		}
		else
		{
			if (SPI_connect() != SPI_OK_CONNECT)
				elog(ERROR, "SPI_connect failed");
			if (work == TXN_RECLAIM)
			{
				uint64		n = outbox_reclaim_all();

				if (n > 0)
					ereport(LOG,
							(errmsg("notify_ext worker took back " UINT64_FORMAT " in-flight events of a previous worker", n)));
			}
			else
			{
				List	   *rows;
				ListCell   *lc;

				/*
				 * The outbox before notify.delivery_site, in the order DROP
				 * EXTENSION locks them, so that the two never deadlock
				 */
				LockRelationOid(notify_catalog()->outbox, RowExclusiveLock);
				outbox_record(outcomes);
				/* a restored or copied database, or a pause: claim nothing */
				delivery_paused = delivery_site_paused(database_name);
				if (claim_limit > 0 && !delivery_paused)
				{
					/* claimed rows live as long as their events */
					MemoryContext old = MemoryContextSwitchTo(event_context);

					rows = outbox_claim(claim_limit, claim_hint);
					foreach(lc, rows)
						event_enqueue((OutboxRow *) lfirst(lc));
					*claimed = list_length(rows);
					list_free(rows);
					MemoryContextSwitchTo(old);
				}
				if (purge)
					(void) outbox_purge();
			}
			SPI_finish();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
		pgstat_report_stat(false);
		pgstat_report_activity(STATE_IDLE, NULL);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(saved);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		pgstat_report_activity(STATE_IDLE, NULL);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(saved);
	return ok;
}

/* ----------------------------------------------------------------
 *		dispatch
 * ----------------------------------------------------------------
 */

static void
promote_waiting(TimestampTz now, long *sleep_ms)
{
	dlist_mutable_iter it;

	dlist_foreach_modify(it, &waiting_lanes)
	{
		Lane	   *lane = dlist_container(Lane, lnode, it.cur);
		Event	   *head = dlist_head_element(Event, node, &lane->queue);

		if (head->row->next_attempt_at <= now)
		{
			dlist_delete(&lane->lnode);
			dlist_push_tail(&ready_lanes, &lane->lnode);
		}
		else
		{
			long		ms = (long) ((head->row->next_attempt_at - now) / 1000) + 1;

			if (ms < *sleep_ms)
				*sleep_ms = ms;
		}
	}
}

/*
 * Encode an event's body.  The encoder ERRORs only on a payload that is not
 * the multi-map capture writes (a row someone wrote by hand): that is the
 * event's failure, not the worker's.  The encoder is pure (memory only), so
 * the error is caught here without a transaction.  Returns NULL with
 * *error set then.
 */
static char *
encode_payload(const char *payload, NotifyContentType ct, size_t *len,
			   char **error)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *volatile body = NULL;

	PG_TRY();
	{
		body = encode_body(payload, ct, len);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		*error = psprintf("the event's payload cannot be encoded: %s", edata->message);
		FreeErrorData(edata);
		body = NULL;
	}
	PG_END_TRY();
	return body;
}

/*
 * Start the head event of ready lanes while there is room.  Runs in the
 * loop's short-lived context: the transport keeps its own copy of a body.
 */
static void
dispatch(void)
{
	while (!dlist_is_empty(&ready_lanes) &&
		   http_inflight() + list_length(indb_batch) < notify_ext_max_inflight)
	{
		Lane	   *lane = dlist_container(Lane, lnode, dlist_pop_head_node(&ready_lanes));
		Event	   *ev = dlist_head_element(Event, node, &lane->queue);
		const NotifyAction *action = &ev->ref->action;

		lane->listed = false;
		lane->busy = true;
		ev->started = GetCurrentTimestamp();

		if (!ev->ref->known)
			event_finish(ev, false, false, 0,
						 psprintf("notification \"%s\" no longer exists",
								  ev->row->notification_id), -1);
		else if (action->kind == NA_HTTP)
		{
			size_t		len;
			char	   *error = NULL;
			char	   *body = encode_payload(ev->row->payload, action->content_type,
											  &len, &error);

			if (body == NULL)
				event_finish(ev, false, false, 0, error, -1);
			else
			{
				if (!http_start(ev, action, body, len,
								content_type_name(action->content_type),
								ev->row->event_id, ev->row->notification_id, &error))
					event_finish(ev, false, false, 0, error, -1);
				pfree(body);
			}
		}
		else if (action->kind == NA_SQS)
			event_finish(ev, false, false, 0,
						 "sqs delivery is not available in this version of notify_ext", -1);
		else
		{
			MemoryContext old = MemoryContextSwitchTo(event_context);

			indb_batch = lappend(indb_batch, ev);
			MemoryContextSwitchTo(old);
		}
	}
}

/* ----------------------------------------------------------------
 *		main
 * ----------------------------------------------------------------
 */

static void
worker_shmem_exit(int code, Datum arg)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	if (slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->latch = NULL;
	}
	LWLockRelease(notify_shared->lock);
}

static void
worker_attach(void)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];
	bool		taken = false;

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	if (slot->pid != 0 && slot->pid != MyProcPid)
		taken = true;
	else
	{
		slot->pid = MyProcPid;
		slot->latch = MyLatch;
	}
	LWLockRelease(notify_shared->lock);
	if (taken)
	{
		ereport(LOG,
				(errmsg("notify_ext worker for this database is already running")));
		proc_exit(0);
	}
	on_shmem_exit(worker_shmem_exit, (Datum) 0);
}

/* The extension is not (or no longer) installed: leave until asked again */
static void
worker_leave(void)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	slot->hold_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												   (int64) notify_ext_launcher_naptime * IDLE_HOLD_PERIODS);
	LWLockRelease(notify_shared->lock);
	http_abort_all();
	proc_exit(0);
}

/*
 * notify_ext_worker_main
 *		Entry point of a per-database delivery worker; main_arg is its slot.
 */
void
notify_ext_worker_main(Datum main_arg)
{
	HASHCTL		ctl;
	TimestampTz next_timer = 0;
	TimestampTz next_purge = 0;
	bool		claim_more = true;
	int			claimed;
	MemoryContext loop_context;

	slotno = DatumGetInt32(main_arg);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(notify_shared->slots[slotno].dboid,
											  InvalidOid, 0);
	pgstat_report_appname("notify_ext worker");
	worker_attach();

	StartTransactionCommand();
	strlcpy(database_name, get_database_name(MyDatabaseId), NAMEDATALEN);
	CommitTransactionCommand();

	event_context = AllocSetContextCreate(TopMemoryContext, "notify_ext events",
										  ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(uint64);
	ctl.entrysize = sizeof(Lane);
	ctl.hcxt = event_context;
	lanes = hash_create("notify_ext lanes", 1024, &ctl,
						HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = NAMEDATALEN;
	ctl.entrysize = sizeof(ActionEntry);
	ctl.hcxt = event_context;
	action_map = hash_create("notify_ext actions", 64, &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	dlist_init(&ready_lanes);
	dlist_init(&waiting_lanes);

	loop_context = AllocSetContextCreate(TopMemoryContext, "notify_ext worker loop",
										 ALLOCSET_DEFAULT_SIZES);
	http_init();

	while (!run_transaction(TXN_RECLAIM, 0, false, &claimed))
	{
		if (extension_gone)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000, NOTIFY_WAIT_EVENT);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (extension_gone)
		worker_leave();
	ereport(LOG, (errmsg("notify_ext worker started")));

	for (;;)
	{
		TimestampTz now;
		long		sleep_ms = notify_ext_naptime;
		bool		want_claim;
		bool		record_due;
		bool		purge;

		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(loop_context);
		MemoryContextSwitchTo(loop_context);
		CHECK_FOR_INTERRUPTS();
		/* transfers keep the loop off WaitLatch: watch the postmaster here */
		if (!PostmasterIsAlive())
			proc_exit(1);
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			http_configure();
			next_purge = 0;		/* retention may have changed */
			claim_more = true;	/* and look at the delivery site again */
			/* no longer to be served: in-flight rows are taken back on return */
			if (!launcher_database_configured(database_name))
			{
				ereport(LOG,
						(errmsg("notify_ext worker stops: database \"%s\" is no longer in notify_ext.databases",
								database_name)));
				worker_leave();
			}
		}
		if (MyLatch->is_set)
		{
			ResetLatch(MyLatch);
			claim_more = true;
		}

		now = GetCurrentTimestamp();
		if (now >= next_timer)
		{
			claim_more = true;
			next_timer = TimestampTzPlusMilliseconds(now, notify_ext_naptime);
		}
		purge = (now >= next_purge);

		/*
		 * Claim when there is room for a whole batch (or for anything at all
		 * while the buffer is small), so that a full buffer is refilled in
		 * batches rather than a few rows per pass.  Record outcomes in
		 * batches too: when many have gathered, when nothing is in flight,
		 * or when the oldest has waited RECORD_DELAY_MS.
		 */
		want_claim = claim_more &&
			(delivery_paused ||
			 notify_ext_max_buffered - buffered >=
			 Min(notify_ext_batch_size, notify_ext_max_buffered / 2));
		record_due = outcomes != NIL &&
			(list_length(outcomes) >= notify_ext_batch_size ||
			 http_inflight() == 0 ||
			 TimestampDifferenceExceeds(outcomes_since, now, RECORD_DELAY_MS));

		if (record_due || want_claim || purge)
		{
			int			limit = want_claim ?
				Min(notify_ext_batch_size, notify_ext_max_buffered - buffered) : 0;

			if (run_transaction(TXN_SYNC, limit, purge, &claimed))
			{
				ListCell   *lc;

				foreach(lc, outcomes)
				{
					OutboxOutcome *o = lfirst(lc);

					if (o->error)
						pfree(o->error);
				}
				list_free_deep(outcomes);
				outcomes = NIL;
				claim_more = (limit > 0 && claimed == limit);
				/* a short claim: look from the start next time (late commits) */
				if (limit > 0 && claimed < limit)
					claim_hint = 0;
				if (purge)
				{
					int64		interval = (int64) Min(notify_ext_retention_delivered,
													   notify_ext_retention_failed) * 100;

					interval = Max(PURGE_MIN_MS, Min(PURGE_MAX_MS, interval));
					next_purge = TimestampTzPlusMilliseconds(now, interval);
				}
			}
			else
			{
				if (extension_gone)
					worker_leave();
				/* keep the outcomes; try again after a pause */
				(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
								 1000, NOTIFY_WAIT_EVENT);
				continue;
			}
			if (extension_gone)
				worker_leave();
		}

		promote_waiting(GetCurrentTimestamp(), &sleep_ms);
		if (!delivery_paused)
			dispatch();

		if (indb_batch != NIL)
		{
			run_transaction(TXN_INDB, 0, false, &claimed);
			list_free(indb_batch);
			indb_batch = NIL;
			continue;
		}

		if (http_inflight() > 0)
		{
			http_poll(POLL_SLICE_MS);
			collect_http_results();
		}
		else if (outcomes == NIL && !want_claim &&
				 (delivery_paused || dlist_is_empty(&ready_lanes)))
		{
			int			rc;

			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   Max(sleep_ms, 1), NOTIFY_WAIT_EVENT);
			if (rc & WL_LATCH_SET)
			{
				ResetLatch(MyLatch);
				claim_more = true;
			}
		}
	}
}
