/*-------------------------------------------------------------------------
 *
 * sync.c
 *	  Synchronous actions (synchronous="true"): delivered by the backend
 *	  that made the change, inside its transaction, before it commits.
 *
 * Capture queues a synchronous match in memory instead of writing an
 * outbox row (capture/sync_queue.c).  This file delivers that queue at
 * XACT_EVENT_PRE_COMMIT, from a transaction callback: after the deferred
 * triggers have fired (so every change of the transaction is captured) and
 * before the commit record, so a receiver gets the event while the change
 * is still invisible to every other session, and an ERROR raised here
 * aborts the transaction: the client's COMMIT (or the statement of an
 * implicit transaction) fails with that error and nothing of the change
 * remains, asynchronous outbox rows included.
 *
 * Order: the events of earlier row changes first; within one change, the
 * notifications by ascending id number (VX-2 before VX-10).  Events that a
 * function action's own changes raise are delivered after the current
 * list.  Every action is tried once (never retried); the first that does
 * not continue stops: the transaction fails with SQLSTATE 09000
 * (triggered_action_exception) naming the notification, the outcome and
 * the target (URL with its password masked), and the remaining events are
 * not sent.  What continues, per the action reference's synchronous
 * column:
 *	http		a complete 2xx answer; connection failure, timeout, a host
 *				refused by the SSRF guard, 1xx, 3xx, 4xx and 5xx stop
 *	function	a non-NULL result; NULL or an ERROR stops
 *	channel		the NOTIFY was queued (it is sent at commit, as NOTIFY
 *				always is); only an error queuing it (a payload too long)
 *				stops
 *	sqs, sns	a 2xx answer of SQS SendMessage (after GetQueueUrl for a
 *				queue given by name) or SNS Publish: the message is in the
 *				queue or topic before the commit; no usable credentials, an
 *				endpoint the host lists refuse, connection failure, timeout
 *				and any other status (a wrong secret's 403, a missing
 *				queue's 400) stop
 *
 * A function action runs as in the worker (transport/indb.c: the owner,
 * security-restricted, a subtransaction), with search_path
 * pg_catalog, pg_temp: the changing session's search_path is not the
 * owner's to trust.  A session with temporary objects whose role may not
 * act as the owner does not run it at all (sync_foreign_temp): the stop
 * is the action's failure.
 *
 * Limits: each call gets the smaller of its own timeout (http <timeout>,
 * notify_ext.function_timeout; 0 or none means no own limit) and
 * notify_ext.sync_timeout_max, and never more than what is left of
 * statement_timeout (which this file arms for the commit's synchronous
 * calls when the statement's own timer is not running).  HTTP and SQS go
 * through the transport's ops (transport.h), driven here in slices of at
 * most SYNC_SLICE_MS with CHECK_FOR_INTERRUPTS and a postmaster check, so
 * pg_cancel_backend, statement_timeout and postmaster death end the wait.
 * The transport's multi handle lives for the backend, so keep-alive
 * connections are reused by the next synchronous call.  The SSRF guard
 * and the masking of http.c apply unchanged.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/sync.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "miscadmin.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
#include "utils/timestamp.h"

#include "capture/sync_queue.h"
#include "common/text_escape.h"
#include "common/url.h"
#include "definition/definition_cache.h"
#include "delivery/sync.h"
#include "encode/encode.h"
#include "guc.h"
#include "notify_ext.h"
#include "transport/transport.h"

#define SYNC_SLICE_MS	100		/* longest wait between interrupt checks */

/*
 * sync_event_order
 *		list_sort comparator: earlier change first, then lower id number.
 */
static int
sync_event_order(const ListCell *a, const ListCell *b)
{
	const SyncEvent *x = lfirst(a);
	const SyncEvent *y = lfirst(b);

	if (x->change != y->change)
		return x->change < y->change ? -1 : 1;
	if (x->number != y->number)
		return x->number < y->number ? -1 : 1;
	return 0;
}

/*
 * sync_statement_deadline
 *		When statement_timeout ends the current statement, or 0 for never.
 */
static TimestampTz
sync_statement_deadline(void)
{
	if (get_timeout_active(STATEMENT_TIMEOUT))
		return get_timeout_finish_time(STATEMENT_TIMEOUT);
	return 0;
}

/*
 * sync_limit_ms
 *		The time limit of one synchronous call: own_ms (0: none) capped by
 *		notify_ext.sync_timeout_max and by the statement deadline, plus
 *		grace_ms when the statement deadline is what binds (so that
 *		statement_timeout's own cancel, not this limit, ends the call).  At
 *		least 1 ms.
 */
