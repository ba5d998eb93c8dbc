/*-------------------------------------------------------------------------
 *
 * dispatch.c
 *	  Start lane heads through the transports; turn results into outcomes.
 *
 * Each action kind has its transport (transport/transport.h): <http> the
 * webhook transport, <function> and <channel> the in-database one, <sqs>
 * the SQS one.  dispatch_start() starts the head event of ready lanes, up
 * to notify_ext.max_inflight attempts over all transports (a transport
 * that sends batches gets the due events behind the head as well, see
 * lane_batch); dispatch_drive()
 * makes the transports progress and hands every finished attempt to
 * event_finish(), which asks the retry policy (retry.c) what it means and
 * queues the outcome for the next recording transaction.  Nothing here
 * decides whether an attempt is retried.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/dispatch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "delivery/delivery_internal.h"
#include "delivery/retry.h"
#include "encode/encode.h"
#include "guc.h"
#include "transport/transport.h"

#define DISPATCH_BATCH_MAX	10	/* most events of a lane started at once */

List	   *outcomes = NIL;		/* OutboxOutcome *, in event_context */
TimestampTz outcomes_since = 0; /* when the oldest was added */

/* every transport, for the calls that go to all of them */
static const TransportOps *const all_transports[] = {
	&http_transport,
	&indb_transport,
	&sqs_transport,
	&sns_transport
};

#define NUM_TRANSPORTS lengthof(all_transports)

/*
 * transport_for
 *		The transport of an action kind, and whether it is sent an encoded
 *		body (the in-database transport encodes inside its subtransaction,
 *		so that a failure there is that attempt's).
 */
static const TransportOps *
transport_for(NotifyActionKind kind, bool *wants_body)
{
	*wants_body = false;
	switch (kind)
	{
		case NA_HTTP:
			*wants_body = true;
			return &http_transport;
		case NA_SQS:
			*wants_body = true;
			return &sqs_transport;
		case NA_SNS:
			*wants_body = true;
			return &sns_transport;
		case NA_FUNCTION:
		case NA_CHANNEL:
			return &indb_transport;
	}
	elog(ERROR, "unknown action kind %d", (int) kind);
	return NULL;				/* keep compiler quiet */
}

/*
 * dispatch_init
 *		Initialize every transport; once per worker.
 */
void
dispatch_init(void)
{
	int			i;

	for (i = 0; i < NUM_TRANSPORTS; i++)
		all_transports[i]->init();
}

/*
 * dispatch_configure
 *		Apply reloaded settings to every transport.
 */
void
dispatch_configure(void)
{
	int			i;

	for (i = 0; i < NUM_TRANSPORTS; i++)
		all_transports[i]->configure();
}

/*
 * dispatch_inflight
 *		Attempts started whose result has not been collected, over every
 *		transport.
 */
int
dispatch_inflight(void)
{
	int			n = 0;
	int			i;

	for (i = 0; i < NUM_TRANSPORTS; i++)
		n += all_transports[i]->inflight();
	return n;
}

/*
 * dispatch_abort_all
 *		Drop every attempt of every transport, without results (the worker
 *		leaves; the outbox rows stay in_flight and are taken back later).
 */
void
dispatch_abort_all(void)
{
	int			i;

	for (i = 0; i < NUM_TRANSPORTS; i++)
		all_transports[i]->abort_all();
}

/*
 * event_finish
 *		An attempt on ev is over with result res: ask the retry policy what
 *		it means, queue the outcome (in event_context) and free the lane for
 *		its next attempt (ev is freed unless it will be tried again).
 */
