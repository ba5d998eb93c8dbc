/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  PostgreSQL version shims, kept in one place.
 *
 * PostgreSQL 15 is the baseline.  Later majors renamed or added a few
 * interfaces notify_ext uses; every #if on PG_VERSION_NUM lives here.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_COMPAT_H
#define NOTIFY_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "notify_ext requires PostgreSQL 15 or later"
#endif

/* PG17 allocates custom wait events by name; before that one shared id */
#if PG_VERSION_NUM >= 170000
#define NOTIFY_WAIT_EVENT	WaitEventExtensionNew("NotifyExtMain")
#else
#define NOTIFY_WAIT_EVENT	PG_WAIT_EXTENSION
#endif

#endif							/* NOTIFY_COMPAT_H */