static int
sync_limit_ms(int own_ms, TimestampTz stmt_deadline, int grace_ms)
{
	int			limit = notify_ext_sync_timeout_max;

	if (own_ms > 0 && own_ms < limit)
		limit = own_ms;
	if (stmt_deadline != 0)
	{
		long		secs;
		int			usecs;

		TimestampDifference(GetCurrentTimestamp(), stmt_deadline, &secs, &usecs);
		if (secs * 1000 + usecs / 1000 < limit)
			limit = (int) (secs * 1000 + usecs / 1000) + grace_ms;
	}
	return Max(limit, 1);
}

/*
 * sync_no_answer
 *		Fill *res: no answer within limit_ms.
 */
static void
sync_no_answer(TransportResult *res, int limit_ms)
{
	res->outcome = TRANSPORT_NO_ANSWER;
	res->status = 0;
	res->error = psprintf("no answer within %d ms", limit_ms);
	res->answer = NULL;
}

/*
 * sync_call_transport
 *		One attempt of req through an asynchronous transport's ops, waited
 *		for in this backend for at most limit_ms; fills *res.
 *
 * Waits in slices of SYNC_SLICE_MS with CHECK_FOR_INTERRUPTS (a cancel or
 * statement_timeout ERRORs out of here) and exits with FATAL when the
 * postmaster died.  On a deadline or an ERROR every attempt of the
 * transport is dropped (abort_all; in a backend only this one runs), so
 * nothing outlives the call.
 */
static void
sync_call_transport(const TransportOps *ops, const TransportRequest *req,
					int limit_ms, TransportResult *res)
{
	static bool http_ready = false;
	static bool sqs_ready = false;
	bool	   *ready = ops == &http_transport ? &http_ready : &sqs_ready;
	TimestampTz deadline;

	if (!*ready)
	{
		ops->init();
		*ready = true;
	}
	if (ops->inflight() > 0)
	{
		/* the delivery worker's own transfers: not ours to drive or drop */
		res->outcome = TRANSPORT_REFUSED;
		res->error = pstrdup("synchronous actions cannot be delivered by a process with asynchronous deliveries in flight");
		return;
	}
	ops->configure();

	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), limit_ms);
	PG_TRY();
	{
		if (ops->start(req, res))
		{
			for (;;)
			{
				TimestampTz now;
				long		secs;
				int			usecs;
				long		left;

				if (ops->next_result(res))
					break;
				now = GetCurrentTimestamp();
				if (now >= deadline)
				{
					ops->abort_all();
					sync_no_answer(res, limit_ms);
					break;
				}
				TimestampDifference(now, deadline, &secs, &usecs);
				left = secs * 1000 + usecs / 1000;
				ops->drive((int) Max(Min(left, SYNC_SLICE_MS), 1));
				if (!PostmasterIsAlive())
					ereport(FATAL,
							(errcode(ERRCODE_ADMIN_SHUTDOWN),
							 errmsg("terminating connection due to unexpected postmaster exit")));
				CHECK_FOR_INTERRUPTS();
			}
		}
	}
	PG_CATCH();
	{
		ops->abort_all();
		PG_RE_THROW();
	}
	PG_END_TRY();
}

/*
 * sync_target
 *		What an action is sent to, for messages: the URL with its user
 *		information's password masked, the function, the channel, or the
 *		queue or topic and its endpoint; quoted and cut as every value in a
 *		message.
 */
static char *
sync_target(const NotifyAction *a)
{
	const char *endpoint = a->sqs_endpoint ?
		notify_url_mask(a->sqs_endpoint, NOTIFY_MASK_AUTHORITY) : "";

	switch (a->kind)
	{
		case NA_HTTP:
			return notify_quote_value(notify_url_mask(a->url, NOTIFY_MASK_AUTHORITY));
		case NA_FUNCTION:
			return psprintf("function %s", notify_quote_value(a->function_name));
		case NA_CHANNEL:
			return psprintf("channel %s", notify_quote_value(a->channel));
		case NA_SQS:
			return psprintf("queue %s at %s", notify_quote_value(a->sqs_queue),
							notify_quote_value(endpoint));
		case NA_SNS:
			return psprintf("topic %s at %s", notify_quote_value(a->sns_topic),
							notify_quote_value(endpoint));
	}
	return pstrdup("?");
}

/*
 * sync_stop
 *		ERROR for event e whose action did not continue (res): the
 *		outcome (HTTP status, or the failure) and the target.
 */
