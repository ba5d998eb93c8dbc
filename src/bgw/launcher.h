/*-------------------------------------------------------------------------
 *
 * launcher.h
 *	  The launcher: one delivery worker per served database.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/bgw/launcher.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_LAUNCHER_H
#define NOTIFY_LAUNCHER_H

#include "fmgr.h"

extern void launcher_register(void);
extern bool launcher_database_configured(const char *name);
/* how long the launcher leaves a database alone before DROP DATABASE, and
 * before CREATE DATABASE ... TEMPLATE copies it */
#define DROP_HOLDOFF_MS		60000
#define TEMPLATE_HOLDOFF_MS	10000
extern void launcher_release_database(Oid dboid, int holdoff_ms);

extern PGDLLEXPORT void notify_ext_launcher_main(Datum main_arg);

#endif							/* NOTIFY_LAUNCHER_H */
