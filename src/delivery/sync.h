/*-------------------------------------------------------------------------
 *
 * sync.h
 *	  Synchronous actions, delivered before commit (delivery/sync.c).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/sync.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_SYNC_H
#define NOTIFY_SYNC_H

#include "nodes/pg_list.h"

extern void sync_init(void);
extern char *sync_deliver_list(List *events);

#endif							/* NOTIFY_SYNC_H */