static void
sync_stop(const SyncEvent *e, const TransportResult *res)
{
	const NotifyAction *a = &e->action;
	char	   *target = sync_target(a);
	char	   *outcome;

	if (a->kind != NA_FUNCTION && a->kind != NA_CHANNEL &&
		res->outcome == TRANSPORT_ANSWERED)
		outcome = psprintf("HTTP status %d from %s", res->status, target);
	else if (a->kind != NA_FUNCTION && a->kind != NA_CHANNEL &&
			 res->outcome == TRANSPORT_NO_ANSWER)
		outcome = psprintf("no answer from %s", target);
	else if (a->kind == NA_FUNCTION && res->outcome == TRANSPORT_REFUSED)
		outcome = psprintf("%s returned NULL", target);
	else if (res->outcome == TRANSPORT_REFUSED)
		outcome = psprintf("%s refused", target);
	else
		outcome = psprintf("%s failed", target);

	ereport(ERROR,
			(errcode(ERRCODE_TRIGGERED_ACTION_EXCEPTION),
			 errmsg("synchronous notification \"%s\" stopped the transaction: %s",
					e->notification_id, outcome),
			 res->error ? errdetail("%s event %s: %s", e->event, e->event_id,
									res->error) : 0,
			 errhint("The change is rolled back; nothing of it was committed.")));
}

/*
 * sync_foreign_temp
 *		Whether this session has a temporary schema and its current role
 *		may not act as owner.  Relation and type names resolve through
 *		pg_temp (last under NOTIFY_SAFE_SEARCH_PATH, first under a
 *		function's own SET search_path that does not name it), so another
 *		role's temporary table (with triggers of its own) could stand in
 *		for one the owner's function writes: that code would then run as
 *		the owner.  Such a session does not run the owner's function.
 */
static bool
sync_foreign_temp(Oid owner)
{
	Oid			temp_ns;
	Oid			temp_toast_ns;

	GetTempNamespaceState(&temp_ns, &temp_toast_ns);
	return OidIsValid(temp_ns) && !has_privs_of_role(GetUserId(), owner);
}

/*
 * sync_deliver_event
 *		Deliver one synchronous event in this transaction.  Returns the
 *		receiver's answer body (or NULL) when the action continues; ERRORs
 *		when it stops (sync_stop) or is interrupted.
 */
static char *
sync_deliver_event(const SyncEvent *e)
{
	const NotifyAction *a = &e->action;
	TimestampTz stmt_deadline = sync_statement_deadline();
	TransportRequest req;
	TransportResult res;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	req.action = a;
	req.owner = e->owner;
	req.notification_id = e->notification_id;
	req.event_id = e->event_id;
	req.payload = e->payload;

	switch (a->kind)
	{
		case NA_FUNCTION:
		case NA_CHANNEL:
			if (a->kind == NA_FUNCTION && sync_foreign_temp(e->owner))
			{
				res.outcome = TRANSPORT_NO_ANSWER;
				res.error = pstrdup("a synchronous function action of another role does not run in a session with temporary objects");
				break;
			}
			{
				int			nest = NewGUCNestLevel();

				/*
				 * The changing session's search_path is its role's to set;
				 * the owner's function must not resolve names through it.
				 */
				(void) set_config_option("search_path", NOTIFY_SAFE_SEARCH_PATH,
										 PGC_USERSET, PGC_S_SESSION,
										 GUC_ACTION_SAVE, true, 0, false);
				req.timeout_ms = sync_limit_ms(notify_ext_function_timeout,
											   stmt_deadline, 0);
				indb_deliver(&req, &res);
				AtEOXact_GUC(false, nest);
			}
			/* indb's own timer ends the statement timer: set it again */
			if (stmt_deadline != 0 && !get_timeout_active(STATEMENT_TIMEOUT))
				enable_timeout_at(STATEMENT_TIMEOUT, stmt_deadline);
			break;
		case NA_HTTP:
		case NA_SQS:
		case NA_SNS:
			{
				const TransportOps *ops = a->kind == NA_HTTP ? &http_transport :
					a->kind == NA_SQS ? &sqs_transport : &sns_transport;
				NotifyAction unsigned_action;
				NotifyAction with_credential;
				char	   *secret_key = NULL;

				if (a->signing_secret != NULL &&
					!has_privs_of_role(e->owner, a->signing_owner))
				{
					/* the owner lost the alias: refused, not sent unsigned */
					unsigned_action = *a;
					unsigned_action.signing_secret = NULL;
					unsigned_action.signing_previous = NULL;
					req.action = &unsigned_action;
				}

				if (!notify_ext_delivery_settings)
				{
					/* no host lists, no limits: never send unguarded */
					res.outcome = TRANSPORT_REFUSED;
					res.error = pstrdup("synchronous http, sqs and sns actions need notify_ext in shared_preload_libraries");
					break;
				}

				/*
				 * A stored credential named by alias: read now, in this
				 * transaction, for the notification's owner.  Gone or not
				 * the owner's: the alias stays, and the transport refuses
				 * the attempt naming it.
				 */
				if ((a->kind == NA_SQS || a->kind == NA_SNS) &&
					a->sqs_access_key == NULL && a->sqs_secret != NULL)
				{
					char	   *access_key;
					char	   *region;

					if (definition_aws_credential(a->sqs_secret, e->owner,
												  &access_key, &secret_key,
												  &region))
					{
						with_credential = *req.action;
						with_credential.sqs_access_key = access_key;
						with_credential.sqs_secret = secret_key;
						if (with_credential.sqs_region == NULL)
							with_credential.sqs_region = region;
						req.action = &with_credential;
					}
				}

				req.timeout_ms = sync_limit_ms(a->kind == NA_HTTP ?
											   a->timeout_s * 1000 : 0,
											   stmt_deadline, SYNC_SLICE_MS);
				/* each of them sends the event in the action's content type */
				req.body = encode_body(e->payload, a->content_type, &req.len);
				sync_call_transport(ops, &req, req.timeout_ms, &res);
				if (secret_key != NULL)
					explicit_bzero(secret_key, strlen(secret_key));
			}
			break;
	}
	if (res.outcome != TRANSPORT_DELIVERED)
		sync_stop(e, &res);
	return res.answer;
}

