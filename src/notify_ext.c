/*-------------------------------------------------------------------------
 *
 * notify_ext.c
 *	  Module entry point of notify_ext.
 *
 * notify_ext turns changes in an asset database into Vidispine-style
 * notifications: definitions are NotificationDocuments kept in SQL tables,
 * a C row trigger writes one outbox row per (event, matching notification)
 * in the changing transaction, and a background worker delivers the rows.
 *
 * _PG_init only defines settings and, when preloaded, registers the worker
 * and a utility hook that makes a database's worker leave before DROP
 * DATABASE.  The capture trigger and the SQL API work without preloading.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/notify_ext.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/procarray.h"
#include "tcop/utility.h"
#include "utils/guc.h"

#include "guc.h"
#include "shmem.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * notify_utility
 *		Before DROP DATABASE, ask that database's delivery worker to leave:
 *		a background worker connected to it would make the DROP fail.
 */
static void
notify_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			   ProcessUtilityContext context, ParamListInfo params,
			   QueryEnvironment *queryEnv, DestReceiver *dest,
			   QueryCompletion *qc)
{
	if (IsA(pstmt->utilityStmt, DropdbStmt))
	{
		DropdbStmt *stmt = (DropdbStmt *) pstmt->utilityStmt;
		Oid			dboid = get_database_oid(stmt->dbname, true);

		if (OidIsValid(dboid))
		{
			int			i;

			launcher_release_database(dboid);
			/* give it a moment: DROP DATABASE itself waits up to 5 s */
			for (i = 0; i < 50 && CountDBBackends(dboid) > 0; i++)
				pg_usleep(20000L);
		}
	}
	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
							queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/*
 * _PG_init
 *		Library load: settings first, then the preload-only parts.
 */
void
_PG_init(void)
{
	notify_ext_guc_init();

	/* the worker and its settings exist only when preloaded */
	if (process_shared_preload_libraries_in_progress)
	{
		notify_ext_guc_init_worker();
		notify_shmem_init();
		launcher_register();
		prev_ProcessUtility = ProcessUtility_hook;
		ProcessUtility_hook = notify_utility;
	}

	MarkGUCPrefixReserved("notify_ext");
}