static void
event_finish(Event *ev, const TransportResult *res)
{
	MemoryContext old = MemoryContextSwitchTo(event_context);
	OutboxOutcome *o = palloc0(sizeof(OutboxOutcome));
	TimestampTz now = GetCurrentTimestamp();
	RetryBudget budget;
	RetryDecision d;

	if (ev->charged != NULL)
	{
		endpoint_finished(ev->charged, res, now);
		ev->charged = NULL;
	}
	o->id = ev->row->id;
	o->attempt = ev->row->attempts + 1;
	o->attempted_at = ev->started ? ev->started : now;
	o->duration_ms = ev->started ? (int) ((now - ev->started) / 1000) : 0;
	o->status_code = res->status;
	o->error = res->error ? pstrdup(res->error) : NULL;

	budget.attempt = o->attempt;
	budget.attempts_base = ev->row->attempts_base;
	budget.retry = ev->ref->action.retry;
	budget.synchronous = ev->ref->action.synchronous;
	budget.backoff_base_ms = notify_ext_backoff_base;
	budget.backoff_max_ms = notify_ext_backoff_max;
	d = retry_decide(res, &budget, now, pg_prng_double(&pg_global_prng_state));

	/*
	 * The row was taken out of our hands while the attempt ran (the
	 * notification was deleted, the event discarded): no retry.  The
	 * recording step keeps the row's status unless this attempt delivered.
	 */
	if (ev->cancelled && d.verdict == RETRY_AGAIN)
		d.verdict = RETRY_FAILED;

	if (d.verdict == RETRY_DELIVERED)
		o->status = "delivered";
	else if (d.verdict == RETRY_AGAIN)
	{
		o->status = "retrying";
		o->next_attempt_at = d.next_attempt_at;
		ev->row->attempts = o->attempt;
		ev->row->next_attempt_at = o->next_attempt_at;
	}
	else
		o->status = "failed";
	if (outcomes == NIL)
		outcomes_since = now;
	outcomes = lappend(outcomes, o);

	event_attempt_done(ev, d.verdict != RETRY_AGAIN);
	MemoryContextSwitchTo(old);
}

/*
 * refuse
 *		Fill *res for an attempt refused by the worker itself; error is kept.
 */
static void
refuse(TransportResult *res, void *arg, char *error)
{
	res->arg = arg;
	res->outcome = TRANSPORT_REFUSED;
	res->status = 0;
	res->error = error;
	res->duration_ms = 0;
	res->retry_after_ms = -1;
}

/*
 * encode_payload
 *		Encode an event's body.
 *
 * The encoder ERRORs only on a payload that is not the multi-map capture
 * writes (a row someone wrote by hand): that is the event's failure, not
 * the worker's.  The encoder is pure (memory only), so the error is caught
 * here without a transaction.  Returns NULL with *error set then.
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
 * event_start
 *		Start an attempt on ev, the head of a lane just taken off
 *		ready_lanes or one of the events right behind it in a batch (more:
 *		another of the batch follows).  A refusal (unknown notification,
 *		body that cannot be encoded, refused by the transport) is finished
 *		at once.
 */
static void
event_start(Event *ev, bool more)
{
	const NotifyAction *action = &ev->ref->action;
	const TransportOps *ops;
	TransportRequest req;
	TransportResult res;
	bool		wants_body;
	char	   *body = NULL;
	char	   *error = NULL;

	ev->started = GetCurrentTimestamp();
	if (!ev->ref->known)
	{
		refuse(&res, ev, psprintf("notification \"%s\" no longer exists",
								  ev->row->notification_id));
		event_finish(ev, &res);
		return;
	}

	ops = transport_for(action->kind, &wants_body);
	memset(&req, 0, sizeof(req));
	req.arg = ev;
	req.action = action;
	req.owner = ev->ref->owner;
	req.notification_id = ev->row->notification_id;
	req.event_id = ev->row->event_id;
	req.payload = ev->row->payload;
	req.lane_key = ev->lane->key;
	req.more = more;
	if (wants_body)
	{
		body = encode_payload(ev->row->payload, action->content_type,
							  &req.len, &error);
		if (body == NULL)
		{
			refuse(&res, ev, error);
			event_finish(ev, &res);
			return;
		}
		req.body = body;
	}
	if (!ops->start(&req, &res))
		event_finish(ev, &res);
	if (body != NULL)
		pfree(body);
}

