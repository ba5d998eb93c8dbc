/*-------------------------------------------------------------------------
 *
 * catalog.c
 *	  The catalog facts of the installed extension in this database
 *	  (schema, table oids, owner) and the one relcache callback that
 *	  forgets them; whether a role may call a function.
 *
 * Every layer asks notify_catalog() whether the extension is installed and
 * where its tables are; the answer is remembered per backend until a
 * relcache invalidation of the definitions or the outbox table (which
 * DROP/CREATE EXTENSION and every change of a definition send), or of all
 * relations, arrives.  The callback then only marks the facts stale and
 * bumps notify_catalog_generation(), which caches built on top of these
 * tables (the definition cache) compare with the generation they were
 * built in: the callback may run in the middle of a capture, so it frees
 * nothing and never ERRORs.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/catalog.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "utils/acl.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "notify_ext.h"

static NotifyCatalog catalog;
static uint64 catalog_generation = 1;
static bool callback_registered = false;

/*
 * catalog_relcache_cb
 *		Relcache callback: forget the facts when the definitions or the
 *		outbox table (or every relation, relid == InvalidOid) is
 *		invalidated.  Must not free memory or ERROR.
 */
static void
catalog_relcache_cb(Datum arg, Oid relid)
{
	if (relid == InvalidOid ||
		(catalog.valid && (relid == catalog.definitions ||
						   relid == catalog.outbox)))
	{
		catalog.valid = false;
		catalog_generation++;
	}
}

/*
 * notify_catalog
 *		Oids of the extension's schema and tables in this database.
 *
 * Returns a pointer to static storage.  catalog->schema is InvalidOid when
 * the extension is not installed (that answer is not remembered, so a later
 * CREATE EXTENSION is seen).  Needs a transaction; ERRORs only when the
 * outbox table vanishes while being looked at.
 */
const NotifyCatalog *
notify_catalog(void)
{
	if (!callback_registered)
	{
		CacheRegisterRelcacheCallback(catalog_relcache_cb, (Datum) 0);
		callback_registered = true;
	}

	if (!catalog.valid)
	{
		Oid			nsp = get_namespace_oid(NOTIFY_SCHEMA, true);

		memset(&catalog, 0, sizeof(catalog));
		if (OidIsValid(nsp))
		{
			catalog.definitions = get_relname_relid(NOTIFY_DEFINITIONS, nsp);
			catalog.outbox = get_relname_relid(NOTIFY_OUTBOX, nsp);
			catalog.change_set_seq = get_relname_relid(NOTIFY_CHANGE_SET_SEQ, nsp);
		}
		if (OidIsValid(catalog.definitions) && OidIsValid(catalog.outbox) &&
			OidIsValid(catalog.change_set_seq))
		{
			HeapTuple	tup = SearchSysCache1(RELOID,
											  ObjectIdGetDatum(catalog.outbox));

			if (!HeapTupleIsValid(tup))
				elog(ERROR, "cache lookup failed for relation %u", catalog.outbox);
			catalog.owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
			ReleaseSysCache(tup);
			catalog.outbox_id_seq = getIdentitySequence(catalog.outbox, 1, false);
			catalog.schema = nsp;
			catalog.valid = true;
		}
		else
			catalog.schema = InvalidOid;
	}
	return &catalog;
}

/*
 * notify_catalog_generation
 *		A number that changes whenever the catalog facts are forgotten: a
 *		cache built from the extension's tables is stale once it differs
 *		from the number read when the cache was built.
 */
uint64
notify_catalog_generation(void)
{
	return catalog_generation;
}

/*
 * notify_role_may_call
 *		May role call function fn: USAGE on its schema and EXECUTE on it?
 *		The one check of a <function> action's right, made when it is
 *		defined and before every call.
 */
bool
notify_role_may_call(Oid fn, Oid role)
{
	return pg_namespace_aclcheck(get_func_namespace(fn), role, ACL_USAGE) == ACLCHECK_OK &&
		pg_proc_aclcheck(fn, role, ACL_EXECUTE) == ACLCHECK_OK;
}
