/*-------------------------------------------------------------------------
 *
 * lane.c
 *	  The delivery worker's claimed events, in their lanes.
 *
 * A lane is a strict FIFO of claimed events (see worker.c for what makes
 * a lane): its head is started when the lane is idle and its next attempt
 * is due, and the next event starts only when the head is delivered or
 * has failed for good; a retry keeps its place at the head.  A transport
 * that sends batches (TransportOps.batch_max > 1, SQS) is handed the head
 * and the due events right behind it at once (dispatch.c); the lane stays
 * busy until every one of them has its result, and those to be retried
 * keep their places in front of the events not sent yet.  Idle lanes
 * whose head is due are on ready_lanes, the others with a head on
 * waiting_lanes; lanes_promote_waiting() moves them as their time comes.
 *
 * Changes under held events.  Events are held from their claim until they
 * are done, through retry waits.  When the catalog generation moves (a
 * definition was created, updated or deleted; notify.discard sent an
 * invalidation of the outbox), lanes_revalidate() asks the outbox which
 * held rows are no longer in_flight or retrying and drops them (an event
 * being sent is only marked cancelled: its attempt ends without a retry),
 * and marks every other event stale; lanes_refresh_stale() then points
 * each stale event that is not being sent at the current copy of its
 * action, so that an update applies from the next attempt on.  An event
 * keeps the lane it was claimed into.
 *
 * Memory: events, their outbox rows, the lanes and the shared copies of
 * notification actions (ActionRef) live in event_context, a child of
 * TopMemoryContext, for as long as the event is held.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/lane.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/acl.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "definition/definition_cache.h"
#include "delivery/delivery_internal.h"

typedef struct ActionEntry
{
	char		id[NAMEDATALEN];
	ActionRef  *ref;
} ActionEntry;

MemoryContext event_context;
dlist_head	ready_lanes;		/* head due now */
int			buffered = 0;		/* events held */
int64		claim_hint = 0;		/* ids up to here were claimed already */
int64		read_max = 0;		/* the highest id ever read: no held event
								 * has a higher one */

static dlist_head waiting_lanes;	/* head waits for its next attempt */
static HTAB *lanes;
static HTAB *action_map;
static uint64 action_generation = 0;
static uint64 claim_count = 0;	/* claim transactions so far */
static bool cache_refreshed = false;	/* definition_cache_refresh done in
										 * this transaction */
static int	stale_events = 0;	/* held events with stale set */

/*
 * lanes_init
 *		Create event_context, the lane and action tables and the lists.
 *		Once per worker, before anything else here.
 */
void
lanes_init(void)
{
	HASHCTL		ctl;

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
}

/*
 * lanes_new_transaction
 *		Called at the start of every transaction that claims: a missing
 *		notification may be looked up again once in it (see action_get),
 *		and stored credentials are read again once in it.
 */
void
lanes_new_transaction(void)
{
	claim_count++;
	cache_refreshed = false;
}

/*
 * lane_list
 *		Put an idle lane with a head on ready_lanes (head due) or
 *		waiting_lanes; take a busy or empty lane off both.
 */
static void
lane_list(Lane *lane)
{
	Event	   *head;

	if (lane->listed)
	{
		dlist_delete(&lane->lnode);
		endpoint_unparked(lane);
	}
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

/*
 * action_release
 *		Drop an event's reference to its action copy; the last reference to
 *		a copy no longer current frees it.
 */
static void
action_release(ActionRef *ref)
{
	if (--ref->refcount == 0 && !ref->current)
		MemoryContextDelete(ref->context);
}

/*
 * action_map_reset
 *		Forget every copy: the definitions changed.  Copies still used by
 *		events live on until their last event is done.
 */
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

/*
 * wipe_free
 *		Overwrite and free a string that may hold a secret (NULL is fine).
 */
static void
wipe_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	pfree(s);
}

/*
 * action_resolve_alias
 *		Put the stored AWS credential named by ref->cred_alias into
 *		ref->action (access key, secret key, and region when the action has
 *		none), read in the current transaction.  When the alias is gone or
 *		the owner may no longer use it, the access key stays NULL and the
 *		secret keeps the alias: the transport refuses the attempt, naming
 *		the alias.  Allocates in ref->context.
 */
