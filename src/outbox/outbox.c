/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  Writing events into the durable outbox table notify.outbox.
 *
 * Durability contract: the capture trigger inserts outbox rows in the
 * transaction that made the change.  notify.outbox is an ordinary
 * logged table, so a rolled-back change leaves no row and a committed one
 * has all of its rows, after a crash too (WAL replay).  Nothing here talks
 * to the network.
 *
 * The delivery worker's side: outbox_claim reads the oldest pending rows
 * of a delivery process and hands them over without changing them;
 * outbox_record writes the outcomes of a batch of attempts in one
 * statement, which takes each row out of the queue (queued false: one row
 * update per delivered event); outbox_reclaim returns the retrying rows of
 * a dead delivery process to pending; outbox_purge applies the retention
 * settings.  Each runs inside a short transaction opened by the worker,
 * never across network I/O.
 *
 * Every statement is planned once per backend and kept (SPI_keepplan);
 * values travel as parameters, never as SQL text.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/outbox/outbox.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "bgw/shmem.h"
#include "guc.h"
#include "notify_ext.h"
#include "outbox/outbox.h"

/* ----------------------------------------------------------------
 *		capture side: the per-transaction writer
 *
 * The capture trigger may write thousands of rows per statement, so rows
 * do not go through SPI (an executor start and end per row).  The first
 * row of a transaction opens notify.outbox and its indexes once, under the
 * top transaction's resource owner and memory context; every row is then a
 * heap insert plus its index entries, as logical replication's apply does.
 * The writer is closed before commit or prepare, and forgotten on abort
 * (the resource owner releases what it held).  Column defaults are not
 * evaluated: the writer fills every column of the outbox itself, always
 * with valid values (status pending, no attempts, timestamps of the
 * transaction start).  Rows inserted in a subtransaction that rolls back
 * are dead, as any row would be; the writer itself stays usable.
 * ----------------------------------------------------------------
 */

typedef struct OutboxWriter
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	TupleTableSlot *slot;
	Oid			id_seq;
	AttrNumber	att_id,
				att_event_id,
				att_notification,
				att_resource,
				att_event,
				att_entity,
				att_payload,
				att_status,
				att_queued,
				att_attempts,
				att_attempts_base,
				att_created,
				att_next,
				att_lane;		/* InvalidAttrNumber: objects older than 1.1 */
} OutboxWriter;

static OutboxWriter *writer = NULL;
static bool writer_callback_registered = false;

/*
 * writer_close
 *		Release the transaction's outbox writer (slot, indexes, relation,
 *		executor state) and forget it.  No-op when none is open.
 */
static void
writer_close(void)
{
	OutboxWriter *w = writer;

	writer = NULL;
	if (w == NULL)
		return;
	ExecDropSingleTupleTableSlot(w->slot);
	ExecCloseIndices(w->rri);
	table_close(w->rel, NoLock);
	FreeExecutorState(w->estate);
}

/*
 * writer_xact_callback
 *		XactCallback: close the writer before COMMIT or PREPARE; at ABORT only
 *		forget it (its memory and relation references go with the
 *		transaction).
 */
static void
writer_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PARALLEL_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			writer_close();
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* memory and relation references go with the transaction */
			writer = NULL;
			break;
		default:
			break;
	}
}

/*
 * writer_column
 *		Attribute number of column `name` of the outbox relation `rel`.
 *		ERRORs with a hint to reinstall when the column is missing.
 */
