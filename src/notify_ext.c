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
#include "commands/defrem.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "storage/procarray.h"
#include "tcop/utility.h"
#include "utils/guc.h"

#include "guc.h"
#include "bgw/shmem.h"
#include "bgw/launcher.h"
#include "definition/definition.h"
#include "transport/transport.h"
#include "delivery/sync.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/* loaded by shared_preload_libraries (inherited by every backend) */
static bool preloaded = false;

PG_FUNCTION_INFO_V1(notify_ext_check_preloaded);

/*
 * notify_utility
 *		Before DROP DATABASE, and before CREATE DATABASE ... TEMPLATE, ask
 *		the delivery worker of the dropped (or copied) database to leave: a
 *		background worker connected to it would make the command fail.  A
 *		worker started again while the copy runs waits for it (connecting
 *		to a database conflicts with copying it).
 */
static void
notify_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
			   ProcessUtilityContext context, ParamListInfo params,
			   QueryEnvironment *queryEnv, DestReceiver *dest,
			   QueryCompletion *qc)
{
	Oid			dboid = InvalidOid;
	int			holdoff_ms = 0;

	if (IsA(pstmt->utilityStmt, DropdbStmt))
	{
		dboid = get_database_oid(((DropdbStmt *) pstmt->utilityStmt)->dbname, true);
		holdoff_ms = DROP_HOLDOFF_MS;
	}
	else if (IsA(pstmt->utilityStmt, CreatedbStmt))
	{
		ListCell   *lc;

		foreach(lc, ((CreatedbStmt *) pstmt->utilityStmt)->options)
		{
			DefElem    *opt = lfirst_node(DefElem, lc);

			if (strcmp(opt->defname, "template") == 0 && opt->arg != NULL)
				dboid = get_database_oid(defGetString(opt), true);
		}
		holdoff_ms = TEMPLATE_HOLDOFF_MS;
	}
	if (OidIsValid(dboid))
	{
		int			i;

		launcher_release_database(dboid, holdoff_ms);
		/* give it a moment: the command itself waits up to 5 s */
		for (i = 0; i < 50 && CountDBBackends(dboid) > 0; i++)
			pg_usleep(20000L);
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
	/* create and update refuse the hosts delivery would refuse */
	definition_url_check_hook = http_url_refusal;
	sync_init();

	/* the worker and its settings exist only when preloaded */
	if (process_shared_preload_libraries_in_progress)
	{
		preloaded = true;
		notify_ext_guc_init_worker();
		notify_shmem_init();
		launcher_register();
		prev_ProcessUtility = ProcessUtility_hook;
		ProcessUtility_hook = notify_utility;
	}

	MarkGUCPrefixReserved("notify_ext");
}

/*
 * notify_ext_check_preloaded
 *		notify.check_preloaded() returns void
 *
 * A WARNING when the library was not loaded by shared_preload_libraries:
 * then no launcher or worker exists, and captured events wait in the
 * outbox for ever.  Called by CREATE EXTENSION and when a notification is
 * defined (pg_cron tells its users the same way).
 */
Datum
notify_ext_check_preloaded(PG_FUNCTION_ARGS)
{
	if (!preloaded)
		ereport(WARNING,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("notify_ext is not loaded through shared_preload_libraries"),
				 errdetail("Events are captured into notify.outbox, but no worker delivers them."),
				 errhint("Add notify_ext to shared_preload_libraries in postgresql.conf and restart the server.")));
	PG_RETURN_VOID();
}
