/*-------------------------------------------------------------------------
 *
 * retry.c
 *	  The retry policy: delivered, retry at T, or failed for good.
 *
 * This file is the one place that decides whether a failed attempt is
 * tried again, and when.  Its input is a transport's TransportResult (what
 * happened), the event's attempt numbers and the action's retry budget;
 * "now" and the jitter are passed in, so the decision is a pure function
 * that a test can drive with a fake clock (notify.retry_decision).
 *
 * Worth trying again: an attempt that got no complete answer (connection
 * failed or lost, timeout, an ERROR in an in-database action), or an
 * answer with status 5xx, 429 (too many requests) or 408 (request
 * timeout).  Not worth it: any other answer (1xx, 3xx since redirects are
 * not followed, 4xx) and a refusal (host not allowed, unusable URL, body
 * that cannot be encoded, transport not available, action not accepted).
 *
 * Budget: a synchronous action is never retried; otherwise an event has
 * 1 + retry attempts after its last notify.redeliver.  The delay before
 * attempt n + 1 is exponential, notify_ext.backoff_base * 2^(n-1), capped
 * at notify_ext.backoff_max, jittered into its upper half; a Retry-After
 * of the target that asks for longer is honoured up to backoff_max.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/retry.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "delivery/retry.h"

PG_FUNCTION_INFO_V1(notify_ext_retry_decision);

/*
 * retry_worth_trying
 *		Could the same attempt succeed later?  See the file banner.
 */
bool
retry_worth_trying(const TransportResult *res)
{
	switch (res->outcome)
	{
		case TRANSPORT_DELIVERED:
		case TRANSPORT_REFUSED:
			return false;
		case TRANSPORT_NO_ANSWER:
			return true;
		case TRANSPORT_ANSWERED:
			return res->status >= 500 || res->status == 429 ||
				res->status == 408 || res->status == 0;
	}
	return false;				/* keep compiler quiet */
}

/*
 * retry_backoff_ms
 *		Delay before the attempt after attempt number `attempt`, with
 *		jitter in [0, 1] choosing where in the upper half of the delay.
 */
static int64
retry_backoff_ms(const RetryBudget *budget, int retry_after_ms, double jitter)
{
	double		d = (double) budget->backoff_base_ms *
		pow(2.0, Max(budget->attempt - 1, 0));
	int64		ms;

	if (d > budget->backoff_max_ms)
		d = budget->backoff_max_ms;
	ms = (int64) (d / 2 + jitter * d / 2);
	if (retry_after_ms > ms)
		ms = Min(retry_after_ms, budget->backoff_max_ms);
	return ms;
}

/*
 * retry_decide
 *		What the attempt described by res means for its event.
 *
 * Pure: reads only its arguments.  now is the time the decision is made
 * (the retry delay counts from it), jitter a number in [0, 1] (the worker
 * passes a random one).  next_attempt_at is set for RETRY_AGAIN only.
 */
RetryDecision
retry_decide(const TransportResult *res, const RetryBudget *budget,
			 TimestampTz now, double jitter)
{
	RetryDecision d;

	d.next_attempt_at = 0;
	if (res->outcome == TRANSPORT_DELIVERED)
		d.verdict = RETRY_DELIVERED;
	else if (retry_worth_trying(res) && !budget->synchronous &&
			 budget->attempt - budget->attempts_base <= budget->retry)
	{
		d.verdict = RETRY_AGAIN;
		d.next_attempt_at =
			TimestampTzPlusMilliseconds(now,
										retry_backoff_ms(budget,
														 res->retry_after_ms,
														 jitter));
	}
	else
		d.verdict = RETRY_FAILED;
	return d;
}

/*
 * notify_ext_retry_decision
 *		SQL notify.retry_decision(outcome, status, retry_after_ms, attempt,
 *		attempts_base, retry, synchronous, backoff_base_ms, backoff_max_ms,
 *		now, jitter) RETURNS (verdict text, next_attempt_at timestamptz)
 *		(API: private).
 *
 * retry_decide() on the given values: outcome is 'delivered', 'no_answer',
 * 'answered' or 'refused'; verdict is 'delivered', 'retry' or 'failed'.
 * For tests.  ERRORs on an unknown outcome or a jitter outside [0, 1].
 */
Datum
notify_ext_retry_decision(PG_FUNCTION_ARGS)
{
	char	   *outcome = text_to_cstring(PG_GETARG_TEXT_PP(0));
	TransportResult res;
	RetryBudget budget;
	RetryDecision d;
	double		jitter = PG_GETARG_FLOAT8(10);
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	memset(&res, 0, sizeof(res));
	if (strcmp(outcome, "delivered") == 0)
		res.outcome = TRANSPORT_DELIVERED;
	else if (strcmp(outcome, "no_answer") == 0)
		res.outcome = TRANSPORT_NO_ANSWER;
	else if (strcmp(outcome, "answered") == 0)
		res.outcome = TRANSPORT_ANSWERED;
	else if (strcmp(outcome, "refused") == 0)
		res.outcome = TRANSPORT_REFUSED;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown attempt outcome \"%s\"", outcome),
				 errhint("Use delivered, no_answer, answered or refused.")));
	if (!(jitter >= 0.0 && jitter <= 1.0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("jitter must be between 0 and 1")));
	res.status = PG_GETARG_INT32(1);
	res.retry_after_ms = PG_GETARG_INT32(2);
	budget.attempt = PG_GETARG_INT32(3);
	budget.attempts_base = PG_GETARG_INT32(4);
	budget.retry = PG_GETARG_INT32(5);
	budget.synchronous = PG_GETARG_BOOL(6);
	budget.backoff_base_ms = PG_GETARG_INT32(7);
	budget.backoff_max_ms = PG_GETARG_INT32(8);

	d = retry_decide(&res, &budget, PG_GETARG_TIMESTAMPTZ(9), jitter);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = CStringGetTextDatum(d.verdict == RETRY_DELIVERED ? "delivered" :
									d.verdict == RETRY_AGAIN ? "retry" : "failed");
	if (d.verdict == RETRY_AGAIN)
		values[1] = TimestampTzGetDatum(d.next_attempt_at);
	else
		nulls[1] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
													  values, nulls)));
}