static AttrNumber
writer_column(Relation rel, const char *name)
{
	AttrNumber	att = attnameAttNum(rel, name, false);

	if (att != InvalidAttrNumber)
		return att;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("table \"notify.outbox\" has no column \"%s\"", name),
			 errhint("Reinstall the notify_ext extension.")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/*
 * writer_open
 *		Open the outbox writer of the current transaction: the relation
 *		`outbox` with its indexes and the column numbers, allocated in
 *		TopTransactionContext under TopTransactionResourceOwner so that it
 *		serves every capture of the transaction; `id_seq` is the id
 *		sequence.  Registers writer_xact_callback once per backend.  The
 *		caller's memory context and resource owner are restored on every
 *		path; ERRORs when the table lacks a column.
 */
static OutboxWriter *
writer_open(Oid outbox, Oid id_seq)
{
	ResourceOwner save_owner = CurrentResourceOwner;
	MemoryContext old;
	OutboxWriter *w;

	if (!writer_callback_registered)
	{
		RegisterXactCallback(writer_xact_callback, NULL);
		writer_callback_registered = true;
	}

	CurrentResourceOwner = TopTransactionResourceOwner;
	old = MemoryContextSwitchTo(TopTransactionContext);
	PG_TRY();
	{
		w = palloc0(sizeof(OutboxWriter));
		w->estate = CreateExecutorState();
		w->rel = table_open(outbox, RowExclusiveLock);
		w->rri = makeNode(ResultRelInfo);
		InitResultRelInfo(w->rri, w->rel, 1, NULL, 0);
		ExecOpenIndices(w->rri, false);
		w->slot = MakeSingleTupleTableSlot(RelationGetDescr(w->rel),
										   &TTSOpsVirtual);
		w->att_id = writer_column(w->rel, "id");
		w->att_event_id = writer_column(w->rel, "event_id");
		w->att_notification = writer_column(w->rel, "notification_id");
		w->att_resource = writer_column(w->rel, "resource");
		w->att_event = writer_column(w->rel, "event");
		w->att_entity = writer_column(w->rel, "entity_id");
		w->att_payload = writer_column(w->rel, "payload");
		w->att_status = writer_column(w->rel, "status");
		w->att_queued = writer_column(w->rel, "queued");
		w->att_attempts = writer_column(w->rel, "attempts");
		w->att_attempts_base = writer_column(w->rel, "attempts_base");
		w->att_created = writer_column(w->rel, "created_at");
		w->att_next = writer_column(w->rel, "next_attempt_at");
		/* absent until ALTER EXTENSION notify_ext UPDATE: rows go without */
		w->att_lane = attnameAttNum(w->rel, "lane", false);
		w->id_seq = id_seq;
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save_owner;
		MemoryContextSwitchTo(old);
	}
	PG_END_TRY();
	return w;
}

/*
 * Random bytes for event ids, drawn from pg_strong_random a pool at a time:
 * one call of the strong source per 64 events instead of one per event.
 * The pool belongs to the process that filled it (pool_pid): a forked
 * child never reuses its parent's bytes, and every byte is used once.
 */
#define RANDOM_POOL_SIZE	(64 * UUID_LEN)

static uint8 random_pool[RANDOM_POOL_SIZE];
static int	random_pool_used = RANDOM_POOL_SIZE;
static int	random_pool_pid = 0;

/*
 * outbox_random_uuid
 *		A version 4 (random) UUID, as gen_random_uuid() makes, from the
 *		strong random source (through the pool above): an event id.  ERRORs
 *		when the source fails.
 */
Datum
outbox_random_uuid(void)
{
	pg_uuid_t  *uuid = palloc(UUID_LEN);

	if (random_pool_used + UUID_LEN > RANDOM_POOL_SIZE ||
		random_pool_pid != MyProcPid)
	{
		if (!pg_strong_random(random_pool, RANDOM_POOL_SIZE))
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("could not generate random values")));
		random_pool_used = 0;
		random_pool_pid = MyProcPid;
	}
	memcpy(uuid->data, random_pool + random_pool_used, UUID_LEN);
	/* used bytes do not stay in memory */
	memset(random_pool + random_pool_used, 0, UUID_LEN);
	random_pool_used += UUID_LEN;
	uuid->data[6] = (uuid->data[6] & 0x0f) | 0x40;
	uuid->data[8] = (uuid->data[8] & 0x3f) | 0x80;
	return UUIDPGetDatum(uuid);
}

/*
 * outbox_insert
 *		Add one pending outbox row in the current transaction.
 *
 * `outbox` is the oid of notify.outbox and `id_seq` the sequence of its id
 * column (both from notify_catalog()); entity_id may be NULL; `lane` is the
 * event's lane (notify_lane(), never negative), which decides the delivery
 * process that claims the row.  Runs with
 * the caller's privileges checked by nobody: only the capture trigger
 * calls it.  ERRORs on failure, which aborts the capturing transaction, as
 * it must.
 */
void
outbox_insert(Oid outbox, Oid id_seq, const char *notification_id,
			  const char *resource, const char *event, const char *entity_id,
			  const char *payload, int64 lane)
{
	OutboxWriter *w = writer;
	TupleTableSlot *slot;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	MemoryContext old;

	if (w == NULL || RelationGetRelid(w->rel) != outbox)
	{
		writer_close();
		w = writer = writer_open(outbox, id_seq);
	}

	old = MemoryContextSwitchTo(GetPerTupleMemoryContext(w->estate));
	slot = w->slot;
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);

