/*-------------------------------------------------------------------------
 *
 * deletion_lock.c
 *	  Capture of deletion locks (kind "deletion-lock"): lock create,
 *	  modify, delete, expire and effective lock change.
 *
 * Each row of a table attached as "deletion-lock" is a lock on one entity
 * (entity type "item", "collection" or "file", and its id) with an expiry
 * time (NULL: none).  Capture mirrors every lock into
 * notify.deletion_lock_state and writes create, modify and delete events.
 *
 * Expiry.  Nothing a user does happens at an expiry, so the delivery
 * worker keeps a timer on the nearest expiry not fired yet
 * (notify.deletion_lock_next_expiry()): at that time it runs one short
 * transaction (deletion_lock_expire_due) that marks the locks whose expiry
 * passed as expired and writes their expire events through the same
 * outbox writer, so an expiry is written exactly once, also when the
 * server restarted before it (the state survives; a worker that starts
 * looks at once).  Capture tells the worker when it changed expiries
 * (notify_timers_changed_at_commit).  A lock modified before its expiry
 * gets its new expiry in the state row, so the old one never fires; a
 * modify racing the worker waits for the worker's row lock (then the old
 * expiry had passed and fired) or is skipped by it (SKIP LOCKED) and seen
 * again after it commits.
 *
 * Effective lock.  The lock in force on an entity is, of the unexpired
 * locks on it and, for an item, on the collections it is a member of
 * (tables captured as "collection-member" with an item column), the one
 * that expires last (no expiry: first).  notify.deletion_lock_effective
 * holds the last one announced; a change (a lock added, modified, removed
 * or expired, on the entity or on a collection of an item, or an item
 * joining or leaving a locked collection) writes an effective event.
 *
 * Output keys (lock_payload, the one place): create, delete, expire:
 * lockId, expiryTime, entityType, entityId; modify, effective: oldLockId,
 * oldExpiryTime, newLockId, newExpiryTime, entityType, entityId.  A key
 * whose value is NULL (no expiry, no previous lock) is left out.  Times
 * are ISO 8601 with offset.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/deletion_lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"

#include "bgw/shmem.h"
#include "capture/capture_internal.h"
#include "capture/deletion_lock.h"

PG_FUNCTION_INFO_V1(notify_ext_expire_deletion_locks);

static SPIPlanPtr sync_plan = NULL;
static SPIPlanPtr refresh_plan = NULL;
static SPIPlanPtr expire_plan = NULL;
static SPIPlanPtr next_plan = NULL;
static CaptureStateFlag any_locks = {"deletion_lock_state"};

/* One lock event: the lock before and after, and the entity */
typedef struct LockEvent
{
	const char *old_id;
	const char *old_expiry;
	const char *new_id;
	const char *new_expiry;
	const char *entity_type;
	const char *entity_id;
} LockEvent;

/* ISO 8601 text of a timestamptz, NULL for NULL */
static char *
iso_time(Datum d, bool isnull)
{
	char		buf[MAXDATELEN + 1];

	if (isnull)
		return NULL;
	JsonEncodeDateTime(buf, d, TIMESTAMPTZOID, NULL);
	return pstrdup(buf);
}

/* Add key unless value is NULL */
static void
add_present(StringInfo buf, const char *key, const char *value)
{
	if (value)
		payload_add(buf, key, value);
}

/* The payload of a deletion-lock event */
static char *
lock_payload(NotifyEvent event, const LockEvent *e)
{
	StringInfoData buf;

	initStringInfo(&buf);
	switch (event)
	{
		case NE_DELETION_LOCK_CREATE:
			add_present(&buf, "lockId", e->new_id);
			add_present(&buf, "expiryTime", e->new_expiry);
			break;
		case NE_DELETION_LOCK_DELETE:
		case NE_DELETION_LOCK_EXPIRE:
			add_present(&buf, "lockId", e->old_id);
			add_present(&buf, "expiryTime", e->old_expiry);
			break;
		default:
			add_present(&buf, "oldLockId", e->old_id);
			add_present(&buf, "oldExpiryTime", e->old_expiry);
			add_present(&buf, "newLockId", e->new_id);
			add_present(&buf, "newExpiryTime", e->new_expiry);
			break;
	}
	add_present(&buf, "entityType", e->entity_type);
	add_present(&buf, "entityId", e->entity_id);
	return payload_finish(&buf);
}

