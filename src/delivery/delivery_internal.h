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

/* A circuit breaker's state (endpoint.c) */
typedef enum BreakerState
{
	BREAKER_CLOSED,				/* attempts start within the budget */
	BREAKER_OPEN,				/* nothing starts until probe_at */
	BREAKER_HALF_OPEN			/* one attempt (the probe) may run */
} BreakerState;

/*
 * Where actions send: scheme, host and port; function; channel
 * (endpoint.c)
 */
typedef struct Endpoint
{
	char		key[128];		/* hash key: NOTIFY_ENDPOINT_KEYLEN */
	bool		network;		/* http, sqs, sns: has a circuit breaker */
	int			inflight;		/* attempts running */
	int			failures;		/* consecutive failed attempts */
	BreakerState state;
	TimestampTz opened_at;		/* when the breaker last opened, or 0 */
	TimestampTz probe_at;		/* open: when the probe may start */
	dlist_head	parked;			/* Lane, by lnode: held back */
	int			nparked;
} Endpoint;

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
	Endpoint   *endpoint;		/* where it sends */
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
	Endpoint   *charged;		/* the endpoint its running attempt counts
								 * against, or NULL */
	bool		stale;			/* ref predates a change of definitions */
	bool		cancelled;		/* row taken away while being sent */
} Event;

struct Lane
{
	uint64		key;			/* hash key */
	dlist_head	queue;			/* Event */
	int			busy;			/* its events being sent: the head, or the
								 * first few of a batch (dispatch.c) */
	bool		listed;			/* in ready, waiting or parked_on->parked */
	Endpoint   *parked_on;		/* held back by this endpoint, or NULL */
	dlist_node	lnode;
};

/* lane.c */
extern MemoryContext event_context;
extern dlist_head ready_lanes;
extern int	buffered;
extern int64 claim_hint;
extern int64 read_max;
extern void lanes_init(void);
extern void lanes_new_transaction(void);
extern void event_enqueue(OutboxRow *row);
extern void event_attempt_done(Event *ev, bool finished);
extern void lanes_promote_waiting(TimestampTz now, long *sleep_ms);
extern void lanes_revalidate(void);
extern int64 *lanes_held_ids(int64 above, int *n);
extern void lanes_refresh_stale(void);

/* endpoint.c */
struct TransportResult;
extern void endpoints_init(int slotno);
extern Endpoint *endpoint_for_action(const NotifyAction *action);
extern int	endpoint_room(Endpoint *ep, TimestampTz now);
extern void endpoint_park(Endpoint *ep, Lane *lane);
extern void endpoint_unparked(Lane *lane);
extern void endpoint_started(Endpoint *ep, int n);
extern void endpoint_finished(Endpoint *ep, const struct TransportResult *res,
							  TimestampTz now);
extern void endpoints_promote(TimestampTz now, long *sleep_ms);
extern void endpoints_publish(TimestampTz now);

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
