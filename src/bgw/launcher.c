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
 * and that database is looked at again only after ten launcher periods, so
 * databases without the extension cost little.  A capture in a database
 * without a running worker names it in shared memory and wakes the
 * launcher, which then serves it at once (at most one scan per second).
 *
 * Slots in shared memory (shmem.c) exist only for running workers: the
 * launcher takes one when it starts a worker and frees it when the worker
 * has stopped, so databases without the extension never keep a slot.  When
 * a database may be tried again is launcher memory (DbHold).
 *
 * S3 ingest: beside the delivery worker of a slot the launcher starts the
 * database's ingest poller (src/ingest/poller.c) when the slot is marked
 * ingest_wanted: once when the slot is taken (the poller looks for storage
 * methods and leaves when there are none), and again whenever a committed
 * change of storage methods marks it (shmem.c).  A poller that exited
 * unexpectedly is started again only after the hold it set in the slot
 * (1 s, doubling with each such exit in a row up to 60 s).  A slot is freed only
 * when both processes have stopped; when the delivery worker stops, the
 * launcher stops the poller too.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/bgw/launcher.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "access/htup_details.h"
#include "access/table.h"
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
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/varlena.h"

#include "common/compat.h"
#include "guc.h"
#include "bgw/shmem.h"
#include "common/xact.h"
#include "bgw/launcher.h"

#define RESCAN_INTERVAL_MS	1000

typedef struct DbInfo
{
	Oid			oid;
	char		name[NAMEDATALEN];
} DbInfo;

static BackgroundWorkerHandle **handles = NULL;
static BackgroundWorkerHandle **ingest_handles = NULL;

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

/* database_scan's argument: where to put the list, and the list */
typedef struct DbScan
{
	MemoryContext into;
	List	   *dbs;			/* DbInfo * */
} DbScan;

/*
 * database_scan
 *		run_in_transaction callback: append every database that allows
 *		connections (and is no template) to scan->dbs, in scan->into.
 */
static void
database_scan(void *arg)
{
	DbScan	   *dbscan = arg;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);
		MemoryContext old;
		DbInfo	   *info;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(dbscan->into);
		info = palloc(sizeof(DbInfo));
		info->oid = db->oid;
		strlcpy(info->name, NameStr(db->datname), NAMEDATALEN);
		dbscan->dbs = lappend(dbscan->dbs, info);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/*
 * database_list
 *		Databases that allow connections, read from the shared catalog in a
 *		short transaction: a list of DbInfo in the caller's memory context,
 *		which is current again on return.  NIL when the transaction failed
 *		(the error is reported; the next scan tries again).
 */
static List *
database_list(void)
{
	DbScan		dbscan = {CurrentMemoryContext, NIL};

	if (!run_in_transaction(database_scan, &dbscan, NULL, NULL))
		return NIL;
	return dbscan.dbs;
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

/*
 * start_poller
 *		Register the dynamic ingest poller of the database of slot slotno.
 *		Its handle (ingest_handles[slotno], NULL when it could not be
 *		registered) lives in TopMemoryContext until reap_workers frees it.
 */
static void
start_poller(int slotno)
{
	BackgroundWorker bgw;
	MemoryContext old;
	bool		registered;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "notify_ext");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "notify_ext_ingest_main");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "notify_ext ingest %u",
			 notify_shared->slots[slotno].dboid);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "notify_ext ingest");
	bgw.bgw_main_arg = Int32GetDatum(slotno);
	bgw.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&bgw, &ingest_handles[slotno]);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		ereport(LOG,
				(errmsg("notify_ext could not start the ingest poller of database %u",
						notify_shared->slots[slotno].dboid),
				 errhint("Raise max_worker_processes.")));
		ingest_handles[slotno] = NULL;
	}
}

/*
 * start_pollers
 *		Start the ingest poller of every slot whose delivery worker was
 *		started, that is marked ingest_wanted and has no poller, unless the
 *		slot is held after an unexpected exit of its last poller
 *		(ingest_hold_until, set by the poller).  A poller that could not be
 *		registered is tried again at the next call.  Returns the
 *		milliseconds until the first hold ends, or -1 when none waits.
 */
