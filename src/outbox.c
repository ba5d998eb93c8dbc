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
 * The INSERT is planned once per backend and kept (SPI_keepplan); values
 * travel as parameters, never as SQL text.
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
#include "utils/builtins.h"

#include "outbox.h"

static SPIPlanPtr insert_plan = NULL;

/*
 * outbox_insert
 *		Add one pending outbox row.
 *
 * The caller is connected to SPI and runs as a role allowed to insert into
 * notify.outbox.  entity_id and lane may be NULL.  ERRORs on SPI failure
 * (which aborts the capturing transaction, as it must).
 */
void
outbox_insert(const char *notification_id, const char *resource,
			  const char *event, const char *entity_id,
			  const char *payload, const char *lane)
{
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int			ret;

	if (insert_plan == NULL)
	{
		Oid			types[6] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("INSERT INTO notify.outbox "
						   "(notification_id, resource, event, entity_id, payload, lane) "
						   "VALUES ($1, $2, $3, $4, $5::pg_catalog.json, $6)",
						   6, types);
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
	if (lane)
		values[5] = CStringGetTextDatum(lane);
	else
		nulls[5] = 'n';

	ret = SPI_execute_plan(insert_plan, values, nulls, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "could not insert outbox row: %s",
			 SPI_result_code_string(ret));
}