static void
action_resolve_alias(ActionRef *ref)
{
	MemoryContext old = MemoryContextSwitchTo(ref->context);
	char	   *ak;
	char	   *sk;
	char	   *region;

	wipe_free(ref->action.sqs_access_key);
	wipe_free(ref->action.sqs_secret);
	ref->action.sqs_access_key = NULL;
	ref->action.sqs_secret = pstrdup(ref->cred_alias);
	if (definition_aws_credential(ref->cred_alias, ref->owner, &ak, &sk, &region))
	{
		pfree(ref->action.sqs_secret);
		ref->action.sqs_access_key = ak;
		ref->action.sqs_secret = sk;
		if (ref->action.sqs_region == NULL)
			ref->action.sqs_region = region;
	}
	ref->cred_claim = claim_count;
	MemoryContextSwitchTo(old);
}

/*
 * action_drop_signing
 *		Forget the signing secrets of ref's action (its owner may no longer
 *		use the alias): the transport then refuses its attempts, naming the
 *		alias, until the definitions are loaded again.
 */
static void
action_drop_signing(ActionRef *ref)
{
	wipe_free(ref->action.signing_secret);
	wipe_free(ref->action.signing_previous);
	ref->action.signing_secret = NULL;
	ref->action.signing_previous = NULL;
}

/*
 * action_get
 *		The shared copy of a notification's action, with one more reference.
 *		Runs in a transaction (reads the definition cache).
 */
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
		action_copy(&ref->action, a);
		ref->lane_prefix = pstrdup(cn->lane_prefix);
		ref->endpoint = endpoint_for_action(&ref->action);
		ref->per_entity = cn->lane_per_entity;
		if ((a->kind == NA_SQS || a->kind == NA_SNS) &&
			a->sqs_access_key == NULL && a->sqs_secret != NULL)
		{
			ref->cred_alias = pstrdup(a->sqs_secret);
			action_resolve_alias(ref);
		}
	}
	else
		ref->lane_prefix = psprintf("n:%s", id);
	MemoryContextSwitchTo(old);
	e->ref = ref;
	return ref;
}

/*
 * lane_key
 *		The hash key of an event's lane: the lane capture wrote on its row,
 *		or, for a row without one (written by SQL, or before the column
 *		existed), the lane of its current action.
 */
static uint64
lane_key(const ActionRef *ref, const OutboxRow *row)
{
	if (row->lane >= 0)
		return (uint64) row->lane;
	return (uint64) notify_lane(notify_lane_prefix_hash(ref->lane_prefix),
								ref->per_entity, row->resource, row->entity_id);
}

/*
 * event_enqueue
 *		Take a claimed row (in event_context) into its lane; runs inside the
 *		claim transaction.
 */
void
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
	/* a stored credential may have been replaced: read it once per claim */
	if (ev->ref->cred_alias != NULL && ev->ref->cred_claim != claim_count)
		action_resolve_alias(ev->ref);
	/* and the owner may have lost the role owning the signing secret */
	if (ev->ref->action.signing_secret != NULL &&
		!has_privs_of_role(ev->ref->owner, ev->ref->action.signing_owner))
		action_drop_signing(ev->ref);
	key = lane_key(ev->ref, row);
	lane = hash_search(lanes, &key, HASH_ENTER, &found);
	if (!found)
	{
		dlist_init(&lane->queue);
		lane->busy = 0;
		lane->listed = false;
		lane->parked_on = NULL;
	}
	ev->lane = lane;
	dlist_push_tail(&lane->queue, &ev->node);
	buffered++;
	if (!lane->busy && !lane->listed)
		lane_list(lane);
	if (row->id > claim_hint)
		claim_hint = row->id;
	if (row->id > read_max)
		read_max = row->id;
	MemoryContextSwitchTo(old);
}

/*
 * event_free
 *		Free an event that is out of its lane, with its row.
 */
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

/*
 * lane_forget_if_empty
 *		Forget an idle, empty lane; list a lane that still has events.
 */
static void
lane_forget_if_empty(Lane *lane)
{
	if (dlist_is_empty(&lane->queue) && !lane->busy)
	{
		if (lane->listed)
		{
			dlist_delete(&lane->lnode);
			endpoint_unparked(lane);
		}
		hash_search(lanes, &lane->key, HASH_REMOVE, NULL);
	}
	else
		lane_list(lane);
}

/* bsearch comparator of int64 */
static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return (x > y) - (x < y);
}

/*
 * lanes_held_ids
 *		The outbox ids above `above` of every event held in a lane (waiting,
 *		being sent, or waiting for a retry), palloc'd in the current memory
 *		context; their number in *n.
 */