#define SET_COLUMN(att, datum) \
	do { \
		slot->tts_values[(att) - 1] = (datum); \
		slot->tts_isnull[(att) - 1] = false; \
	} while (0)

	SET_COLUMN(w->att_id, Int64GetDatum(nextval_internal(w->id_seq, false)));
	SET_COLUMN(w->att_event_id, outbox_random_uuid());
	SET_COLUMN(w->att_notification, CStringGetTextDatum(notification_id));
	SET_COLUMN(w->att_resource, CStringGetTextDatum(resource));
	SET_COLUMN(w->att_event, CStringGetTextDatum(event));
	if (entity_id)
		SET_COLUMN(w->att_entity, CStringGetTextDatum(entity_id));
	SET_COLUMN(w->att_payload, CStringGetTextDatum(payload));
	SET_COLUMN(w->att_status, CStringGetTextDatum("pending"));
	SET_COLUMN(w->att_queued, BoolGetDatum(true));
	SET_COLUMN(w->att_attempts, Int32GetDatum(0));
	SET_COLUMN(w->att_attempts_base, Int32GetDatum(0));
	SET_COLUMN(w->att_created, TimestampTzGetDatum(now));
	SET_COLUMN(w->att_next, TimestampTzGetDatum(now));
	if (w->att_lane != InvalidAttrNumber)
		SET_COLUMN(w->att_lane, Int64GetDatum(lane));
#undef SET_COLUMN

	ExecStoreVirtualTuple(slot);
	table_tuple_insert(w->rel, slot, GetCurrentCommandId(true), 0, NULL);
	if (w->rri->ri_NumIndices > 0)
		(void) ExecInsertIndexTuples(w->rri, slot, w->estate, false, false,
									 NULL, NIL);
	MemoryContextSwitchTo(old);
	ResetPerTupleExprContext(w->estate);
}

/* ----------------------------------------------------------------
 *		worker side
 * ----------------------------------------------------------------
 */

static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr record_plan = NULL;
static SPIPlanPtr reclaim_plan = NULL;
static SPIPlanPtr purge_plan = NULL;
static SPIPlanPtr released_plan = NULL;

/*
 * keep_plan
 *		The plan of `sql` kept in `*slot`: prepared (generic plan) and kept
 *		with SPI_keepplan on the first call, returned as is afterwards.
 *		Needs an SPI connection; ERRORs when the statement cannot be
 *		prepared.
 */
static SPIPlanPtr
keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan;

	if (*slot != NULL)
		return *slot;
	/* the worker runs these thousands of times: plan them once */
	plan = SPI_prepare_cursor(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep plan");
	*slot = plan;
	return plan;
}

/*
 * make_array
 *		A one-dimensional array datum of `n` datums (with nulls, or NULL for
 *		none) of type elemtype; an empty array when n is 0.
 */
static Datum
make_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(elemtype));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
}

/* list_sort comparator: OutboxRow * by ascending id */
static int
cmp_row_id(const ListCell *a, const ListCell *b)
{
	int64		x = ((OutboxRow *) lfirst(a))->id;
	int64		y = ((OutboxRow *) lfirst(b))->id;

	return (x > y) - (x < y);
}

/* A column as text, copied into `cxt`; NULL for SQL NULL */
static char *
copy_value(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	char	   *v = SPI_getvalue(tup, desc, col);
	char	   *copy;

	if (v == NULL)
		return NULL;
	copy = MemoryContextStrdup(cxt, v);
	pfree(v);
	return copy;
}

/*
 * outbox_claim
 *		Read up to `limit` pending rows with an id above `after`, oldest
 *		first, leaving out the `nheld` ids in `held` (rows this process
 *		already holds).  Reading changes nothing: a pending row stays
 *		pending (queued) until outbox_record writes its first outcome, and a
 *		process that dies leaves its rows pending for its successor.  Only
 *		one process reads a row (see below), so no row lock is taken.
 *
 * `after` only saves scanning what was read before; a transaction that
 * commits late can leave pending rows below it, so callers pass 0 again
 * after a claim that came back short.  Whenever `after` is below the
 * highest id they have read, callers pass what they hold in `held` (also
 * on the reads that go on above a full read from 0).
 * Only the rows of delivery process `process` of `nprocesses` are read:
 * those whose lane modulo nprocesses is `process` (a row without lane:
 * process 0), the rule of notify_lane_process.
 *
 * Nothing is claimed while notify.delivery_site pauses delivery (a
 * restored or copied database, or notify.pause_delivery()): the check is
 * part of the claiming statement, so it sees the sites of the same
 * snapshot as the rows (a pg_restore running meanwhile commits the source's
 * site before its outbox rows).
 *
 * Returns OutboxRow * sorted by id, palloc'd in the context that was
 * current at the call.  Needs an open transaction with a snapshot; the
 * caller commits.  ERRORs on SPI failure.
 */
