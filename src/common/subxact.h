/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  Run a piece of work in an internal subtransaction.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/subxact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_SUBXACT_H
#define NOTIFY_SUBXACT_H

extern bool subxact_run(void (*fn) (void *arg), void *arg, char **error,
						int *sqlerrcode);

#endif							/* NOTIFY_SUBXACT_H */