static long
start_pollers(TimestampTz now)
{
	int			i;
	long		wait_ms = -1;

	for (i = 0; i < notify_shared->nslots; i++)
	{
		NotifyDbSlot *slot = &notify_shared->slots[i];
		TimestampTz hold_until;

		if (handles[i] == NULL || ingest_handles[i] != NULL ||
			!OidIsValid(slot->dboid) || slot->process != 0 ||
			pg_atomic_read_u32(&slot->ingest_wanted) == 0)
			continue;
		LWLockAcquire(notify_shared->lock, LW_SHARED);
		hold_until = slot->ingest_hold_until;
		LWLockRelease(notify_shared->lock);
		if (hold_until > now)
		{
			long		ms = TimestampDifferenceMilliseconds(now, hold_until) + 1;

			wait_ms = (wait_ms < 0) ? ms : Min(wait_ms, ms);
			continue;
		}
		start_poller(i);
	}
	return wait_ms;
}

/*
 * start_worker
 *		Register dynamic delivery process `process` of db in slot slotno.
 *		Its handle (handles[slotno], NULL when it could not be registered)
 *		lives in TopMemoryContext until reap_workers frees it.
 */
static void
start_worker(int slotno, const DbInfo *db, int process)
{
	BackgroundWorker bgw;
	MemoryContext old;
	bool		registered;

	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "notify_ext");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "notify_ext_worker_main");
	if (notify_ext_delivery_processes == 1)
		snprintf(bgw.bgw_name, BGW_MAXLEN, "notify_ext worker %s", db->name);
	else
		snprintf(bgw.bgw_name, BGW_MAXLEN, "notify_ext worker %s %d/%d",
				 db->name, process + 1, notify_ext_delivery_processes);
	snprintf(bgw.bgw_type, BGW_MAXLEN, "notify_ext worker");
	bgw.bgw_main_arg = Int32GetDatum(slotno);
	bgw.bgw_notify_pid = MyProcPid;

	old = MemoryContextSwitchTo(TopMemoryContext);
	registered = RegisterDynamicBackgroundWorker(&bgw, &handles[slotno]);
	MemoryContextSwitchTo(old);
	if (!registered)
	{
		ereport(LOG,
				(errmsg("notify_ext could not start a worker for database \"%s\"",
						db->name),
				 errhint("Raise max_worker_processes.")));
		handles[slotno] = NULL;
	}
}

/* When a database may next get a worker: launcher memory only */
typedef struct DbHold
{
	Oid			dboid;			/* hash key */
	TimestampTz hold_until;
	bool		warned;			/* "no free slot" logged */
} DbHold;

static HTAB *holds = NULL;

/*
 * db_hold
 *		The hold entry of database dboid in holds, made (not held, not
 *		warned) when it has none.  ERRORs only when out of memory.
 */
static DbHold *
db_hold(Oid dboid)
{
	bool		found;
	DbHold	   *h = hash_search(holds, &dboid, HASH_ENTER, &found);

	if (!found)
	{
		h->hold_until = 0;
		h->warned = false;
	}
	return h;
}

/*
 * Reap stopped workers: forget stopped ingest pollers; free the slots of
 * stopped delivery workers (once their poller has stopped too: it is asked
 * to) and remember when their database may have a worker again (what the
 * worker asked for, or one second after an unexpected exit).  Returns when
 * the earliest of those holds ends (0 when no slot was freed): the other
 * processes of the database may still run, so no capture asks for a scan,
 * and the launcher scans again then.
 */