List *
outbox_claim(int limit, int64 after, int process, int nprocesses,
			 const int64 *held, int nheld)
{
	Oid			types[7] = {INT4OID, INT8ARRAYOID, INT8OID, INT8OID, OIDOID, INT4OID, INT4OID};
	Datum		values[7];
	Datum	   *held_datums;
	int			h;
	MemoryContext outer = CurrentMemoryContext;
	List	   *rows = NIL;
	uint64		i;
	int			ret;

	keep_plan(&claim_plan,
			  "SELECT o.id, o.event_id, o.notification_id, o.resource, o.event, "
			  "       o.entity_id, o.payload, o.attempts, o.next_attempt_at, o.attempts_base, "
			  "       o.lane "
			  "  FROM notify.outbox o "
			  " WHERE o.queued AND o.id > $3 "
			  "   AND ($6 = 1 OR coalesce(o.lane, 0) % $6 = $7) "
			  "   AND o.id NOT IN (SELECT pg_catalog.unnest($2)) "
			  "   AND NOT EXISTS (SELECT 1 FROM notify.delivery_site s "
			  "                    WHERE s.paused "
			  "                       OR (s.system_identifier, s.database_oid) "
			  "                          IS DISTINCT FROM ($4, $5)) "
			  " ORDER BY o.id LIMIT $1",
			  7, types);
	held_datums = palloc(sizeof(Datum) * Max(nheld, 1));
	for (h = 0; h < nheld; h++)
		held_datums[h] = Int64GetDatum(held[h]);
	values[0] = Int32GetDatum(limit);
	values[1] = make_array(held_datums, NULL, nheld, INT8OID);
	values[2] = Int64GetDatum(after);
	values[3] = Int64GetDatum((int64) GetSystemIdentifier());
	values[4] = ObjectIdGetDatum(MyDatabaseId);
	values[5] = Int32GetDatum(nprocesses);
	values[6] = Int32GetDatum(process);
	/* not read-only: it must see the outcomes recorded just before */
	ret = SPI_execute_plan(claim_plan, values, NULL, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read outbox rows: %s", SPI_result_code_string(ret));
	/* made in the caller's context, which lives as long as the events */
	pfree(DatumGetPointer(values[1]));
	pfree(held_datums);

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		OutboxRow  *row = MemoryContextAllocZero(outer, sizeof(OutboxRow));
		MemoryContext old;
		bool		isnull;

		row->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		row->event_id = copy_value(tup, desc, 2, outer);
		row->notification_id = copy_value(tup, desc, 3, outer);
		row->resource = copy_value(tup, desc, 4, outer);
		row->event = copy_value(tup, desc, 5, outer);
		row->entity_id = copy_value(tup, desc, 6, outer);
		row->payload = copy_value(tup, desc, 7, outer);
		row->attempts = DatumGetInt32(SPI_getbinval(tup, desc, 8, &isnull));
		row->next_attempt_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 9, &isnull));
		row->attempts_base = DatumGetInt32(SPI_getbinval(tup, desc, 10, &isnull));
		row->lane = DatumGetInt64(SPI_getbinval(tup, desc, 11, &isnull));
		if (isnull)
			row->lane = -1;
		old = MemoryContextSwitchTo(outer);
		rows = lappend(rows, row);
		MemoryContextSwitchTo(old);
	}
	list_sort(rows, cmp_row_id);
	return rows;
}

/*
 * outbox_reclaim
 *		Return the retrying (and 1.0's in_flight) rows of delivery process
 *		`process` of `nprocesses` to pending: those whose lane selects it (as
 *		outbox_claim does), or every such row when `by_lane` is false.  A
 *		process calls this at start, when its rows belong to a process that
 *		is gone; the rows of the other processes, which may be running, are
 *		left alone.  by_lane false is for objects older than the lane
 *		column, when no process claims.  Returns the number of rows.
 */