/*
 * sync_deliver_list
 *		Deliver events (SyncEvent *) in order; ERRORs at the first that
 *		stops.  Returns the first answer body given, or NULL.  Serves
 *		capture_sync_deliver_now: the seam for events whose trigger waits
 *		for the answer (the storage filename event).
 */
char *
sync_deliver_list(List *events)
{
	ListCell   *lc;
	char	   *first = NULL;

	list_sort(events, sync_event_order);
	foreach(lc, events)
	{
		char	   *answer = sync_deliver_event(lfirst(lc));

		if (first == NULL && answer != NULL && answer[0] != '\0')
			first = answer;
	}
	return first;
}

/*
 * sync_pre_commit
 *		Deliver the transaction's queued synchronous events, including
 *		those the deliveries themselves raise, under a snapshot that sees
 *		the whole transaction.  Arms statement_timeout for them when the
 *		statement's timer does not run (a commit at the end of an implicit
 *		transaction).
 */
static void
sync_pre_commit(void)
{
	List	   *events;
	bool		armed = false;

	if (!capture_sync_pending())
		return;
	if (StatementTimeout > 0 && !get_timeout_active(STATEMENT_TIMEOUT))
	{
		enable_timeout_after(STATEMENT_TIMEOUT, StatementTimeout);
		armed = true;
	}

	/*
	 * As for deferred triggers (AfterTriggerFireDeferred): COMMIT has no
	 * snapshot set, and function actions run SQL that needs one; it must
	 * see the transaction's own last changes.
	 */
	CommandCounterIncrement();
	PushActiveSnapshot(GetTransactionSnapshot());
	while ((events = capture_sync_take()) != NIL)
		(void) sync_deliver_list(events);
	PopActiveSnapshot();
	if (armed)
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/*
 * sync_xact_callback
 *		Deliver before commit; refuse PREPARE TRANSACTION with events
 *		queued (their change would become visible at a later COMMIT
 *		PREPARED, from another session); forget the queue at the end.
 */
static void
sync_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			sync_pre_commit();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (capture_sync_pending())
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction with synchronous notifications")));
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			capture_sync_reset();
			break;
		default:
			break;
	}
}

/*
 * sync_subxact_callback
 *		A subtransaction's end decides over the events it queued.
 */
static void
sync_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					  SubTransactionId parentSubid, void *arg)
{
	capture_sync_subxact(event, mySubid, parentSubid);
}

/*
 * sync_init
 *		Register the transaction callbacks and serve
 *		capture_sync_deliver_now; once per process, at library load.
 */
void
sync_init(void)
{
	RegisterXactCallback(sync_xact_callback, NULL);
	RegisterSubXactCallback(sync_subxact_callback, NULL);
	capture_sync_deliver_hook = sync_deliver_list;
}
