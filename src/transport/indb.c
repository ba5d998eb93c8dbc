/*-------------------------------------------------------------------------
 *
 * indb.c
 *	  In-database actions (<function>, <channel>) as a transport.
 *
 * A <function> action calls the notification's event function with the
 * event as jsonb; a <channel> action sends the encoded body with NOTIFY.
 * Both run as the role that created the notification, each in a
 * subtransaction of its own: an ERROR is the outcome of that attempt (no
 * answer, retried like a 5xx), never the caller's.  A function that
 * returns NULL did not accept the event: refused, not retried.
 *
 * indb_deliver() runs one action in the caller's transaction (for a
 * synchronous path).  The delivery worker uses the ops table: start queues
 * the attempt, drive hands it to the helper process (indb_helper.c), which
 * runs the attempts it receives together in one short transaction of its
 * own (common/xact.c) with this file's code, and collects the results,
 * never waiting on a running function; next_result hands the results
 * back.  Without a helper (no background worker slot) drive runs them
 * itself, as the helper does.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/indb.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "commands/async.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "parser/parse_func.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "common/compat.h"
#include "common/subxact.h"
#include "common/text_escape.h"
#include "common/xact.h"
#include "encode/encode.h"
#include "guc.h"
#include "notify_ext.h"
#include "transport/indb_helper.h"
#include "transport/transport.h"

/* One queued attempt: the request as given (its strings stay the caller's) */
typedef struct IndbAttempt
{
	TransportRequest req;
	TransportResult res;
	bool		sent;			/* handed to the helper */
	bool		done;			/* res is filled */
} IndbAttempt;

static MemoryContext IndbContext = NULL;
static List *indb_queue = NIL;	/* IndbAttempt *, in IndbContext */
static int	indb_popped = 0;	/* leading attempts already handed back */

bool		indb_run_here = false;	/* the helper: never hand attempts on */

/*
 * indb_check_owner
 *		The role an in-database action runs as: the notification's owner,
 *		which must still exist.  ERROR otherwise: never the worker's role.
 */
static Oid
indb_check_owner(const TransportRequest *req)
{
	Oid			owner = req->owner;

	if (!OidIsValid(owner) ||
		!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u, the owner of notification \"%s\", does not exist",
						owner, req->notification_id),
				 errhint("Actions run as the role that created the notification; create the notification again as an existing role.")));
	return owner;
}

/*
 * indb_call_function
 *		Call the event function of a <function> action with the event as
 *		jsonb, as role `owner`.
 *
 * The call runs the way core runs a table owner's code in maintenance
 * commands: as that role, in a security-restricted operation (no SET ROLE,
 * SET SESSION AUTHORIZATION or other escapes into the worker's superuser
 * session), under its own GUC nest level whose changes are all rolled
 * back afterwards (so the function sees the session's normal settings, not
 * the worker's, and leaves nothing behind), and under
 * notify_ext.function_timeout.  The name resolves under search_path
 * pg_catalog, pg_temp, as when the notification was checked.  The owner's
 * privileges to use the function (USAGE on its schema, EXECUTE) are
 * checked at every call.  req->timeout_ms, when set, replaces
 * notify_ext.function_timeout.
 * Returns false when the function returned NULL; else true with *answer
 * set to its result (palloc'd in the caller's memory context).  ERRORs
 * otherwise.
 */
static bool
indb_call_function(const TransportRequest *req, Oid owner, char **answer)
{
	const char *function_name = req->action->function_name;
	Oid			argtypes[1] = {JSONBOID};
	Oid			fn;
	FmgrInfo	flinfo;
	Oid			save_userid;
	int			save_sec;
	int			save_nestlevel;
	int			timeout_ms = req->timeout_ms > 0 ? req->timeout_ms :
		notify_ext_function_timeout;
	volatile Datum result = (Datum) 0;

	LOCAL_FCINFO(fcinfo, 1);

	/*
	 * The name resolves as it did when the notification was checked (under
	 * the definition API's search_path), not under this database's
	 * search_path setting, which its owner may point at schemas of its own.
	 */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", NOTIFY_SAFE_SEARCH_PATH, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	fn = LookupFuncName(stringToQualifiedNameList(function_name),
						1, argtypes, false);
	AtEOXact_GUC(false, save_nestlevel);
	if (!notify_role_may_call(fn, owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s",
						notify_quote_value(function_name)),
				 errdetail("The action runs as role \"%s\".",
						   GetUserNameFromId(owner, false))));
	fmgr_info(fn, &flinfo);
	InitFunctionCallInfoData(*fcinfo, &flinfo, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = DirectFunctionCall1(jsonb_in,
												CStringGetDatum(req->payload));
	fcinfo->args[0].isnull = false;

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	save_nestlevel = NewGUCNestLevel();
	if (timeout_ms > 0)
		enable_timeout_after(STATEMENT_TIMEOUT, timeout_ms);
	PG_TRY();
	{
		result = FunctionCallInvoke(fcinfo);
		CHECK_FOR_INTERRUPTS();
	}
	PG_FINALLY();
	{
		if (timeout_ms > 0)
			disable_timeout(STATEMENT_TIMEOUT, false);
	}
	PG_END_TRY();
	AtEOXact_GUC(false, save_nestlevel);
	SetUserIdAndSecContext(save_userid, save_sec);

	if (fcinfo->isnull)
		return false;
	*answer = TextDatumGetCString(result);
	return true;
}