/*
 * Write event to the outbox for every matching deletion-lock
 * notification; its entity (and scope) is the new lock, else the old one.
 */
static void
lock_emit(const CaptureRow *row, NotifyEvent event, const LockEvent *e)
{
	List	   *matches = definition_cache_match(NR_DELETION_LOCK,
												 event_name(event));
	const char *lock_id = e->new_id ? e->new_id : e->old_id;
	ListCell   *lc;
	char	   *payload = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, lock_id))
			continue;
		if (payload == NULL)
			payload = lock_payload(event, e);
		capture_emit(row, cn, event, lock_id, payload);
	}
}

/*
 * Emit the rows of the current SPI result, columns (entity_type,
 * entity_id, old_lock_id, old_expiry_time, new_lock_id, new_expiry_time)
 * starting at column first: effective events, or expire events when the
 * column before first says so.
 */
static void
emit_state_rows(const CaptureRow *row, int first)
{
	uint64		r;

	for (r = 0; r < SPI_processed; r++)
	{
		HeapTuple	tup = SPI_tuptable->vals[r];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		LockEvent	e;
		Datum		d;
		bool		isnull;
		NotifyEvent event = NE_DELETION_LOCK_EFFECTIVE;

		if (first > 1)
		{
			d = SPI_getbinval(tup, desc, first - 1, &isnull);
			if (!isnull && DatumGetBool(d))
				event = NE_DELETION_LOCK_EXPIRE;
		}
		e.entity_type = SPI_getvalue(tup, desc, first);
		e.entity_id = SPI_getvalue(tup, desc, first + 1);
		e.old_id = SPI_getvalue(tup, desc, first + 2);
		d = SPI_getbinval(tup, desc, first + 3, &isnull);
		e.old_expiry = iso_time(d, isnull);
		e.new_id = SPI_getvalue(tup, desc, first + 4);
		d = SPI_getbinval(tup, desc, first + 5, &isnull);
		e.new_expiry = iso_time(d, isnull);
		lock_emit(row, event, &e);
	}
}

/* Whether two columns of the lock row differ (NULL-aware) */
static bool
differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/*
 * capture_deletion_lock
 *		Handler of kind "deletion-lock": create, modify (lock id, entity or
 *		expiry changed) and delete events; keeps the lock's state row,
 *		writes the effective lock changes that follow and tells the worker
 *		that expiries changed.
 */
void
capture_deletion_lock(const CaptureRow *row)
{
	const CaptureTable *ct = row->ct;
	HeapTuple	oldtup = row->is_insert ? NULL : row->tuple;
	HeapTuple	newtup = row->is_insert ? row->tuple : row->newtuple;
	LockEvent	e;
	Datum		d;
	bool		isnull;
	const char *args[10];
	CaptureSpi	spi;

	memset(&e, 0, sizeof(e));
	memset(args, 0, sizeof(args));
	if (oldtup)
	{
		e.old_id = capture_role_text(row, oldtup, CR_ID);
		d = heap_getattr(oldtup, ct->att[CR_EXPIRY], row->desc, &isnull);
		e.old_expiry = iso_time(d, isnull);
		args[4] = capture_role_text(row, oldtup, CR_ENTITY_TYPE);
		args[5] = capture_role_text(row, oldtup, CR_ENTITY);
		args[8] = e.old_expiry;
	}
	if (newtup)
	{
		e.new_id = capture_role_text(row, newtup, CR_ID);
		d = heap_getattr(newtup, ct->att[CR_EXPIRY], row->desc, &isnull);
		e.new_expiry = iso_time(d, isnull);
		args[6] = capture_role_text(row, newtup, CR_ENTITY_TYPE);
		args[7] = capture_role_text(row, newtup, CR_ENTITY);
		args[9] = e.new_expiry;
	}
	e.entity_type = newtup ? args[6] : args[4];
	e.entity_id = newtup ? args[7] : args[5];
	if (e.entity_type == NULL || e.entity_id == NULL ||
		(newtup && e.new_id == NULL) || (oldtup && e.old_id == NULL))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("deletion lock on table \"%s\" has no id, entity type or entity id",
						get_rel_name(ct->relid))));

	if (row->is_insert)
		lock_emit(row, NE_DELETION_LOCK_CREATE, &e);
	else if (row->is_delete)
		lock_emit(row, NE_DELETION_LOCK_DELETE, &e);
	else if (differs(e.old_id, e.new_id) ||
			 differs(e.old_expiry, e.new_expiry) ||
			 differs(args[4], args[6]) || differs(args[5], args[7]))
		lock_emit(row, NE_DELETION_LOCK_MODIFY, &e);
	else
		return;

	args[0] = psprintf("%u", ct->relid);
	args[1] = row->is_insert ? "insert" : row->is_delete ? "delete" : "update";
	args[2] = e.old_id;
	args[3] = e.new_id;
	capture_spi_begin(&spi);
	capture_spi_run(&sync_plan, "SELECT * FROM notify.deletion_lock_sync($1::oid::regclass, $2, $3, $4, $5, $6, $7, $8, "
					"$9::timestamptz, $10::timestamptz)", 10, args);
	emit_state_rows(row, 1);
	capture_spi_end(&spi);
	if (!row->is_update)
		capture_state_changed(&any_locks);
	notify_timers_changed_at_commit();
}

