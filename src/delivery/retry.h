/*-------------------------------------------------------------------------
 *
 * retry.h
 *	  The retry policy: what an attempt's result means for its event.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/retry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_RETRY_H
#define NOTIFY_RETRY_H

#include "datatype/timestamp.h"
#include "transport/transport.h"

/* What the event's history and its action allow */
typedef struct RetryBudget
{
	int			attempt;		/* number of the attempt just made (1 for
								 * the first ever) */
	int			attempts_base;	/* attempts made before the last
								 * notify.redeliver */
	int			retry;			/* the action's retry count */
	bool		synchronous;	/* synchronous actions are never retried */
	int			backoff_base_ms;	/* notify_ext.backoff_base */
	int			backoff_max_ms; /* notify_ext.backoff_max */
} RetryBudget;

typedef enum RetryVerdict
{
	RETRY_DELIVERED,
	RETRY_AGAIN,				/* try again at next_attempt_at */
	RETRY_FAILED				/* failed for good */
} RetryVerdict;

typedef struct RetryDecision
{
	RetryVerdict verdict;
	TimestampTz next_attempt_at;	/* RETRY_AGAIN only */
} RetryDecision;

extern bool retry_worth_trying(const TransportResult *res);
extern RetryDecision retry_decide(const TransportResult *res,
								  const RetryBudget *budget,
								  TimestampTz now, double jitter);

#endif							/* NOTIFY_RETRY_H */
