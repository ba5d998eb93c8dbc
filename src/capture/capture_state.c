/*-------------------------------------------------------------------------
 *
 * capture_state.c
 *	  What quota and deletion-lock capture share: SQL calls run as the
 *	  extension's owner, and a cached "has this state table any rows" flag.
 *
 * Quota usage (notify.quota_usage) and deletion-lock state
 * (notify.deletion_lock_state) are kept by SQL functions of the extension
 * that capture calls through SPI as the owner of the outbox, so that the
 * application's roles need no right on them.
 *
 * Item, file and membership capture must stay cheap when no quota rule or
 * deletion lock exists: they ask capture_state_any(), which answers from a
 * per-backend flag.  The transaction that adds or removes a row of such a
 * table calls capture_state_changed(), which sends a relcache invalidation
 * of the table at commit; every backend then forgets its flag.  A writer
 * that starts after that commit takes its table lock, and so reads the
 * invalidation, before its trigger asks.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/capture_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"

#include "capture/capture_internal.h"

static bool callback_registered = false;
static CaptureStateFlag *flags[4];
static int	nflags = 0;

/* Forget the flags of a table whose relcache entry was invalidated */
static void
state_relcache_cb(Datum arg, Oid relid)
{
	int			i;

	for (i = 0; i < nflags; i++)
	{
		if (relid == InvalidOid || relid == flags[i]->relid)
			flags[i]->known = false;
	}
}

/*
 * capture_spi_begin
 *		Switch to the owner of the outbox (restored by capture_spi_end or by
 *		the abort of the (sub)transaction) and connect to SPI.
 */
void
capture_spi_begin(CaptureSpi *spi)
{
	const NotifyCatalog *cat = notify_catalog();

	GetUserIdAndSecContext(&spi->save_userid, &spi->save_sec);
	SetUserIdAndSecContext(cat->owner,
						   spi->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
}

/*
 * capture_spi_end
 *		Disconnect from SPI and switch back to the caller's user.
 */
void
capture_spi_end(CaptureSpi *spi)
{
	SPI_finish();
	SetUserIdAndSecContext(spi->save_userid, spi->save_sec);
}

/*
 * capture_spi_run
 *		Run a query with text parameters (NULL: SQL NULL) as the owner,
 *		inside capture_spi_begin/end; ERRORs if SPI reports a failure.  With plan, the query is planned once per
 *		backend and the plan kept in *plan (the query text must then be
 *		the same at every call).
 */
void
capture_spi_run(SPIPlanPtr *plan, const char *sql, int nargs, const char **args)
{
	Oid			types[10];
	Datum		values[10];
	char		nulls[10] = {0};
	int			i;
	int			rc;

	Assert(nargs <= lengthof(types));
	for (i = 0; i < nargs; i++)
	{
		types[i] = TEXTOID;
		values[i] = args[i] ? CStringGetTextDatum(args[i]) : (Datum) 0;
		nulls[i] = args[i] ? ' ' : 'n';
	}
	if (plan == NULL)
		rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	else
	{
		if (*plan == NULL)
		{
			SPIPlanPtr	p = SPI_prepare(sql, nargs, types);

			if (p == NULL || SPI_keepplan(p) != 0)
				elog(ERROR, "notify_ext state query could not be planned: %s",
					 SPI_result_code_string(SPI_result));
			*plan = p;
		}
		rc = SPI_execute_plan(*plan, values, nulls, false, 0);
	}
	if (rc < 0)
		elog(ERROR, "notify_ext state query failed: %s", SPI_result_code_string(rc));
}

/* The relation of flag in this catalog generation, InvalidOid if none */
static Oid
flag_relid(CaptureStateFlag *flag)
{
	const NotifyCatalog *cat = notify_catalog();

	if (!flag->resolved || flag->generation != notify_catalog_generation())
	{
		flag->resolved = true;
		flag->generation = notify_catalog_generation();
		flag->relid = OidIsValid(cat->schema) ?
			get_relname_relid(flag->relname, cat->schema) : InvalidOid;
		flag->known = false;
	}
	return flag->relid;
}

/*
 * capture_state_any
 *		Has flag's table any rows?  Cached until a transaction that changed
 *		it commits (capture_state_changed).  False when the table is
 *		missing.
 */
bool
capture_state_any(CaptureStateFlag *flag)
{
	Oid			relid = flag_relid(flag);
	CaptureSpi	spi;
	bool		isnull;

	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(state_relcache_cb, (Datum) 0);
		callback_registered = true;
	}
	if (!flag->registered)
	{
		Assert(nflags < lengthof(flags));
		flags[nflags++] = flag;
		flag->registered = true;
	}
	if (!OidIsValid(relid))
		return false;
	if (flag->known)
		return flag->any;

	capture_spi_begin(&spi);
	capture_spi_run(NULL, psprintf("SELECT EXISTS (SELECT 1 FROM notify.%s)",
							 flag->relname), 0, NULL);
	flag->any = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
										   SPI_tuptable->tupdesc, 1,
										   &isnull));
	capture_spi_end(&spi);
	flag->known = true;
	return flag->any;
}

/*
 * capture_state_changed
 *		This transaction added or removed rows of flag's table: every
 *		backend forgets its flag when it commits (this one at once).
 */
void
capture_state_changed(CaptureStateFlag *flag)
{
	Oid			relid = flag_relid(flag);

	if (OidIsValid(relid))
		CacheInvalidateRelcacheByRelid(relid);
	flag->known = false;
}
