/*-------------------------------------------------------------------------
 *
 * sync_queue.h
 *	  The synchronous events of the current transaction: what capture
 *	  hands to synchronous delivery instead of the outbox.
 *
 * A match whose action is synchronous="true" is not written to the outbox:
 * capture queues it here (capture_sync_add), in the transaction's memory,
 * and delivery/sync.c delivers the queue in the same backend just before
 * the transaction commits.  Entries of a subtransaction that rolls back
 * are dropped with it.  Each entry carries its own copy of the action, so
 * a definition cache rebuilt meanwhile cannot pull it away.
 *
 * A trigger that needs an answer at once (the storage filename event)
 * builds entries with capture_sync_make and runs them through
 * capture_sync_deliver_now, which delivery/sync.c serves.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/sync_queue.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_SYNC_QUEUE_H
#define NOTIFY_SYNC_QUEUE_H

#include "access/xact.h"
#include "nodes/pg_list.h"

#include "definition/definition.h"
#include "definition/definition_cache.h"

/* One synchronous (event, notification) pair to deliver */
typedef struct SyncEvent
{
	uint64		change;			/* the row change that raised it: order */
	int64		number;			/* n of the notification id VX-n: order
								 * within one change */
	SubTransactionId subid;		/* subtransaction that queued it */
	char	   *notification_id;
	Oid			owner;
	char	   *event_id;		/* uuid, as outbox.event_id */
	char	   *resource;
	char	   *event;
	char	   *entity_id;		/* or NULL */
	char	   *payload;		/* the event multi-map (JSON) */
	NotifyAction action;		/* deep copy, credentials included */
} SyncEvent;

/* What delivery/sync.c installs to serve capture_sync_deliver_now */
typedef char *(*SyncDeliverNow) (List *events);

extern PGDLLIMPORT SyncDeliverNow capture_sync_deliver_hook;

extern void capture_sync_next_change(void);
extern SyncEvent *capture_sync_make(const CachedNotification *cn,
									const char *resource, const char *event,
									const char *entity_id,
									const char *payload);
extern void capture_sync_add(const CachedNotification *cn,
							 const char *resource, const char *event,
							 const char *entity_id, const char *payload);
extern List *capture_sync_take(void);
extern bool capture_sync_pending(void);
extern void capture_sync_reset(void);
extern void capture_sync_subxact(SubXactEvent event,
								 SubTransactionId mySubid,
								 SubTransactionId parentSubid);
extern char *capture_sync_deliver_now(List *events);

#endif							/* NOTIFY_SYNC_QUEUE_H */
