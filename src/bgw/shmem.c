/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of notify_ext, and the wake-up at commit.
 *
 * The shared area holds the launcher's latch and one slot per served
 * database with the worker's pid and latch.  Slots are written under
 * NotifyShared->lock by the launcher and by the workers themselves.
 *
 * Wake-up: a backend whose capture wrote outbox rows notes which delivery
 * processes of its database serve their lanes (a bit per process, see
 * notify_lane_process); at COMMIT an XactCallback sets the latches of those
 * processes (or, when no worker runs there, asks the launcher to start
 * them).  An aborted or prepared transaction clears the bits without
 * waking anybody.  The read
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

static uint32 wake_mask = 0;	/* delivery processes to wake at commit */
static bool timers_pending = false;	/* lock expiries changed too */
static bool ingest_wake_pending = false;
static bool xact_callback_registered = false;

/*
 * notify_shmem_size
 *		Bytes of the shared area: the header and a slot per delivery
 *		process of notify_ext.max_databases databases.  Valid once the
 *		settings are loaded (preload).
 */
static Size
notify_shmem_size(void)
{
	return add_size(offsetof(NotifyShared, slots),
					mul_size(notify_slot_count(), sizeof(NotifyDbSlot)));
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
		notify_shared->nslots = notify_slot_count();
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

				if (slot->dboid != MyDatabaseId || slot->process != 0)
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
 *		XactCallback: when this transaction captured events (wake_mask), set
 *		at COMMIT the latches of the delivery processes of its database
 *		named by the mask, or ask the launcher once to start workers when
 *		none runs; at ABORT or PREPARE only clear the mask.  Reads the slots
 *		without the lock (see the file header); never ERRORs.
 */
static void
notify_xact_callback(XactEvent event, void *arg)
{
	int			i;
	bool		timers;
	bool		running = false;
	uint32		mask;

	if (ingest_wake_pending)
		ingest_xact_event(event);
	if (wake_mask == 0)
		return;
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			mask = wake_mask;
			wake_mask = 0;
			timers = timers_pending;
			timers_pending = false;
			if (notify_shared == NULL)
				return;
			for (i = 0; i < notify_shared->nslots; i++)
			{
				NotifyDbSlot *slot = &notify_shared->slots[i];
				Latch	   *latch = slot->latch;

				if (slot->dboid != MyDatabaseId || slot->pid == 0)
					continue;
				running = true;
				if ((mask & (UINT32_C(1) << slot->process)) == 0)
					continue;
				if (timers && slot->process == 0)
					pg_atomic_write_u32(&slot->timers_changed, 1);
				if (latch != NULL)
					SetLatch(latch);
			}
			if (!running)
			{
				/* ask the launcher once; it clears the flag when it scans */
				pg_atomic_write_u32(&notify_shared->wanted_db, MyDatabaseId);
				if (pg_atomic_exchange_u32(&notify_shared->rescan, 1) != 0)
					return;
				if (notify_shared->launcher_latch != NULL)
					SetLatch(notify_shared->launcher_latch);
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_mask = 0;
			timers_pending = false;
			break;
		default:
			break;
	}
}

/*
 * notify_wake_process_at_commit
 *		Ask for delivery process `process` of this database (-1: every one)
 *		to be woken when this transaction commits.  Cheap; call it for every
 *		captured event.
 */
static void
notify_wake_process_at_commit(int process)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(notify_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_mask |= (process < 0) ? ~UINT32_C(0) : (UINT32_C(1) << process);
}

/*
 * notify_wake_at_commit
 *		Ask for every delivery process of this database to be woken when
 *		this transaction commits (events of any lane may be waiting).
 */
void
notify_wake_at_commit(void)
{
	notify_wake_process_at_commit(-1);
}

/*
 * notify_wake_lane_at_commit
 *		Ask for the delivery process that serves lane `lane` (an outbox
 *		row's lane column) to be woken when this transaction commits.
 */
void
notify_wake_lane_at_commit(int64 lane)
{
	notify_wake_process_at_commit(notify_lane_process(lane));
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
	notify_wake_process_at_commit(0);
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
 *		slot, its delivery process number), read under the slots' lock.
 *		No rows when the library is not preloaded (no shared memory).
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
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};

		if (!OidIsValid(slot->dboid))
			continue;
		values[0] = ObjectIdGetDatum(slot->dboid);
		values[1] = Int32GetDatum((int32) slot->pid);
		values[2] = TimestampTzGetDatum(slot->started);
		nulls[2] = (slot->pid == 0 || slot->started == 0);
		values[3] = Int32GetDatum(slot->process);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(notify_shared->lock);
	return (Datum) 0;
}