static TimestampTz
reap_workers(TimestampTz now)
{
	int			i;
	TimestampTz rescan_at = 0;

	for (i = 0; i < notify_shared->nslots; i++)
	{
		NotifyDbSlot *slot = &notify_shared->slots[i];
		pid_t		pid;

		if (ingest_handles[i] != NULL &&
			GetBackgroundWorkerPid(ingest_handles[i], &pid) == BGWH_STOPPED)
		{
			pfree(ingest_handles[i]);
			ingest_handles[i] = NULL;
		}
		if (handles[i] == NULL ||
			GetBackgroundWorkerPid(handles[i], &pid) != BGWH_STOPPED)
			continue;
		if (ingest_handles[i] != NULL)
		{
			/* the launcher is woken again when the poller has stopped */
			TerminateBackgroundWorker(ingest_handles[i]);
			continue;
		}
		pfree(handles[i]);
		handles[i] = NULL;

		LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
		{
			DbHold	   *hold = db_hold(slot->dboid);

			hold->hold_until = Max(slot->hold_until,
								   TimestampTzPlusMilliseconds(now, 1000));
			if (rescan_at == 0 || hold->hold_until < rescan_at)
				rescan_at = hold->hold_until;
		}
		slot->dboid = InvalidOid;
		slot->process = 0;
		slot->pid = 0;
		slot->latch = NULL;
		slot->hold_until = 0;
		slot->ingest_hold_until = 0;
		slot->ingest_failures = 0;
		pg_atomic_write_u32(&slot->ingest_wanted, 0);
		LWLockRelease(notify_shared->lock);
	}
	return rescan_at;
}

/*
 * serve_database
 *		Start the delivery processes of db that have no slot: each takes a
 *		free slot (the first one, process 0, marked ingest_wanted: its
 *		poller is started once and leaves when there is no storage method).
 *		Returns false when a process could not be given a slot (*no_slot
 *		set) or could not be registered (tried again at the next scan), true
 *		when every process of db has a slot.
 */
static bool
serve_database(const DbInfo *db, bool *no_slot)
{
	bool		have[NOTIFY_MAX_DELIVERY_PROCESSES] = {false};
	bool		all = true;
	int			process;
	int			i;

	for (process = 0; process < notify_ext_delivery_processes; process++)
	{
		int			free_slot = -1;

		LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
		for (i = 0; i < notify_shared->nslots; i++)
		{
			NotifyDbSlot *slot = &notify_shared->slots[i];

			if (slot->dboid == db->oid)
				have[slot->process] = true;
			else if (slot->dboid == InvalidOid && handles[i] == NULL &&
					 free_slot < 0)
				free_slot = i;
		}
		if (have[process])
		{
			LWLockRelease(notify_shared->lock);
			continue;
		}
		if (free_slot < 0)
		{
			LWLockRelease(notify_shared->lock);
			*no_slot = true;
			return false;
		}
		notify_shared->slots[free_slot].dboid = db->oid;
		notify_shared->slots[free_slot].process = process;
		notify_shared->slots[free_slot].pid = 0;
		notify_shared->slots[free_slot].hold_until = 0;
		notify_shared->slots[free_slot].ingest_hold_until = 0;
		notify_shared->slots[free_slot].ingest_failures = 0;
		pg_atomic_write_u32(&notify_shared->slots[free_slot].ingest_wanted,
							process == 0 ? 1 : 0);
		LWLockRelease(notify_shared->lock);

		start_worker(free_slot, db, process);
		if (handles[free_slot] == NULL)
		{
			LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
			notify_shared->slots[free_slot].dboid = InvalidOid;
			LWLockRelease(notify_shared->lock);
			all = false;
		}
	}
	return all;
}

/*
 * Start workers where needed.  `wanted` is a database whose capture asked
 * for a worker: it is served even while held.  Returns false when it could
 * not be (no free slot), so that the request is kept.
 */