int64 *
lanes_held_ids(int64 above, int *n)
{
	HASH_SEQ_STATUS status;
	Lane	   *lane;
	int64	   *ids = palloc(sizeof(int64) * Max(buffered, 1));

	*n = 0;
	hash_seq_init(&status, lanes);
	while ((lane = hash_seq_search(&status)) != NULL)
	{
		dlist_iter	it;

		dlist_foreach(it, &lane->queue)
		{
			Event	   *ev = dlist_container(Event, node, it.cur);

			if (*n < buffered && ev->row->id > above)
				ids[(*n)++] = ev->row->id;
		}
	}
	return ids;
}

/*
 * lanes_revalidate
 *		The catalog generation moved: drop the held events whose outbox row
 *		is no longer in_flight or retrying (mark one being sent cancelled),
 *		and mark the others stale (lanes_refresh_stale).  Runs in the
 *		worker's transaction with SPI connected; ERRORs on SPI failure
 *		(nothing is changed then).
 */
void
lanes_revalidate(void)
{
	HASH_SEQ_STATUS status;
	Lane	   *lane;
	int64	   *ids;
	int64	   *released;
	int			n = 0;
	int			nreleased;

	if (buffered == 0)
		return;
	ids = lanes_held_ids(0, &n);
	released = outbox_released(ids, n, &nreleased);

	hash_seq_init(&status, lanes);
	while ((lane = hash_seq_search(&status)) != NULL)
	{
		dlist_mutable_iter it;

		dlist_foreach_modify(it, &lane->queue)
		{
			Event	   *ev = dlist_container(Event, node, it.cur);
			bool		sending = lane->busy &&
				ev == dlist_head_element(Event, node, &lane->queue);

			if (nreleased > 0 &&
				bsearch(&ev->row->id, released, nreleased, sizeof(int64),
						cmp_int64) != NULL)
			{
				if (sending)
					ev->cancelled = true;
				else
				{
					dlist_delete(&ev->node);
					buffered--;
					if (ev->stale)
						stale_events--;
					event_free(ev);
				}
				continue;
			}
			if (!ev->stale)
			{
				ev->stale = true;
				stale_events++;
			}
		}
		/* deleting the entry just returned is allowed during a scan */
		lane_forget_if_empty(lane);
	}
	pfree(ids);
	if (released)
		pfree(released);
}

/*
 * lanes_refresh_stale
 *		Point every stale event that is not being sent at the current copy
 *		of its notification's action.  Runs in a transaction (reads the
 *		definition cache); cheap when nothing is stale.
 */
void
lanes_refresh_stale(void)
{
	HASH_SEQ_STATUS status;
	Lane	   *lane;
	MemoryContext old;

	if (stale_events == 0)
		return;
	old = MemoryContextSwitchTo(event_context);
	hash_seq_init(&status, lanes);
	while ((lane = hash_seq_search(&status)) != NULL)
	{
		dlist_iter	it;

		dlist_foreach(it, &lane->queue)
		{
			Event	   *ev = dlist_container(Event, node, it.cur);
			ActionRef  *ref;

			if (!ev->stale ||
				(lane->busy && ev == dlist_head_element(Event, node, &lane->queue)))
				continue;
			ref = action_get(ev->row->notification_id);
			action_release(ev->ref);
			ev->ref = ref;
			ev->stale = false;
			stale_events--;
		}
	}
	MemoryContextSwitchTo(old);
}

/*
 * event_attempt_done
 *		The attempt on one of a lane's events being sent is over.
 *		finished: the event is delivered or failed for good, so it leaves
 *		its lane and is freed (ev is gone on return); otherwise it keeps its
 *		place and waits for row->next_attempt_at.  When it was the last of
 *		the lane's events being sent, the lane is free for its next attempt
 *		(an empty lane is forgotten).
 */
void
event_attempt_done(Event *ev, bool finished)
{
	Lane	   *lane = ev->lane;

	Assert(lane->busy > 0);
	lane->busy--;
	if (finished)
	{
		dlist_delete(&ev->node);
		buffered--;
		if (ev->stale)
			stale_events--;
		event_free(ev);
	}
	if (lane->busy > 0)
		return;					/* the rest of a batch is still being sent */
	if (dlist_is_empty(&lane->queue))
	{
		if (lane->listed)
		{
			dlist_delete(&lane->lnode);
			endpoint_unparked(lane);
		}
		hash_search(lanes, &lane->key, HASH_REMOVE, NULL);
	}
	else
		lane_list(lane);
}

/*
 * lanes_promote_waiting
 *		Move waiting lanes whose head is due at `now` to ready_lanes, and
 *		lower *sleep_ms to the wait until the earliest of the others.
 */
void
lanes_promote_waiting(TimestampTz now, long *sleep_ms)
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
