/*-------------------------------------------------------------------------
 *
 * aws_credential.c
 *	  Read a stored AWS credential (notify.aws_credential) for delivery.
 *
 * An <sqs> or <sns> action without <accessKey> names a credential alias in
 * <secret>.  The delivery worker resolves it here, in its claim
 * transaction, before any transfer: the transports get the access key and
 * the secret key themselves and never read the catalog.  The alias must
 * still be usable by the notification's owner (the rule
 * notify.parse_checked applies when the notification is defined).  The
 * secret is never put into a message.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/aws_credential.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "definition/definition_cache.h"
#include "notify_ext.h"

/*
 * definition_aws_credential
 *		Look up alias in notify.aws_credential for a notification owned by
 *		owner.  Returns true with *access_key, *secret_key and *region
 *		(NULL when none is stored) palloc'd in the caller's context; false
 *		when the alias does not exist or owner may not use it.  Runs SPI as
 *		the extension owner inside the caller's transaction; ERRORs only on
 *		SPI failure or when the extension is not installed.
 */
bool
definition_aws_credential(const char *alias, Oid owner, char **access_key,
						  char **secret_key, char **region)
{
	const NotifyCatalog *cat = notify_catalog();
	MemoryContext caller = CurrentMemoryContext;
	Oid			save_userid;
	int			save_sec;
	Oid			types[2] = {TEXTOID, OIDOID};
	Datum		values[2];
	int			ret;
	bool		found = false;

	*access_key = *secret_key = *region = NULL;
	if (cat == NULL || !cat->valid)
		elog(ERROR, "notify_ext is not installed in this database");

	values[0] = CStringGetTextDatum(alias);
	values[1] = ObjectIdGetDatum(owner);

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(cat->owner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	ret = SPI_execute_with_args("SELECT c.access_key, c.secret_key, c.region "
								"FROM notify.aws_credential c "
								"WHERE c.alias OPERATOR(pg_catalog.=) $1 "
								"AND pg_catalog.pg_has_role($2, c.owner, 'USAGE')",
								2, types, values, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "could not read AWS credential: %s",
			 SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *ak = SPI_getvalue(tup, desc, 1);
		char	   *sk = SPI_getvalue(tup, desc, 2);
		char	   *rg = SPI_getvalue(tup, desc, 3);

		*access_key = MemoryContextStrdup(caller, ak);
		*secret_key = MemoryContextStrdup(caller, sk);
		*region = rg ? MemoryContextStrdup(caller, rg) : NULL;
		explicit_bzero(sk, strlen(sk));
		found = true;
	}
	SPI_finish();
	SetUserIdAndSecContext(save_userid, save_sec);
	return found;
}
