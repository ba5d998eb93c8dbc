/*-------------------------------------------------------------------------
 *
 * delivery_site.c
 *	  The delivery worker's pause check: a restored or copied database does
 *	  not deliver on its own.
 *
 * notify.delivery_site travels with dumps and clones (it is config-dumped
 * in full).  CREATE EXTENSION records the database it runs in: the
 * cluster's system identifier and the database's oid.  A restore adds the
 * source's row next to it; a clone (CREATE DATABASE ... TEMPLATE) keeps the
 * template's row, with another oid.  A row naming another database, or a
 * row with paused set (notify.pause_delivery()), pauses delivery: the
 * worker claims and sends nothing until notify.resume_delivery() replaces
 * the rows by this database's.  A promoted standby or a copy made from a
 * base backup has the same system identifier and oids as its primary, so it
 * is the same site and delivers.  Capture is not affected.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/delivery_site.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "delivery/delivery_site.h"
#include "notify_ext.h"

/* What the last check found, to log changes only */
typedef enum SiteState
{
	SITE_UNKNOWN,
	SITE_DELIVERING,
	SITE_FOREIGN,
	SITE_PAUSED,
	SITE_OLD_OBJECTS			/* the extension's objects are of another
								 * version than the library */
} SiteState;

static SiteState last_state = SITE_UNKNOWN;
static SPIPlanPtr site_plan = NULL;

/* What delivery_objects_version found, by catalog generation */
static uint64 version_generation = 0;
static char *objects_version = NULL;

/* The row that pauses delivery, if any: a foreign site first, then a pause */
static const char *site_sql =
"SELECT (s.system_identifier, s.database_oid) IS DISTINCT FROM ($1, $2), "
"       s.system_identifier, s.database_oid, s.recorded_at "
"  FROM notify.delivery_site s "
" WHERE s.paused OR (s.system_identifier, s.database_oid) IS DISTINCT FROM ($1, $2) "
" ORDER BY 1 DESC, s.recorded_at LIMIT 1";

/*
 * delivery_objects_current
 *		Are the extension's objects in this database of the library's
 *		version (NOTIFY_EXT_VERSION)?  Between installing a new library,
 *		restarting, and ALTER EXTENSION notify_ext UPDATE they are not, and
 *		the worker must not write states or call functions the old objects
 *		lack.  Read from pg_extension again only when the catalog
 *		generation moved (ALTER EXTENSION ... UPDATE changes the
 *		extension's tables, which moves it).  Needs an open transaction
 *		and SPI connected; ERRORs on SPI failure.
 */
bool
delivery_objects_current(void)
{
	uint64		generation = notify_catalog_generation();

	if (objects_version == NULL || generation != version_generation)
	{
		int			ret = SPI_execute("SELECT extversion FROM pg_catalog.pg_extension "
									  "WHERE extname OPERATOR(pg_catalog.=) 'notify_ext'",
									  true, 1);

		if (ret != SPI_OK_SELECT)
			elog(ERROR, "could not read pg_extension: %s",
				 SPI_result_code_string(ret));
		if (objects_version != NULL)
			pfree(objects_version);
		objects_version = MemoryContextStrdup(TopMemoryContext,
											  SPI_processed > 0 ?
											  SPI_getvalue(SPI_tuptable->vals[0],
														   SPI_tuptable->tupdesc, 1) : "");
		version_generation = generation;
	}
	return strcmp(objects_version, NOTIFY_EXT_VERSION) == 0;
}

/*
 * delivery_site_paused
 *		Is delivery paused in this database?  Reads notify.delivery_site
 *		(a handful of rows) and logs one LOG line whenever the answer
 *		changes: why delivery is paused, or that it goes on again.
 *
 * The worker calls it in every transaction that would claim, so a pause,
 * a resume or a configuration reload takes effect at the next claim.
 * Needs an open transaction with a snapshot and SPI connected; ERRORs on
 * SPI failure (the caller's transaction then claims nothing).
 */
bool
delivery_site_paused(const char *database_name)
{
	Oid			types[2] = {INT8OID, OIDOID};
	Datum		values[2];
	uint64		sysid = GetSystemIdentifier();
	SiteState	state = SITE_DELIVERING;
	char	   *recorded = NULL;
	int			ret;
	bool		objects_current;

	if (site_plan == NULL)
	{
		SPIPlanPtr	plan = SPI_prepare(site_sql, 2, types);

		if (plan == NULL)
			elog(ERROR, "could not prepare the delivery site check: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep plan");
		site_plan = plan;
	}
	/* first: it runs a query of its own (SPI_tuptable) */
	objects_current = delivery_objects_current();
	values[0] = Int64GetDatum((int64) sysid);
	values[1] = ObjectIdGetDatum(MyDatabaseId);
	ret = SPI_execute_plan(site_plan, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read notify.delivery_site: %s",
			 SPI_result_code_string(ret));

	if (!objects_current)
		state = SITE_OLD_OBJECTS;
	else if (SPI_processed > 0)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		if (DatumGetBool(SPI_getbinval(tup, desc, 1, &isnull)))
		{
			char	   *rsysid = SPI_getvalue(tup, desc, 2);
			char	   *roid = SPI_getvalue(tup, desc, 3);
			char	   *rat = SPI_getvalue(tup, desc, 4);

			state = SITE_FOREIGN;
			recorded = psprintf("system identifier %s, database OID %s, recorded at %s",
								rsysid, roid, rat);
		}
		else
		{
			state = SITE_PAUSED;
			recorded = SPI_getvalue(tup, desc, 4);
		}
	}

	if (state != last_state)
	{
		if (state == SITE_FOREIGN)
			ereport(LOG,
					(errmsg("notify_ext delivery is paused in database \"%s\": it was restored or copied from another database",
							database_name),
					 errdetail("The database records the delivery site %s; this database is system identifier " UINT64_FORMAT ", database OID %u.",
							   recorded, sysid, MyDatabaseId),
					 errhint("Events are captured but not delivered.  If this database is to deliver them, run SELECT notify.resume_delivery(); in it.")));
		else if (state == SITE_OLD_OBJECTS)
			ereport(WARNING,
					(errmsg("notify_ext delivery is paused in database \"%s\": its notify_ext objects are version %s, the library is version %s",
							database_name, objects_version, NOTIFY_EXT_VERSION),
					 errhint("Run ALTER EXTENSION notify_ext UPDATE; in the database.  Events are captured meanwhile and delivered after the update.")));
		else if (state == SITE_PAUSED)
			ereport(LOG,
					(errmsg("notify_ext delivery is paused in database \"%s\"", database_name),
					 errdetail("notify.pause_delivery() was called at %s.", recorded),
					 errhint("Events are captured but not delivered until SELECT notify.resume_delivery(); is run.")));
		else if (last_state != SITE_UNKNOWN)
			ereport(LOG,
					(errmsg("notify_ext delivery resumed in database \"%s\"", database_name)));
		last_state = state;
	}
	return state != SITE_DELIVERING;
}
