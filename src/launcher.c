/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  The notify_ext launcher: one delivery worker per served database.
 *
 * The launcher is a static background worker connected to no database.  It
 * reads pg_database (a shared catalog) every notify_ext.launcher_naptime,
 * or at once when a capture committed in a database that has no worker,
 * and starts a dynamic worker (worker.c) for every database that allows
 * connections and is named by notify_ext.databases (all when empty).  A
 * worker that finds no notify_ext extension in its database leaves at once
 * and is not tried again before the next launcher period, so databases
 * without the extension cost one short connection per period.
 *
 * Slots in shared memory (shmem.c) record which database a worker serves;
 * the launcher allocates them, the worker fills in its pid and latch.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/varlena.h"

#include "compat.h"
#include "guc.h"
#include "shmem.h"
#include "worker.h"

#define RESCAN_INTERVAL_MS	1000

typedef struct DbInfo
{
	Oid			oid;
	char		name[NAMEDATALEN];
} DbInfo;

static BackgroundWorkerHandle **handles = NULL;

/*
 * launcher_register
 *		Register the static launcher worker.  _PG_init, preload only.
 */
void
launcher_register(void)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 5;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "notify_ext");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "notify_ext_launcher_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "notify_ext launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "notify_ext launcher");
	RegisterBackgroundWorker(&bgw);
}

/* Databases that allow connections, read from the shared catalog */
static List *
database_list(void)
{
	List	   *dbs = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	MemoryContext outer = CurrentMemoryContext;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;
		DbInfo	   *info;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(outer);
		info = palloc(sizeof(DbInfo));
		info->oid = db->oid;
		strlcpy(info->name, NameStr(db->datname), NAMEDATALEN);
		dbs = lappend(dbs, info);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return dbs;
}

/*
 * launcher_database_configured
 *		Is the database named by notify_ext.databases (or is the list empty)?
 */
bool
launcher_database_configured(const char *name)
{
	char	   *raw;
	List	   *names;
	ListCell   *lc;
	bool		found = false;

	if (notify_ext_databases == NULL || notify_ext_databases[0] == '\0')
		return true;
	raw = pstrdup(notify_ext_databases);
	if (!SplitIdentifierString(raw, ',', &names))
	{
		ereport(LOG,
				(errmsg("notify_ext.databases is not a valid list of names: \"%s\"",
						notify_ext_databases)));
		return false;
	}
	foreach(lc, names)
	{
		if (strcmp((char *) lfirst(lc), name) == 0)
			found = true;
	}
	return found;
}

static void
start_worker(int slotno, const DbInfo *db)
{
	BackgroundWorker bgw;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "notify_ext");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "notify_ext_worker_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "notify_ext worker %s", db->name);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "notify_ext worker");
	bgw.bgw_main_arg = Int32GetDatum(slotno);
	bgw.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&bgw, &handles[slotno]))
	{
		ereport(LOG,
				(errmsg("notify_ext could not start a worker for database \"%s\"",
						db->name),
				 errhint("Raise max_worker_processes.")));
		handles[slotno] = NULL;
	}
}

static void
launcher_scan(bool rescan)
{
	List	   *dbs = database_list();
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	/* forget workers that have stopped */
	for (i = 0; i < notify_shared->nslots; i++)
	{
		pid_t		pid;

		if (handles[i] != NULL &&
			GetBackgroundWorkerPid(handles[i], &pid) == BGWH_STOPPED)
		{
			pfree(handles[i]);
			handles[i] = NULL;
		}
	}

	foreach(lc, dbs)
	{
		DbInfo	   *db = lfirst(lc);
		int			slotno = -1;
		int			free_slot = -1;

		if (!launcher_database_configured(db->name))
			continue;

		LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
		for (i = 0; i < notify_shared->nslots; i++)
		{
			if (notify_shared->slots[i].dboid == db->oid)
				slotno = i;
			else if (notify_shared->slots[i].dboid == InvalidOid &&
					 handles[i] == NULL && free_slot < 0)
				free_slot = i;
		}
		if (slotno < 0 && free_slot >= 0)
		{
			slotno = free_slot;
			notify_shared->slots[slotno].dboid = db->oid;
			notify_shared->slots[slotno].pid = 0;
			notify_shared->slots[slotno].next_check = 0;
		}
		if (slotno >= 0 && handles[slotno] == NULL &&
			(rescan || notify_shared->slots[slotno].next_check <= now))
		{
			notify_shared->slots[slotno].next_check =
				TimestampTzPlusMilliseconds(now, 1000);
			LWLockRelease(notify_shared->lock);
			start_worker(slotno, db);
		}
		else
			LWLockRelease(notify_shared->lock);

		if (slotno < 0)
			ereport(LOG,
					(errmsg("notify_ext cannot serve database \"%s\": all %d worker slots are in use",
							db->name, notify_shared->nslots),
					 errhint("Raise notify_ext.max_databases.")));
	}
	list_free_deep(dbs);
}

/*
 * notify_ext_launcher_main
 *		Entry point of the launcher background worker.
 */
void
notify_ext_launcher_main(Datum main_arg)
{
	MemoryContext loop_context;
	TimestampTz last_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("notify_ext launcher");

	handles = MemoryContextAllocZero(TopMemoryContext,
									 sizeof(BackgroundWorkerHandle *) * notify_shared->nslots);
	notify_shared->launcher_pid = MyProcPid;
	notify_shared->launcher_latch = MyLatch;
	loop_context = AllocSetContextCreate(TopMemoryContext, "notify_ext launcher loop",
										 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		bool		rescan = false;
		long		timeout = notify_ext_launcher_naptime;
		TimestampTz now;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		/*
		 * A capture in a database without a worker asks for a scan.  Answer
		 * at most once per RESCAN_INTERVAL_MS, so that a busy database the
		 * launcher does not serve cannot keep it scanning.
		 */
		now = GetCurrentTimestamp();
		if (pg_atomic_read_u32(&notify_shared->rescan) != 0)
		{
			if (TimestampDifferenceExceeds(last_scan, now, RESCAN_INTERVAL_MS))
				rescan = pg_atomic_exchange_u32(&notify_shared->rescan, 0) != 0;
			else
				timeout = RESCAN_INTERVAL_MS;
		}
		if (rescan || TimestampDifferenceExceeds(last_scan, now, notify_ext_launcher_naptime))
		{
			MemoryContextSwitchTo(loop_context);
			launcher_scan(rescan);
			MemoryContextSwitchTo(TopMemoryContext);
			MemoryContextReset(loop_context);
			pgstat_report_activity(STATE_IDLE, NULL);
			last_scan = now;
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, NOTIFY_WAIT_EVENT);
		ResetLatch(MyLatch);
	}
}