uint64
outbox_reclaim(int process, int nprocesses, bool by_lane)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	int			ret;

	if (by_lane)
	{
		keep_plan(&reclaim_plan,
				  "UPDATE notify.outbox SET status = 'pending', queued = true, lease_until = NULL "
				  " WHERE status IN ('in_flight', 'retrying') "
				  "   AND ($1 = 1 OR coalesce(lane, 0) % $1 = $2)", 2, types);
		values[0] = Int32GetDatum(nprocesses);
		values[1] = Int32GetDatum(process);
		ret = SPI_execute_plan(reclaim_plan, values, NULL, false, 0);
	}
	else
		ret = SPI_execute("UPDATE notify.outbox SET status = 'pending', queued = true, "
						  "       lease_until = NULL "
						  " WHERE status IN ('in_flight', 'retrying')", false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not reclaim outbox rows: %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/*
 * outbox_record
 *		Write a batch of attempt outcomes (OutboxOutcome *): one UPDATE of the
 *		outbox rows and one INSERT of the attempts that did not deliver.
 *
 * A row that left the worker's hands while its attempt ran (failed by
 * notify.delete_notification, discarded by notify.discard) keeps its status
 * and last_error unless the attempt delivered; its attempt count and last
 * attempt are recorded all the same.  Needs an open transaction; ERRORs on
 * SPI failure.
 */
void
outbox_record(List *outcomes)
{
	int			n = list_length(outcomes);
	Oid			types[9] = {INT8ARRAYOID, TEXTARRAYOID, INT4ARRAYOID, TIMESTAMPTZARRAYOID,
	INT4ARRAYOID, INT4ARRAYOID, TEXTARRAYOID, TIMESTAMPTZARRAYOID, INT4OID};
	Datum		args[9];
	Datum	   *cols[8];
	bool	   *nulls[8];
	ListCell   *lc;
	int			c,
				i = 0,
				ret;

	if (n == 0)
		return;
	keep_plan(&record_plan,
			  "WITH u AS (SELECT * FROM ROWS FROM (pg_catalog.unnest($1), pg_catalog.unnest($2), "
			  "             pg_catalog.unnest($3), pg_catalog.unnest($4), pg_catalog.unnest($5), "
			  "             pg_catalog.unnest($6), pg_catalog.unnest($7), pg_catalog.unnest($8)) "
			  "             AS u(id, status, attempt, at, dur, code, err, next)), "
			  "     a AS (INSERT INTO notify.attempt "
			  "            SELECT id, attempt, at, dur, code, err FROM u "
			  "             WHERE status <> 'delivered') "
			  "UPDATE notify.outbox o SET "
			  "       status = CASE WHEN o.status IN ('pending', 'in_flight', 'retrying') "
			  "                       OR u.status = 'delivered' THEN u.status ELSE o.status END, "
			  "       queued = false, "
			  "       attempts = u.attempt, "
			  "       last_attempt_at = u.at, last_duration_ms = u.dur, last_status = u.code, "
			  "       last_error = CASE WHEN o.status IN ('pending', 'in_flight', 'retrying') "
			  "                           OR u.status = 'delivered' THEN u.err ELSE o.last_error END, "
			  "       delivered_at = CASE WHEN u.status = 'delivered' THEN pg_catalog.now() END, "
			  "       next_attempt_at = COALESCE(u.next, o.next_attempt_at), "
			  "       lease_until = CASE WHEN u.status = 'retrying' "
			  "                           AND o.status IN ('pending', 'in_flight', 'retrying') "
			  "                     THEN u.next + pg_catalog.make_interval(secs => $9) END "
			  "  FROM u WHERE o.id = u.id AND o.id = ANY ($1)",
			  9, types);

	for (c = 0; c < 8; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}
	foreach(lc, outcomes)
	{
		OutboxOutcome *o = lfirst(lc);

		cols[0][i] = Int64GetDatum(o->id);
		cols[1][i] = CStringGetTextDatum(o->status);
		cols[2][i] = Int32GetDatum(o->attempt);
		cols[3][i] = TimestampTzGetDatum(o->attempted_at);
		cols[4][i] = Int32GetDatum(o->duration_ms);
		cols[5][i] = Int32GetDatum(o->status_code);
		nulls[5][i] = (o->status_code == 0);
		if (o->error)
			cols[6][i] = CStringGetTextDatum(o->error);
		else
			nulls[6][i] = true;
		cols[7][i] = TimestampTzGetDatum(o->next_attempt_at);
		nulls[7][i] = (strcmp(o->status, "retrying") != 0);
		i++;
	}
	args[0] = make_array(cols[0], nulls[0], n, INT8OID);
	args[1] = make_array(cols[1], nulls[1], n, TEXTOID);
	args[2] = make_array(cols[2], nulls[2], n, INT4OID);
	args[3] = make_array(cols[3], nulls[3], n, TIMESTAMPTZOID);
	args[4] = make_array(cols[4], nulls[4], n, INT4OID);
	args[5] = make_array(cols[5], nulls[5], n, INT4OID);
	args[6] = make_array(cols[6], nulls[6], n, TEXTOID);
	args[7] = make_array(cols[7], nulls[7], n, TIMESTAMPTZOID);
	args[8] = Int32GetDatum(notify_ext_lease);

	ret = SPI_execute_plan(record_plan, args, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not record delivery outcomes: %s", SPI_result_code_string(ret));
}

/*
 * outbox_purge
 *		Apply retention: delete delivered rows older than
 *		notify_ext.retention_delivered and failed rows older than
 *		notify_ext.retention_failed, with their attempts.  Returns the number
 *		of attempt rows deleted (those of the statement's outer DELETE),
 *		not of outbox rows.  Needs an open transaction.
 */
uint64
outbox_purge(void)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	int			ret;

	keep_plan(&purge_plan,
			  "WITH d AS (DELETE FROM notify.outbox "
			  "            WHERE (status = 'delivered' AND delivered_at < "
			  "                   pg_catalog.now() - pg_catalog.make_interval(secs => $1)) "
			  "               OR (status IN ('failed', 'discarded') "
			  "                   AND COALESCE(last_attempt_at, created_at) < "
			  "                   pg_catalog.now() - pg_catalog.make_interval(secs => $2)) "
			  "           RETURNING id) "
			  "DELETE FROM notify.attempt a USING d WHERE a.outbox_id = d.id "
			  "RETURNING 1",
			  2, types);
	values[0] = Int32GetDatum(notify_ext_retention_delivered);
	values[1] = Int32GetDatum(notify_ext_retention_failed);
	ret = SPI_execute_plan(purge_plan, values, NULL, false, 0);
	if (ret != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "could not purge the outbox: %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/*
 * outbox_released
 *		Of the `n` outbox ids in `ids` (events the worker holds), those whose
 *		row is no longer pending or retrying (failed by a delete,
 *		discarded, or gone): returned as a palloc'd array sorted by id, its
 *		length in *nreleased.  Needs an open transaction; ERRORs on SPI
 *		failure.
 */
int64 *
outbox_released(const int64 *ids, int n, int *nreleased)
{
	Oid			types[1] = {INT8ARRAYOID};
	Datum		values[1];
	Datum	   *elems;
	MemoryContext outer = CurrentMemoryContext;
	int64	   *out;
	uint64		i;
	int			ret;

	*nreleased = 0;
	if (n == 0)
		return NULL;
	keep_plan(&released_plan,
			  "SELECT u.id FROM pg_catalog.unnest($1) AS u(id) "
			  " WHERE NOT EXISTS (SELECT 1 FROM notify.outbox o WHERE o.id = u.id "
			  "                      AND o.status IN ('pending', 'in_flight', 'retrying')) "
			  " ORDER BY u.id",
			  1, types);
	elems = palloc(sizeof(Datum) * n);
	for (i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	values[0] = make_array(elems, NULL, n, INT8OID);
	ret = SPI_execute_plan(released_plan, values, NULL, true, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not look at held outbox rows: %s", SPI_result_code_string(ret));
	out = MemoryContextAlloc(outer, sizeof(int64) * Max(SPI_processed, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		out[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc, 1, &isnull));
	}
	*nreleased = (int) SPI_processed;
	pfree(DatumGetPointer(values[0]));
	pfree(elems);
	return out;
}

PG_FUNCTION_INFO_V1(notify_ext_events_changed);

/*
 * notify_ext_events_changed
 *		SQL notify.events_changed(): outbox rows were taken out of the
 *		delivery worker's hands (notify.discard).  Sends a relcache
 *		invalidation of notify.outbox, which makes the worker look at the
 *		events it holds again (see lanes_revalidate), and wakes it at commit.
 */
Datum
notify_ext_events_changed(PG_FUNCTION_ARGS)
{
	const NotifyCatalog *cat = notify_catalog();

	if (OidIsValid(cat->outbox))
		CacheInvalidateRelcacheByRelid(cat->outbox);
	notify_wake_at_commit();
	PG_RETURN_VOID();
}
