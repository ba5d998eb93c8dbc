/*-------------------------------------------------------------------------
 *
 * sync_queue.c
 *	  The synchronous events of the current transaction (see
 *	  sync_queue.h).
 *
 * The queue is a list in TopTransactionContext, so an aborted transaction
 * frees it; capture_sync_reset forgets the pointer at every transaction
 * end.  Each entry records the subtransaction that queued it: a rolled
 * back subtransaction drops its entries, a committed one hands them to its
 * parent (capture_sync_subxact, called from delivery/sync.c's
 * subtransaction callback).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/sync_queue.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/uuid.h"

#include "capture/sync_queue.h"
#include "outbox/outbox.h"

SyncDeliverNow capture_sync_deliver_hook = NULL;

static List *sync_queue = NIL;	/* SyncEvent *, in TopTransactionContext */
static uint64 sync_change = 0;	/* counter of captured row changes */

/*
 * capture_sync_next_change
 *		A new row change starts: the events it raises are ordered after
 *		those of earlier changes.
 */
void
capture_sync_next_change(void)
{
	sync_change++;
}

/* A copy of s, or NULL */
static char *
copy_or_null(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

/* The n of a notification id "VX-n" (0 when it has another form) */
static int64
id_number(const char *id)
{
	const char *dash = strrchr(id, '-');

	return dash ? strtoll(dash + 1, NULL, 10) : 0;
}

/*
 * capture_sync_make
 *		A synchronous event of notification cn, with a new event id, in
 *		CurrentMemoryContext (every string and the action copied).
 */
SyncEvent *
capture_sync_make(const CachedNotification *cn, const char *resource,
				  const char *event, const char *entity_id,
				  const char *payload)
{
	SyncEvent  *e = palloc0(sizeof(SyncEvent));
	const NotifyAction *a = &cn->def->action;

	e->change = sync_change;
	e->number = id_number(cn->id);
	e->subid = GetCurrentSubTransactionId();
	e->notification_id = pstrdup(cn->id);
	e->owner = cn->owner;
	e->event_id = DatumGetCString(DirectFunctionCall1(uuid_out,
													  outbox_random_uuid()));
	e->resource = pstrdup(resource);
	e->event = pstrdup(event);
	e->entity_id = copy_or_null(entity_id);
	e->payload = pstrdup(payload);

	action_copy(&e->action, a);
	return e;
}

/*
 * capture_sync_add
 *		Queue the synchronous event of notification cn for delivery before
 *		this transaction commits.
 */
void
capture_sync_add(const CachedNotification *cn, const char *resource,
				 const char *event, const char *entity_id, const char *payload)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	sync_queue = lappend(sync_queue,
						 capture_sync_make(cn, resource, event, entity_id,
										   payload));
	MemoryContextSwitchTo(old);
}

/*
 * capture_sync_take
 *		The queued events, in the order they were queued, and an empty
 *		queue (events queued later form the next list).  The list and its
 *		entries stay in TopTransactionContext.
 */
List *
capture_sync_take(void)
{
	List	   *events = sync_queue;

	sync_queue = NIL;
	return events;
}

/*
 * capture_sync_pending
 *		Are synchronous events waiting?
 */
bool
capture_sync_pending(void)
{
	return sync_queue != NIL;
}

/*
 * capture_sync_reset
 *		Forget the queue (the transaction ended; its memory is gone).
 */
void
capture_sync_reset(void)
{
	sync_queue = NIL;
}

/*
 * capture_sync_subxact
 *		Subtransaction end: a rollback drops the entries it queued, a
 *		commit gives them to its parent.
 */
void
capture_sync_subxact(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid)
{
	ListCell   *lc;

	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(lc, sync_queue)
		{
			SyncEvent  *e = lfirst(lc);

			if (e->subid == mySubid)
				sync_queue = foreach_delete_current(sync_queue, lc);
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, sync_queue)
		{
			SyncEvent  *e = lfirst(lc);

			if (e->subid == mySubid)
				e->subid = parentSubid;
		}
	}
}

/*
 * capture_sync_deliver_now
 *		Deliver events (SyncEvent *) at once, in order, in this
 *		transaction, and return the first answer body a receiver gave (a
 *		function's result, the start of a 2xx HTTP body), or NULL when none
 *		did.  ERRORs, aborting the change, at the first action that stops
 *		(see delivery/sync.c), and when synchronous delivery is not set up.
 */
char *
capture_sync_deliver_now(List *events)
{
	if (capture_sync_deliver_hook == NULL)
		elog(ERROR, "synchronous delivery is not set up");
	return capture_sync_deliver_hook(events);
}
