/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of notify_ext, and the wake-up at commit.
 *
 * The shared area holds the launcher's latch and one slot per served
 * database with the worker's pid and latch.  Slots are written under
 * NotifyShared->lock by the launcher and by the workers themselves.
 *
 * Wake-up: a backend whose capture wrote outbox rows sets a flag; at
 * COMMIT an XactCallback sets the latch of its database's worker (or, when
 * no worker runs there, asks the launcher to start one).  An aborted or
 * prepared transaction clears the flag without waking anybody.  The read
 * of the slot is done without the lock: a stale latch pointer still points
 * into the PGPROC array, so the worst case is a spurious wake-up.  Delivery
 * never depends on this signal: workers also wake on notify_ext.naptime.
 *
 * Ingest wake-up: a transaction that changed storage methods (or asked
 * for a scan) calls notify.ingest_wake(); at COMMIT the slot of its
 * database is marked ingest_wanted and its ingest poller's latch is set,
 * or, when no poller runs, the launcher's, which starts one.  The flag is
 * set after the commit is visible, and the poller clears it before it
 * looks for storage methods, so a poller that finds none and leaves
 * cannot miss a method created meanwhile.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/bgw/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "utils/tuplestore.h"

#include "guc.h"
#include "bgw/shmem.h"

NotifyShared *notify_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static bool wake_pending = false;
static bool timers_pending = false;	/* lock expiries changed too */
static bool ingest_wake_pending = false;
static bool xact_callback_registered = false;

/*
 * notify_shmem_size
 *		Bytes of the shared area: the header and notify_ext.max_databases
 *		slots.  Valid once the settings are loaded (preload).
 */
static Size
notify_shmem_size(void)
{
	return add_size(offsetof(NotifyShared, slots),
					mul_size(notify_ext_max_databases, sizeof(NotifyDbSlot)));
}

/*
 * notify_shmem_request
 *		shmem_request_hook: reserve the shared area and one LWLock tranche
 *		("notify_ext"), after the previous hook.
 */
static void
notify_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(notify_shmem_size());
	RequestNamedLWLockTranche("notify_ext", 1);
}

/*
 * notify_shmem_startup
 *		shmem_startup_hook: attach to the shared area, creating and zeroing
 *		it (no slot used, no rescan asked) when this is the first process to
 *		see it.  Sets notify_shared.
 */
static void
notify_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	notify_shared = ShmemInitStruct("notify_ext", notify_shmem_size(), &found);
	if (!found)
	{
		memset(notify_shared, 0, notify_shmem_size());
		notify_shared->lock = &(GetNamedLWLockTranche("notify_ext"))->lock;
		notify_shared->nslots = notify_ext_max_databases;
		pg_atomic_init_u32(&notify_shared->rescan, 0);
		pg_atomic_init_u32(&notify_shared->wanted_db, InvalidOid);
		for (int i = 0; i < notify_shared->nslots; i++)
		{
			pg_atomic_init_u32(&notify_shared->slots[i].timers_changed, 0);
			pg_atomic_init_u32(&notify_shared->slots[i].ingest_wanted, 0);
			SpinLockInit(&notify_shared->slots[i].ep_mutex);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * notify_shmem_init
 *		Install the shared memory hooks.  _PG_init, preload only.
 */
void
notify_shmem_init(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = notify_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = notify_shmem_startup;
}

/*
 * ingest_xact_event
 *		At COMMIT of a transaction that called notify.ingest_wake(): mark
 *		its database's slot ingest_wanted and set its poller's latch, or
 *		the launcher's when no poller runs (when no worker serves the
 *		database either, ask the launcher for one: it marks new slots
 *		ingest_wanted).  At ABORT or PREPARE only clear the flag.  Reads
 *		the slots without the lock; never ERRORs.
 */
static void
ingest_xact_event(XactEvent event)
{
	int			i;
	Latch	   *latch = NULL;
	bool		found = false;

	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			ingest_wake_pending = false;
			if (notify_shared == NULL)
				return;
			for (i = 0; i < notify_shared->nslots; i++)
			{
				NotifyDbSlot *slot = &notify_shared->slots[i];

				if (slot->dboid != MyDatabaseId)
					continue;
				found = true;
				pg_atomic_write_u32(&slot->ingest_wanted, 1);
				if (slot->ingest_pid != 0)
					latch = slot->ingest_latch;
				break;
			}
			if (!found)
			{
				pg_atomic_write_u32(&notify_shared->wanted_db, MyDatabaseId);
				pg_atomic_write_u32(&notify_shared->rescan, 1);
			}
			if (latch == NULL)
				latch = notify_shared->launcher_latch;
			if (latch != NULL)
				SetLatch(latch);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			ingest_wake_pending = false;
			break;
		default:
			break;
	}
}

/*
 * notify_xact_callback
 *		XactCallback: when this transaction captured events (wake_pending),
 *		set at COMMIT the latch of its database's worker, or ask the
 *		launcher once to start one when none runs; at ABORT or PREPARE only
 *		clear the flag.  Reads the slots without the lock (see the file
 *		header); never ERRORs.
 */
static void
notify_xact_callback(XactEvent event, void *arg)
{
	int			i;
	Latch	   *latch = NULL;
	bool		timers;

	if (ingest_wake_pending)
		ingest_xact_event(event);
	if (!wake_pending)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			wake_pending = false;
			timers = timers_pending;
			timers_pending = false;
			if (notify_shared == NULL)
				return;
			for (i = 0; i < notify_shared->nslots; i++)
			{
				NotifyDbSlot *slot = &notify_shared->slots[i];

				if (slot->dboid == MyDatabaseId && slot->pid != 0)
				{
					if (timers)
						pg_atomic_write_u32(&slot->timers_changed, 1);
					latch = slot->latch;
					break;
				}
			}
			if (latch == NULL)
			{
				/* ask the launcher once; it clears the flag when it scans */
				pg_atomic_write_u32(&notify_shared->wanted_db, MyDatabaseId);
				if (pg_atomic_exchange_u32(&notify_shared->rescan, 1) != 0)
					return;
				latch = notify_shared->launcher_latch;
			}
			if (latch != NULL)
				SetLatch(latch);
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_pending = false;
			timers_pending = false;
			break;
		default:
			break;
	}
}