static bool
launcher_scan(Oid wanted)
{
	bool		wanted_served = !OidIsValid(wanted);
	List	   *dbs = database_list();
	ListCell   *lc;
	TimestampTz now = GetCurrentTimestamp();

	(void) reap_workers(now);

	foreach(lc, dbs)
	{
		DbInfo	   *db = lfirst(lc);
		DbHold	   *hold;
		bool		no_slot = false;

		if (!launcher_database_configured(db->name))
			continue;
		hold = db_hold(db->oid);
		if (db->oid != wanted && hold->hold_until > now)
			continue;

		if (serve_database(db, &no_slot))
		{
			if (db->oid == wanted)
				wanted_served = true;
			hold->warned = false;
		}
		else if (no_slot && !hold->warned)
		{
			ereport(LOG,
					(errmsg("notify_ext cannot serve database \"%s\" now: all %d worker slots are in use",
							db->name, notify_shared->nslots),
					 errhint("Raise notify_ext.max_databases.")));
			hold->warned = true;
		}
	}
	list_free_deep(dbs);
	return wanted_served;
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
	TimestampTz rescan_at = 0;	/* scan then: a reaped slot's hold ends */

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("notify_ext launcher");

	handles = MemoryContextAllocZero(TopMemoryContext,
									 sizeof(BackgroundWorkerHandle *) * notify_shared->nslots);
	ingest_handles = MemoryContextAllocZero(TopMemoryContext,
											sizeof(BackgroundWorkerHandle *) * notify_shared->nslots);
	{
		HASHCTL		ctl;

		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(DbHold);
		holds = hash_create("notify_ext launcher holds", 64, &ctl,
							HASH_ELEM | HASH_BLOBS);
	}
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
			HASH_SEQ_STATUS status;
			DbHold	   *h;

			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			/* notify_ext.databases may have changed: look at every database */
			hash_seq_init(&status, holds);
			while ((h = hash_seq_search(&status)) != NULL)
				h->hold_until = 0;
			last_scan = 0;
		}

		/*
		 * A capture in a database without a worker asks for a scan.  Answer
		 * at most once per RESCAN_INTERVAL_MS, so that a busy database the
		 * launcher does not serve cannot keep it scanning.
		 */
		now = GetCurrentTimestamp();
		{
			/* we are woken when one stops */
			TimestampTz at = reap_workers(now);

			if (at != 0 && (rescan_at == 0 || at < rescan_at))
				rescan_at = at;
		}
		if (rescan_at != 0 && now >= rescan_at)
		{
			/* a database may lack a delivery process since a reap */
			rescan_at = 0;
			last_scan = 0;
		}
		else if (rescan_at != 0)
			timeout = Min(timeout,
						  TimestampDifferenceMilliseconds(now, rescan_at) + 1);
		if (pg_atomic_read_u32(&notify_shared->rescan) != 0)
		{
			if (TimestampDifferenceExceeds(last_scan, now, RESCAN_INTERVAL_MS))
			{
				pg_atomic_write_u32(&notify_shared->rescan, 0);
				rescan = true;
			}
			else
				timeout = RESCAN_INTERVAL_MS;
		}
		if (rescan || TimestampDifferenceExceeds(last_scan, now, notify_ext_launcher_naptime))
		{
			Oid			wanted = rescan ?
				pg_atomic_read_u32(&notify_shared->wanted_db) : InvalidOid;

			MemoryContextSwitchTo(loop_context);
			if (!launcher_scan(wanted))
			{
				/* keep the request: try again after the next interval */
				pg_atomic_write_u32(&notify_shared->rescan, 1);
				timeout = RESCAN_INTERVAL_MS;
			}
			MemoryContextSwitchTo(TopMemoryContext);
			MemoryContextReset(loop_context);
			pgstat_report_activity(STATE_IDLE, NULL);
			last_scan = now;
		}
		{
			long		hold_ms = start_pollers(GetCurrentTimestamp());

			if (hold_ms >= 0)
				timeout = Min(timeout, hold_ms);
		}

		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 timeout, NOTIFY_WAIT_EVENT);
		ResetLatch(MyLatch);
	}
}

/*
 * launcher_release_database
 *		Make the worker of a database about to be dropped (or copied by
 *		CREATE DATABASE ... TEMPLATE) leave, and keep the launcher from
 *		starting another for holdoff_ms, so that the command does not find
 *		it connected.  Called by the backend running the command (utility
 *		hook); does not wait.
 */
void
launcher_release_database(Oid dboid, int holdoff_ms)
{
	int			i;

	if (notify_shared == NULL)
		return;
	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < notify_shared->nslots; i++)
	{
		NotifyDbSlot *slot = &notify_shared->slots[i];

		if (slot->dboid != dboid)
			continue;
		slot->hold_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													   holdoff_ms);
		if (slot->pid != 0)
			(void) kill(slot->pid, SIGTERM);
		if (slot->ingest_pid != 0)
			(void) kill(slot->ingest_pid, SIGTERM);
	}
	LWLockRelease(notify_shared->lock);
}
