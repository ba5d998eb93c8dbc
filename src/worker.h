/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The launcher and the per-database delivery workers.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_WORKER_H
#define NOTIFY_WORKER_H

#include "fmgr.h"

extern void launcher_register(void);
extern bool launcher_database_configured(const char *name);
extern void launcher_release_database(Oid dboid);

extern PGDLLEXPORT void notify_ext_launcher_main(Datum main_arg);
extern PGDLLEXPORT void notify_ext_worker_main(Datum main_arg);

#endif							/* NOTIFY_WORKER_H */
