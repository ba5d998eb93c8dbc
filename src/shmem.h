/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  Shared state of the launcher and the per-database delivery workers.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_SHMEM_H
#define NOTIFY_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

typedef struct NotifyDbSlot
{
	Oid			dboid;			/* InvalidOid: free */
	pid_t		pid;			/* 0 while not running */
	Latch	   *latch;			/* the worker's latch while running */
	TimestampTz next_check;		/* launcher: no worker before this time */
} NotifyDbSlot;

typedef struct NotifyShared
{
	LWLock	   *lock;			/* protects slots */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	pg_atomic_uint32 rescan;	/* a database without worker captured */
	int			nslots;
	NotifyDbSlot slots[FLEXIBLE_ARRAY_MEMBER];
} NotifyShared;

extern NotifyShared *notify_shared;

extern void notify_shmem_init(void);
extern void notify_wake_at_commit(void);

#endif							/* NOTIFY_SHMEM_H */
