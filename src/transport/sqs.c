/*-------------------------------------------------------------------------
 *
 * sqs.c
 *	  <sqs> actions: Amazon SQS delivery, not available in this version.
 *
 * The definition layer accepts <sqs> actions (their endpoint, queue,
 * region and credentials are parsed and kept), so notifications written
 * for a later version load today.  Delivering one is refused here, as a
 * result that trying again cannot mend: the event fails at once with a
 * message that says why.  Real SQS delivery fills this file's ops table.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/sqs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "transport/transport.h"

/*
 * sqs_nothing
 *		init, configure and abort_all: there is no state to set up or drop.
 */
static void
sqs_nothing(void)
{
}

/*
 * sqs_start
 *		Refuse every request: *refusal says that SQS delivery is not
 *		available.  Never takes an attempt, never ERRORs but out of memory.
 */
static bool
sqs_start(const TransportRequest *req, TransportResult *refusal)
{
	refusal->arg = req->arg;
	refusal->outcome = TRANSPORT_REFUSED;
	refusal->status = 0;
	refusal->error = pstrdup("sqs delivery is not available in this version of notify_ext");
	refusal->duration_ms = 0;
	refusal->retry_after_ms = -1;
	return false;
}

/*
 * sqs_inflight
 *		No attempt is ever taken.
 */
static int
sqs_inflight(void)
{
	return 0;
}

/*
 * sqs_drive
 *		Nothing runs.
 */
static void
sqs_drive(int timeout_ms)
{
}

/*
 * sqs_next_result
 *		No result ever waits.
 */
static bool
sqs_next_result(TransportResult *res)
{
	return false;
}

const TransportOps sqs_transport = {
	.name = "sqs",
	.init = sqs_nothing,
	.configure = sqs_nothing,
	.start = sqs_start,
	.inflight = sqs_inflight,
	.drive = sqs_drive,
	.next_result = sqs_next_result,
	.abort_all = sqs_nothing
};
