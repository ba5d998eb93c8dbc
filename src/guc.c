/*-------------------------------------------------------------------------
 *
 * guc.c
 *	  Definition of every notify_ext.* configuration parameter.
 *
 * All settings live here so that the README's configuration table has one
 * source.  Settings the SQL functions and the capture trigger need are
 * defined whether or not the library is preloaded; settings that only the
 * delivery worker reads are added by notify_ext_guc_init_worker().
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"

#include "guc.h"

int			notify_ext_max_document_size = 65536;

/*
 * notify_ext_guc_init
 *		Define the settings needed by the SQL API and the capture trigger.
 *
 * Called from _PG_init in every backend that loads the library.
 */
void
notify_ext_guc_init(void)
{
	DefineCustomIntVariable("notify_ext.max_document_size",
							"Largest NotificationDocument accepted, in bytes.",
							"Larger XML or JSON documents are refused before "
							"parsing. Range 1kB to 1MB.",
							&notify_ext_max_document_size,
							65536, 1024, 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);
}
