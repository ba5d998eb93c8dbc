/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The per-database delivery worker (started by bgw/launcher.c).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/worker.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_WORKER_H
#define NOTIFY_WORKER_H

#include "fmgr.h"

extern PGDLLEXPORT void notify_ext_worker_main(Datum main_arg);

#endif							/* NOTIFY_WORKER_H */