/*
 * lane_batch
 *		The events of a ready lane to start in this round, in lane order,
 *		into batch: its head, followed (when the head's transport sends
 *		batches) by the events right behind it that belong to the same
 *		action and are due, up to the transport's batch_max and to room.
 *		Returns how many.
 */
static int
lane_batch(Lane *lane, Event **batch, int room)
{
	Event	   *head = dlist_head_element(Event, node, &lane->queue);
	TimestampTz now = GetCurrentTimestamp();
	dlist_iter	it;
	bool		wants_body;
	int			max = 1;
	int			n = 0;

	if (head->ref->known)
		max = Min(transport_for(head->ref->action.kind, &wants_body)->batch_max,
				  DISPATCH_BATCH_MAX);
	max = Max(Min(max, room), 1);
	dlist_foreach(it, &lane->queue)
	{
		Event	   *ev = dlist_container(Event, node, it.cur);

		if (n > 0 && (ev->ref != head->ref || ev->row->next_attempt_at > now))
			break;
		batch[n++] = ev;
		if (n >= max)
			break;
	}
	return n;
}

/*
 * dispatch_start
 *		Start the head event of ready lanes while fewer than
 *		notify_ext.max_inflight attempts run.  A lane whose endpoint has no
 *		room (its budget is used up, its circuit breaker is open) is parked
 *		on the endpoint instead (endpoint.c), so that the lanes behind it
 *		still start.  Runs in the loop's short-lived context, with no
 *		transaction open: a transport keeps its own copy of what outlives
 *		the call.
 */
void
dispatch_start(void)
{
	TimestampTz now = GetCurrentTimestamp();

	while (!dlist_is_empty(&ready_lanes) &&
		   dispatch_inflight() < notify_ext_max_inflight)
	{
		Lane	   *lane = dlist_container(Lane, lnode, dlist_pop_head_node(&ready_lanes));
		Event	   *head = dlist_head_element(Event, node, &lane->queue);
		Endpoint   *ep = head->ref->known ? head->ref->endpoint : NULL;
		Event	   *batch[DISPATCH_BATCH_MAX];
		int			room = DISPATCH_BATCH_MAX;
		int			n;
		int			i;

		lane->listed = false;
		if (ep != NULL)
		{
			room = endpoint_room(ep, now);
			if (room <= 0)
			{
				endpoint_park(ep, lane);
				continue;
			}
		}
		n = lane_batch(lane, batch, room);
		/* busy for all first, so that a refusal does not free the lane */
		lane->busy += n;
		if (ep != NULL)
		{
			endpoint_started(ep, n);
			for (i = 0; i < n; i++)
				batch[i]->charged = ep;
		}
		for (i = 0; i < n; i++)
			event_start(batch[i], i < n - 1);
	}
}

/*
 * dispatch_drive
 *		Make every transport with attempts in flight progress (the first of
 *		them may wait at most timeout_ms, the others do not wait; the
 *		in-database one hands its queue to its helper process, or runs it in
 *		a transaction of its own, so no transaction may be open), then
 *		finish every attempt that has a result.
 */
void
dispatch_drive(int timeout_ms)
{
	int			i;

	for (i = 0; i < NUM_TRANSPORTS; i++)
	{
		const TransportOps *ops = all_transports[i];
		TransportResult res;

		if (ops->inflight() == 0)
			continue;
		ops->drive(timeout_ms);
		timeout_ms = 0;
		while (ops->next_result(&res))
		{
			event_finish((Event *) res.arg, &res);
			if (res.error)
				pfree(res.error);
		}
	}
}

/*
 * outcomes_forget
 *		Free the queued outcomes once they are recorded.
 */
void
outcomes_forget(void)
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
}