/*
 * deletion_lock_member_changed
 *		Membership capture: an item joined or left a collection (a row of a
 *		"collection-member" table with an item column was inserted or
 *		deleted); writes the item's effective lock change, if any.  Reads
 *		only a cached flag when no deletion lock exists.
 */
void
deletion_lock_member_changed(const CaptureRow *row)
{
	const char *args[1];
	CaptureSpi	spi;

	if (row->ct->att[CR_ITEM] == InvalidAttrNumber ||
		(!row->is_insert && !row->is_delete) ||
		!capture_state_any(&any_locks))
		return;
	args[0] = capture_role_text(row, row->tuple, CR_ITEM);
	if (args[0] == NULL)
		return;
	capture_spi_begin(&spi);
	capture_spi_run(&refresh_plan, "SELECT * FROM notify.deletion_lock_refresh('item', $1)",
					1, args);
	emit_state_rows(row, 1);
	capture_spi_end(&spi);
}

/*
 * deletion_lock_expire_due
 *		In the caller's transaction: mark expired the locks whose expiry is
 *		at or before now and write their expire events and the effective
 *		lock changes that follow.  Sets *next to the nearest expiry not
 *		fired yet (it may be <= now for locks a transaction was changing),
 *		0 when there is none.  Returns the number of expired locks.
 *		ERRORs on SPI failure.
 */
int
deletion_lock_expire_due(TimestampTz now, TimestampTz *next)
{
	CaptureRow	row;
	CaptureSpi	spi;
	const char *args[1];
	Datum		d;
	bool		isnull;
	int			expired = 0;
	uint64		r;

	memset(&row, 0, sizeof(row));
	row.cat = notify_catalog();
	*next = 0;
	if (!OidIsValid(row.cat->schema))
		return 0;
	args[0] = iso_time(TimestampTzGetDatum(now), false);
	capture_spi_begin(&spi);
	capture_spi_run(&expire_plan, "SELECT * FROM notify.deletion_lock_expire_due($1::timestamptz)",
					1, args);
	for (r = 0; r < SPI_processed; r++)
	{
		d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 1, &isnull);
		if (!isnull && DatumGetBool(d))
			expired++;
	}
	emit_state_rows(&row, 2);
	capture_spi_run(&next_plan, "SELECT notify.deletion_lock_next_expiry()", 0, NULL);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		*next = DatumGetTimestampTz(d);
	capture_spi_end(&spi);
	return expired;
}

/*
 * notify.expire_deletion_locks(now timestamptz) RETURNS integer
 *
 * What the delivery worker does at a lock expiry, with a "now" of the
 * caller's choice (tests): returns the number of locks that expired.
 */
Datum
notify_ext_expire_deletion_locks(PG_FUNCTION_ARGS)
{
	TimestampTz next;

	PG_RETURN_INT32(deletion_lock_expire_due(PG_GETARG_TIMESTAMPTZ(0), &next));
}
