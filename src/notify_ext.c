/*-------------------------------------------------------------------------
 *
 * notify_ext.c
 *	  Module entry point of notify_ext.
 *
 * notify_ext turns changes in an asset database into Vidispine-style
 * notifications: definitions are NotificationDocuments kept in SQL tables,
 * a C row trigger writes one outbox row per (event, matching notification)
 * in the changing transaction, and a background worker delivers the rows.
 *
 * _PG_init only defines settings and, when preloaded, registers the worker.
 * The capture trigger and the SQL API work without preloading.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/notify_ext.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "guc.h"
#include "shmem.h"
#include "worker.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Library load: settings first, then the preload-only parts.
 */
void
_PG_init(void)
{
	notify_ext_guc_init();

	/* the worker and its settings exist only when preloaded */
	if (process_shared_preload_libraries_in_progress)
	{
		notify_ext_guc_init_worker();
		notify_shmem_init();
		launcher_register();
	}

	MarkGUCPrefixReserved("notify_ext");
}
