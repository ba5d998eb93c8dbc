/*-------------------------------------------------------------------------
 *
 * outbox.c
 *	  Writing events into the durable outbox table notify.outbox.
 *
 * Durability contract: the capture trigger inserts outbox rows through SPI
 * in the transaction that made the change.  notify.outbox is an ordinary
 * logged table, so a rolled-back change leaves no row and a committed one
 * has all of its rows, after a crash too (WAL replay).  Nothing here talks
 * to the network.
 *
 * The delivery worker's side: outbox_claim marks the oldest pending rows
 * in_flight with a lease and hands them over; outbox_record writes the
 * outcomes of a batch of attempts in one statement; outbox_reclaim_all
 * returns the rows of a dead worker to pending; outbox_purge applies the
 * retention settings.  Each runs inside a short transaction opened by the
 * worker, never across network I/O.  Recording an outcome changes no
 * indexed column except status, so the outbox stays compact.
 *
 * Every statement is planned once per backend and kept (SPI_keepplan);
 * values travel as parameters, never as SQL text.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/outbox.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "guc.h"

#include "outbox.h"

static SPIPlanPtr insert_plan = NULL;

/*
 * outbox_insert
 *		Add one pending outbox row.
 *
 * The caller is connected to SPI and runs as a role allowed to insert into
 * notify.outbox.  entity_id may be NULL.  ERRORs on SPI failure
 * (which aborts the capturing transaction, as it must).
 */
void
outbox_insert(const char *notification_id, const char *resource,
			  const char *event, const char *entity_id,
			  const char *payload)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int			ret;

	if (insert_plan == NULL)
	{
		Oid			types[5] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("INSERT INTO notify.outbox "
						   "(notification_id, resource, event, entity_id, payload) "
						   "VALUES ($1, $2, $3, $4, $5::pg_catalog.json)",
						   5, types);
		if (plan == NULL)
			elog(ERROR, "could not prepare outbox insert: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep outbox insert plan");
		insert_plan = plan;
	}

	values[0] = CStringGetTextDatum(notification_id);
	values[1] = CStringGetTextDatum(resource);
	values[2] = CStringGetTextDatum(event);
	if (entity_id)
		values[3] = CStringGetTextDatum(entity_id);
	else
		nulls[3] = 'n';
	values[4] = CStringGetTextDatum(payload);

	ret = SPI_execute_plan(insert_plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not insert outbox row: %s",
			 SPI_result_code_string(ret));
}

/* ----------------------------------------------------------------
 *		worker side
 * ----------------------------------------------------------------
 */

static SPIPlanPtr claim_plan = NULL;
static SPIPlanPtr record_plan = NULL;
static SPIPlanPtr reclaim_plan = NULL;
static SPIPlanPtr purge_plan = NULL;

static SPIPlanPtr
keep_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
	SPIPlanPtr	plan;

	if (*slot != NULL)
		return *slot;
	plan = SPI_prepare(sql, nargs, types);
	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql,
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep plan");
	*slot = plan;
	return plan;
}

static int
cmp_row_id(const ListCell *a, const ListCell *b)
{
	int64		x = ((OutboxRow *) lfirst(a))->id;
	int64		y = ((OutboxRow *) lfirst(b))->id;

	return (x > y) - (x < y);
}

static char *
copy_value(HeapTuple tup, TupleDesc desc, int col)
{
	char	   *v = SPI_getvalue(tup, desc, col);

	return v ? pstrdup(v) : NULL;
}

/*
 * outbox_claim
 *		Claim up to `limit` pending rows, oldest first: status in_flight and
 *		a lease of notify_ext.lease seconds.
 *
 * Returns OutboxRow * sorted by id, palloc'd in the context that was
 * current at the call.  Needs an open transaction with a snapshot; the
 * caller commits.  ERRORs on SPI failure.
 */
