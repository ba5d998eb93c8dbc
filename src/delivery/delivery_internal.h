/*-------------------------------------------------------------------------
 *
 * delivery_internal.h
 *	  What the delivery worker's files share: events, lanes, outcomes.
 *
 * worker.c runs the loop; lane.c holds the claimed events in their lanes;
 * dispatch.c starts lane heads through the transports and turns results
 * into outcomes (with the retry policy of retry.c).  Everything here lives
 * in one delivery worker process and is touched by it alone.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/delivery_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DELIVERY_INTERNAL_H
#define NOTIFY_DELIVERY_INTERNAL_H

#include "lib/ilist.h"
#include "nodes/pg_list.h"

#include "definition/definition.h"
#include "outbox/outbox.h"

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
	char	   *cred_alias;		/* <sqs>/<sns> credential alias, or NULL */
	uint64		cred_claim;		/* the claim transaction that resolved it */
} ActionRef;

/* One claimed event, held until it is delivered or has failed for good */
typedef struct Event
{
	dlist_node	node;			/* in lane->queue */
	Lane	   *lane;
	OutboxRow  *row;
	ActionRef  *ref;
	TimestampTz started;
	bool		stale;			/* ref predates a change of definitions */
	bool		cancelled;		/* row taken away while being sent */
} Event;

struct Lane
{
	uint64		key;			/* hash key */
	dlist_head	queue;			/* Event */
	int			busy;			/* its events being sent: the head, or the
								 * first few of a batch (dispatch.c) */
	bool		listed;			/* in ready or waiting */
	dlist_node	lnode;
};

/* lane.c */
extern MemoryContext event_context;
extern dlist_head ready_lanes;
extern int	buffered;
extern int64 claim_hint;
extern void lanes_init(void);
extern void lanes_new_transaction(void);
extern void event_enqueue(OutboxRow *row);
extern void event_attempt_done(Event *ev, bool finished);
extern void lanes_promote_waiting(TimestampTz now, long *sleep_ms);
extern void lanes_revalidate(void);
extern void lanes_refresh_stale(void);

/* dispatch.c */
extern List *outcomes;
extern TimestampTz outcomes_since;
extern void dispatch_init(void);
extern void dispatch_configure(void);
extern void dispatch_start(void);
extern int	dispatch_inflight(void);
extern void dispatch_drive(int timeout_ms);
extern void dispatch_abort_all(void);
extern void outcomes_forget(void);

#endif							/* NOTIFY_DELIVERY_INTERNAL_H */
