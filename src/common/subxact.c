/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  Run a piece of work in an internal subtransaction, turning an ERROR
 *	  into a message for the caller.
 *
 * This is the only place notify_ext swallows an error, and it does so the
 * way PL/Python's SPI wrappers do: the work runs in its own internal
 * subtransaction, which is rolled back on error, with the caller's memory
 * context and resource owner restored.  Used where one bad row must not
 * stop the others: loading one stored definition, running one in-database
 * delivery.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/subxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "common/subxact.h"

/*
 * subxact_run
 *		Call fn(arg) in an internal subtransaction.
 *
 * Returns true when fn returned normally (the subtransaction is released
 * into the caller's transaction).  When fn raised an ERROR, the
 * subtransaction is rolled back and false is returned with *error set to
 * the error's message, palloc'd in the caller's memory context, and
 * *sqlerrcode (when not NULL) to its SQLSTATE.  Needs an open transaction.
 * FATAL and PANIC are not caught.
 */
bool
subxact_run(void (*fn) (void *arg), void *arg, char **error, int *sqlerrcode)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = true;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(caller);
	PG_TRY();
	{
		fn(arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		*error = pstrdup(edata->message);
		if (sqlerrcode != NULL)
			*sqlerrcode = edata->sqlerrcode;
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	return ok;
}