List *
outbox_claim(int limit)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2];
	MemoryContext outer = CurrentMemoryContext;
	List	   *rows = NIL;
	uint64		i;
	int			ret;

	keep_plan(&claim_plan,
			  "UPDATE notify.outbox o SET status = 'in_flight', "
			  "       lease_until = pg_catalog.now() + pg_catalog.make_interval(secs => $2) "
			  "  FROM (SELECT id FROM notify.outbox WHERE status = 'pending' "
			  "         ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) c "
			  " WHERE o.id = c.id "
			  "RETURNING o.id, o.event_id, o.notification_id, o.resource, o.event, "
			  "          o.entity_id, o.payload, o.attempts, o.next_attempt_at, o.attempts_base",
			  2, types);
	values[0] = Int32GetDatum(limit);
	values[1] = Int32GetDatum(notify_ext_lease);
	ret = SPI_execute_plan(claim_plan, values, NULL, false, 0);
	if (ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "could not claim outbox rows: %s", SPI_result_code_string(ret));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		MemoryContext old = MemoryContextSwitchTo(outer);
		OutboxRow  *row = palloc0(sizeof(OutboxRow));
		bool		isnull;

		row->id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		row->event_id = copy_value(tup, desc, 2);
		row->notification_id = copy_value(tup, desc, 3);
		row->resource = copy_value(tup, desc, 4);
		row->event = copy_value(tup, desc, 5);
		row->entity_id = copy_value(tup, desc, 6);
		row->payload = copy_value(tup, desc, 7);
		row->attempts = DatumGetInt32(SPI_getbinval(tup, desc, 8, &isnull));
		row->next_attempt_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 9, &isnull));
		row->attempts_base = DatumGetInt32(SPI_getbinval(tup, desc, 10, &isnull));
		rows = lappend(rows, row);
		MemoryContextSwitchTo(old);
	}
	list_sort(rows, cmp_row_id);
	return rows;
}

/*
 * outbox_reclaim_all
 *		Return every in_flight row to pending.  Only the single worker that
 *		owns the database calls this, at start, when every in_flight row
 *		belongs to a worker that is gone.  Returns the number of rows.
 */
uint64
outbox_reclaim_all(void)
{
	int			ret;

	keep_plan(&reclaim_plan,
			  "UPDATE notify.outbox SET status = 'pending', lease_until = NULL "
			  " WHERE status = 'in_flight'", 0, NULL);
	ret = SPI_execute_plan(reclaim_plan, NULL, NULL, false, 0);
	if (ret != SPI_OK_UPDATE)
		elog(ERROR, "could not reclaim outbox rows: %s", SPI_result_code_string(ret));
	return SPI_processed;
}

/* Build a one-dimensional array datum from `n` datums with nulls */
static Datum
make_array(Datum *elems, bool *nulls, int n, Oid elemtype)
{
	int			dims[1] = {n};
	int			lbs[1] = {1};
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
}

/*
 * outbox_record
 *		Write a batch of attempt outcomes (OutboxOutcome *): one UPDATE of the
 *		outbox rows and one INSERT of the attempts that did not deliver.
 *		Needs an open transaction; ERRORs on SPI failure.
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
			  "UPDATE notify.outbox o SET status = u.status, attempts = u.attempt, "
			  "       last_attempt_at = u.at, last_duration_ms = u.dur, "
			  "       last_status = u.code, last_error = u.err, "
			  "       delivered_at = CASE WHEN u.status = 'delivered' THEN pg_catalog.now() END, "
			  "       next_attempt_at = COALESCE(u.next, o.next_attempt_at), "
			  "       lease_until = CASE WHEN u.status = 'in_flight' "
			  "                     THEN u.next + pg_catalog.make_interval(secs => $9) END "
			  "  FROM u WHERE o.id = u.id",
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
		nulls[7][i] = (strcmp(o->status, "in_flight") != 0);
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
 *		of outbox rows deleted.  Needs an open transaction.
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
			  "               OR (status = 'failed' AND last_attempt_at < "
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
