/*-------------------------------------------------------------------------
 *
 * xact.h
 *	  Run a piece of work in a short transaction of its own.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/xact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_XACT_H
#define NOTIFY_XACT_H

extern bool run_in_transaction(void (*fn) (void *arg), void *arg,
							   const char *activity, char **error);

#endif							/* NOTIFY_XACT_H */
