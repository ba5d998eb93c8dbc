/*-------------------------------------------------------------------------
 *
 * xact.c
 *	  Run a piece of work in a short transaction of its own.
 *
 * The background workers (the launcher and the delivery workers) never
 * keep a transaction open across network I/O or a sleep: each piece of
 * catalog or table work runs in one short transaction through
 * run_in_transaction().  The helper hands the caller's memory context back
 * on every path (CommitTransactionCommand and AbortCurrentTransaction
 * leave TopMemoryContext current, so anything allocated after them would
 * otherwise outlive the caller's loop context).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/xact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "pgstat.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "common/xact.h"

/*
 * run_in_transaction
 *		Call fn(arg) in a new transaction with a snapshot pushed, then
 *		commit.
 *
 * Must be called with no transaction open.  fn runs with the transaction's
 * memory context current; what must outlive the transaction is allocated
 * by fn in a context of its choosing.  activity, when not NULL, is shown
 * in pg_stat_activity while fn runs (then the session shows idle, and
 * pending statistics are sent).  Returns true when the transaction
 * committed.  When fn or the commit raised an ERROR, the error is reported
 * to the log, the transaction rolled back, *error (when error is not NULL)
 * set to the error's message in the caller's memory context, and false
 * returned.  In every case the caller's memory context is current again on
 * return.  FATAL and PANIC are not caught.
 */
bool
run_in_transaction(void (*fn) (void *arg), void *arg, const char *activity,
				   char **error)
{
	MemoryContext caller = CurrentMemoryContext;
	volatile bool ok = true;

	PG_TRY();
	{
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		PushActiveSnapshot(GetTransactionSnapshot());
		if (activity != NULL)
			pgstat_report_activity(STATE_RUNNING, activity);
		fn(arg);
		PopActiveSnapshot();
		CommitTransactionCommand();
		if (activity != NULL)
		{
			pgstat_report_stat(false);
			pgstat_report_activity(STATE_IDLE, NULL);
		}
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		if (error != NULL)
		{
			ErrorData  *edata = CopyErrorData();

			*error = pstrdup(edata->message);
			FreeErrorData(edata);
		}
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		if (activity != NULL)
			pgstat_report_activity(STATE_IDLE, NULL);
		ok = false;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	return ok;
}
