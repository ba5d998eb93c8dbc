/*-------------------------------------------------------------------------
 *
 * outbox.h
 *	  The durable outbox: one row per (event, matching notification).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/outbox/outbox.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_OUTBOX_H
#define NOTIFY_OUTBOX_H

extern Datum outbox_random_uuid(void);
extern void outbox_insert(Oid outbox, Oid id_seq, const char *notification_id,
						  const char *resource, const char *event,
						  const char *entity_id, const char *payload,
						  int64 lane);



/* worker side */
#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

typedef struct OutboxRow
{
	int64		id;
	char	   *event_id;
	char	   *notification_id;
	char	   *resource;
	char	   *event;
	char	   *entity_id;
	char	   *payload;
	int			attempts;
	int			attempts_base;	/* attempts made before the last redeliver */
	TimestampTz next_attempt_at;
	int64		lane;			/* the lane column, -1 when NULL */
} OutboxRow;

typedef struct OutboxOutcome
{
	int64		id;
	const char *status;			/* "delivered", "failed", or "retrying" */
	int			attempt;		/* attempt number just made */
	TimestampTz attempted_at;
	int			duration_ms;
	int			status_code;	/* HTTP status, or 0 for none */
	char	   *error;			/* NULL when delivered */
	TimestampTz next_attempt_at;	/* retries only */
} OutboxOutcome;

extern List *outbox_claim(int limit, int64 after, int process, int nprocesses,
						  const int64 *held, int nheld);
extern uint64 outbox_reclaim(int process, int nprocesses, bool by_lane);
extern void outbox_record(List *outcomes);
extern uint64 outbox_purge(void);
extern int64 *outbox_released(const int64 *ids, int n, int *nreleased);
#endif							/* NOTIFY_OUTBOX_H */