/*
 * notify_wake_at_commit
 *		Ask for the delivery worker to be woken when this transaction
 *		commits.  Cheap; call it for every captured event.
 */
void
notify_wake_at_commit(void)
{
	if (wake_pending)
		return;
	if (!xact_callback_registered)
	{
		RegisterXactCallback(notify_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_pending = true;
}

/*
 * notify_timers_changed_at_commit
 *		This transaction changed deletion-lock expiries: at commit, tell the
 *		worker to look at its timer again, and wake it.
 */
void
notify_timers_changed_at_commit(void)
{
	timers_pending = true;
	notify_wake_at_commit();
}

/*
 * notify_timers_changed_take
 *		For the worker of slot slotno: did a commit change lock expiries
 *		since the last call?  Clears the flag.
 */
bool
notify_timers_changed_take(int slotno)
{
	return pg_atomic_exchange_u32(&notify_shared->slots[slotno].timers_changed, 0) != 0;
}

/*
 * notify_ingest_wake_at_commit
 *		Ask for this database's ingest poller to be woken (or started) when
 *		this transaction commits.
 */
void
notify_ingest_wake_at_commit(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(notify_xact_callback, NULL);
		xact_callback_registered = true;
	}
	ingest_wake_pending = true;
}

PG_FUNCTION_INFO_V1(notify_ext_ingest_wake);

/*
 * notify_ext_ingest_wake
 *		SQL notify.ingest_wake(): wake (or have the launcher start) this
 *		database's ingest poller at commit; called by the storage method
 *		functions.  Harmless when the library is not preloaded.
 */
Datum
notify_ext_ingest_wake(PG_FUNCTION_ARGS)
{
	notify_ingest_wake_at_commit();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(notify_ext_wake);

/*
 * notify_ext_wake
 *		SQL notify.wake(): wake this database's worker at commit (used after
 *		notify.redeliver).  Harmless when the worker is not preloaded.
 */
Datum
notify_ext_wake(PG_FUNCTION_ARGS)
{
	notify_wake_at_commit();
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(notify_ext_worker_slots);

/*
 * notify_ext_worker_slots
 *		SQL notify.worker_slots(): one row per worker slot in use (database
 *		oid, worker pid or 0 while it starts, when the worker took the
 *		slot), read under the slots' lock.  No rows when the library is not
 *		preloaded (no shared memory).
 */
Datum
notify_ext_worker_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	if (notify_shared == NULL)
		return (Datum) 0;
	LWLockAcquire(notify_shared->lock, LW_SHARED);
	for (i = 0; i < notify_shared->nslots; i++)
	{
		NotifyDbSlot *slot = &notify_shared->slots[i];
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		if (!OidIsValid(slot->dboid))
			continue;
		values[0] = ObjectIdGetDatum(slot->dboid);
		values[1] = Int32GetDatum((int32) slot->pid);
		values[2] = TimestampTzGetDatum(slot->started);
		nulls[2] = (slot->pid == 0 || slot->started == 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(notify_shared->lock);
	return (Datum) 0;
}
