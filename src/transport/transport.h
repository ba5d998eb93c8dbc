/*-------------------------------------------------------------------------
 *
 * transport.h
 *	  The interface every transport fills: an ops table and a result.
 *
 * A transport carries one event's body to one target: http.c (webhooks,
 * asynchronous over libcurl multi), indb.c (function and channel actions,
 * run in a short transaction of the delivery worker), sqs.c (Amazon SQS
 * SendMessage/SendMessageBatch and SNS Publish, signed requests over the
 * same libcurl multi handle as http.c).  The delivery loop talks to every transport through
 * TransportOps only:
 *
 *	start		take one attempt; true when it was taken (its result comes
 *				back through next_result), false with *refusal filled when
 *				it was refused before anything was sent
 *	inflight	attempts taken whose result has not been popped yet
 *	drive		make progress for at most timeout_ms (0: without waiting)
 *	next_result pop one finished attempt's result; false when none waits
 *	abort_all	drop every attempt without results (the worker leaves)
 *
 * Batching: a transport with batch_max > 1 is handed up to batch_max due
 * events of one lane and one action in one round, in lane order, by
 * consecutive start calls; every request but the last has more set.  It
 * may hold such requests and send them together, and must send what it
 * holds by the time start returns for a request without more.  Each
 * request still gets its own result.  Transports with batch_max 1 never
 * see more set.
 *
 * init runs once per process before the first start, configure after every
 * configuration reload.  Every member is set (a transport with nothing to
 * do in one of them gives a function that does nothing).
 *
 * A transport reports what happened, never what to do about it: whether
 * and when an attempt is tried again is decided by delivery/retry.c alone,
 * from the TransportResult.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/transport.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_TRANSPORT_H
#define NOTIFY_TRANSPORT_H

#include "definition/definition.h"

/* What one attempt came to */
typedef enum TransportOutcome
{
	TRANSPORT_DELIVERED,		/* the target accepted the event */
	TRANSPORT_NO_ANSWER,		/* no complete answer: connection failed or
								 * lost, timeout, an ERROR in an in-database
								 * action; status may still be set */
	TRANSPORT_ANSWERED,			/* a complete answer that is not a success:
								 * status says which */
	TRANSPORT_REFUSED			/* refused without a useful attempt (host
								 * not allowed, unusable URL, body that
								 * cannot be encoded, transport not
								 * available, action not accepted): trying
								 * again cannot mend it */
} TransportOutcome;

/* The structured result of one attempt */
typedef struct TransportResult
{
	void	   *arg;			/* the caller's pointer given to start */
	TransportOutcome outcome;
	int			status;			/* protocol status (HTTP), 0 for none */
	char	   *error;			/* NULL when delivered, else a message
								 * (palloc'd), never containing
								 * credentials */
	int			duration_ms;	/* as the transport measured it, or 0 */
	int			retry_after_ms; /* the target asked for this delay before
								 * the next attempt; -1 if it did not */
	char	   *answer;			/* delivered: the target's answer (a
								 * function's text result, the start of an
								 * HTTP body, at most HTTP_RESPONSE_KEEP
								 * bytes), palloc'd; else NULL.  Callers
								 * that read it set it to NULL first. */
} TransportResult;

/* One attempt to make: what start needs of the event and its action */
typedef struct TransportRequest
{
	void	   *arg;			/* comes back in the TransportResult */
	const NotifyAction *action;
	Oid			owner;			/* the notification's owner */
	const char *notification_id;
	const char *event_id;
	const char *payload;		/* the outbox payload (event multi-map) */
	const char *body;			/* the encoded body, or NULL when the
								 * transport encodes itself */
	size_t		len;			/* body length */
	uint64		lane_key;		/* the event's delivery lane */
	bool		more;			/* another request of the same action and
								 * lane follows in this round (batching) */
	int			timeout_ms;		/* > 0: the attempt's time limit, instead
								 * of the action's timeout or
								 * notify_ext.function_timeout
								 * (synchronous actions); 0: those */
} TransportRequest;

typedef struct TransportOps
{
	const char *name;
	int			batch_max;		/* requests of one lane it takes at once */
	void		(*init) (void);
	void		(*configure) (void);
	bool		(*start) (const TransportRequest *req,
						  TransportResult *refusal);
	int			(*inflight) (void);
	void		(*drive) (int timeout_ms);
	bool		(*next_result) (TransportResult *res);
	void		(*abort_all) (void);
} TransportOps;

/* the transports (one file each) */
extern const TransportOps http_transport;
extern const TransportOps indb_transport;
extern const TransportOps sqs_transport;
extern const TransportOps sns_transport;

/* transport/http.c: the host rules applied to a URL at definition time */
extern char *http_url_refusal(const char *url);

/*
 * Synchronous use (delivery/sync.c), in a backend inside the changing
 * transaction: an asynchronous transport (http, sqs) is driven through
 * the same ops for one attempt at a time (init, configure, start, then
 * drive and next_result until the result or the deadline, abort_all on a
 * deadline or an ERROR), so filling the ops table is all a transport
 * needs to serve synchronous actions too; it must honour
 * TransportRequest.timeout_ms, and its drive must wait (up to its
 * timeout) while nothing is ready rather than return at once.  In-database
 * actions use indb_deliver.
 */

/* transport/indb.c: one in-database action in the caller's transaction */
extern void indb_deliver(const TransportRequest *req, TransportResult *res);

#endif							/* NOTIFY_TRANSPORT_H */