/* What indb_call reports back out of its subtransaction */
typedef struct IndbCall
{
	const TransportRequest *req;
	bool		accepted;
	char	   *answer;			/* a function's result, or NULL */
} IndbCall;

/*
 * indb_call
 *		Run one in-database action (subxact_run callback).  Sets
 *		call->accepted; ERRORs when the action fails.
 */
static void
indb_call(void *arg)
{
	IndbCall   *call = arg;
	const TransportRequest *req = call->req;
	Oid			owner = indb_check_owner(req);

	if (req->action->kind == NA_FUNCTION)
		call->accepted = indb_call_function(req, owner, &call->answer);
	else
	{
		Oid			save_userid;
		int			save_sec;
		size_t		len;
		char	   *body = encode_body(req->payload, req->action->content_type, &len);

		GetUserIdAndSecContext(&save_userid, &save_sec);
		SetUserIdAndSecContext(owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
		Async_Notify(req->action->channel, body);
		SetUserIdAndSecContext(save_userid, save_sec);
		call->accepted = true;
	}
}

/*
 * indb_deliver
 *		Run the <function> or <channel> action of req in a subtransaction of
 *		the caller's transaction, as the notification's owner, and fill *res.
 *
 * Needs an open transaction.  Outcome: delivered; no answer (the action
 * raised an ERROR, whose message is the error); refused (the function
 * returned NULL).  res->error is palloc'd in CurrentMemoryContext.  Never
 * ERRORs but for FATAL, PANIC and out of memory.
 */
void
indb_deliver(const TransportRequest *req, TransportResult *res)
{
	IndbCall	call = {req, false, NULL};
	char	   *error = NULL;

	res->arg = req->arg;
	res->status = 0;
	res->duration_ms = 0;
	res->retry_after_ms = -1;
	res->error = NULL;
	res->answer = NULL;
	if (!subxact_run(indb_call, &call, &error, NULL))
	{
		res->outcome = TRANSPORT_NO_ANSWER;
		res->error = error;
	}
	else if (call.accepted)
	{
		res->outcome = TRANSPORT_DELIVERED;
		res->answer = call.answer;
	}
	else
	{
		res->outcome = TRANSPORT_REFUSED;
		res->error = pstrdup("function returned NULL: the event was not accepted");
	}
}

/*
 * indb_init
 *		Create the module's memory context, once.
 */
static void
indb_init(void)
{
	if (IndbContext == NULL)
		IndbContext = AllocSetContextCreate(TopMemoryContext,
											"notify_ext in-database actions",
											ALLOCSET_SMALL_SIZES);
}

/*
 * indb_configure
 *		Nothing to apply: the settings are read at every call.
 */
static void
indb_configure(void)
{
}

/*
 * indb_start
 *		Queue one attempt.  The request's strings and action must stay
 *		valid until its result is popped.  Always taken.
 */
static bool
indb_start(const TransportRequest *req, TransportResult *refusal)
{
	MemoryContext old = MemoryContextSwitchTo(IndbContext);
	IndbAttempt *a = palloc0(sizeof(IndbAttempt));

	a->req = *req;
	indb_queue = lappend(indb_queue, a);
	MemoryContextSwitchTo(old);
	return true;
}

/*
 * indb_inflight
 *		Attempts queued or finished whose result has not been popped.
 */
static int
indb_inflight(void)
{
	return list_length(indb_queue) - indb_popped;
}

/*
 * indb_run_queue
 *		run_in_transaction callback: run every queued attempt that has no
 *		result yet.  When the extension is no longer installed nothing is
 *		run: those attempts get no answer.
 */
static void
indb_run_queue(void *arg)
{
	bool		installed = OidIsValid(notify_catalog()->schema);
	ListCell   *lc;

	foreach(lc, indb_queue)
	{
		IndbAttempt *a = lfirst(lc);
		TransportResult res;
		MemoryContext old;

		if (a->done)
			continue;
		if (installed)
		{
			indb_deliver(&a->req, &res);

			/*
			 * Session-level advisory locks outlive the subtransaction and
			 * would be held by the worker for good, stalling whoever uses
			 * the same keys: drop any the function took (the worker takes
			 * none).  Not in indb_deliver: a synchronous caller's session
			 * locks are its own.
			 */
			LockReleaseSession(USER_LOCKMETHOD);
		}
		else
		{
			res.arg = a->req.arg;
			res.outcome = TRANSPORT_NO_ANSWER;
			res.status = 0;
			res.duration_ms = 0;
			res.retry_after_ms = -1;
			res.error = NULL;
		}
		old = MemoryContextSwitchTo(IndbContext);
		a->res = res;
		a->res.error = res.error ? pstrdup(res.error) :
			(installed ? NULL : pstrdup("the notify_ext extension is not installed"));
		a->done = true;
		MemoryContextSwitchTo(old);
	}
}

/*
 * indb_settle
 *		Give attempt a no answer with error (copied), as its result.
 */
static void
indb_settle(IndbAttempt *a, const char *error)
{
	a->res.arg = a->req.arg;
	a->res.outcome = TRANSPORT_NO_ANSWER;
	a->res.status = 0;
	a->res.duration_ms = 0;
	a->res.retry_after_ms = -1;
	a->res.error = MemoryContextStrdup(IndbContext, error);
	a->res.answer = NULL;
	a->done = true;
}

/*
 * indb_drive_helper
 *		Hand the queued attempts not sent yet to the helper and collect the
 *		results it has sent back (in the order of the requests), without
 *		waiting on it; when nothing came back, wait up to timeout_ms for it.
 *		A helper that is gone leaves its unanswered attempts without an
 *		answer and is dropped (the next drive runs attempts here for a
 *		while).
 */
static void
indb_drive_helper(int timeout_ms)
{
	ListCell   *lc;
	bool		got = false;
	bool		gone = false;

	foreach(lc, indb_queue)
	{
		IndbAttempt *a = lfirst(lc);
		HelperSend r;

		if (a->sent || a->done)
			continue;
		r = indb_helper_send(&a->req);
		if (r == HELPER_BUSY)
			break;
		if (r == HELPER_GONE)
		{
			gone = true;
			break;
		}
		a->sent = true;
	}
	while (!gone)
	{
		TransportResult res;
		MemoryContext old = MemoryContextSwitchTo(IndbContext);
		int			r = indb_helper_receive(&res);

		MemoryContextSwitchTo(old);
		if (r == 0)
			break;
		if (r < 0)
		{
			gone = true;
			break;
		}
		foreach(lc, indb_queue)
		{
			IndbAttempt *a = lfirst(lc);

			if (a->sent && !a->done)
			{
				a->res = res;
				a->res.arg = a->req.arg;
				a->done = true;
				break;
			}
		}
		got = true;
	}
	if (gone)
	{
		foreach(lc, indb_queue)
		{
			IndbAttempt *a = lfirst(lc);

			if (a->sent && !a->done)
				indb_settle(a, "the process running in-database actions stopped");
		}
		indb_helper_stop(true);
	}
	else if (!got && timeout_ms > 0)
		indb_helper_wait(timeout_ms);
}

/*
 * indb_drive
 *		In the delivery worker, hand the queued attempts to the helper
 *		process and collect its results (indb_drive_helper, waiting at most
 *		timeout_ms).  In the helper, or without one: run every queued
 *		attempt, in one short transaction of its own; must be called with no
 *		transaction open.  When that transaction fails (reported to the
 *		log), attempts left without a result get no answer with the
 *		transaction's failure as their error.  Does not wait then.
 */
static void
indb_drive(int timeout_ms)
{
	ListCell   *lc;

	if (indb_inflight() == 0)
		return;
	if (!indb_run_here && indb_helper_ready())
	{
		indb_drive_helper(timeout_ms);
		return;
	}
	if (run_in_transaction(indb_run_queue, NULL, "notify_ext delivery", NULL))
		return;
	foreach(lc, indb_queue)
	{
		IndbAttempt *a = lfirst(lc);

		if (a->done)
			continue;
		indb_settle(a, "the transaction of in-database actions failed");
	}
}

/*
 * indb_next_result
 *		Pop the oldest finished attempt into *res (error palloc'd in
 *		CurrentMemoryContext).  False when none waits.  Once every result
 *		is popped the queue is emptied.
 */
static bool
indb_next_result(TransportResult *res)
{
	IndbAttempt *a;

	if (indb_popped >= list_length(indb_queue))
		return false;
	a = list_nth(indb_queue, indb_popped);
	if (!a->done)
		return false;
	*res = a->res;
	res->error = a->res.error ? pstrdup(a->res.error) : NULL;
	indb_popped++;
	if (indb_popped == list_length(indb_queue))
	{
		indb_queue = NIL;
		indb_popped = 0;
		MemoryContextReset(IndbContext);
	}
	return true;
}

/*
 * indb_abort_all
 *		Drop every queued attempt without results.
 */
static void
indb_abort_all(void)
{
	if (!indb_run_here)
		indb_helper_stop(false);
	indb_queue = NIL;
	indb_popped = 0;
	if (IndbContext != NULL)
		MemoryContextReset(IndbContext);
}

/* <function> and <channel> actions, run in the database */
const TransportOps indb_transport = {
	.name = "indb",
	.batch_max = 1,
	.init = indb_init,
	.configure = indb_configure,
	.start = indb_start,
	.inflight = indb_inflight,
	.drive = indb_drive,
	.next_result = indb_next_result,
	.abort_all = indb_abort_all
};
