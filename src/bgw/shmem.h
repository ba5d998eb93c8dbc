/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  Shared state of the launcher and the per-database delivery workers.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/bgw/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_SHMEM_H
#define NOTIFY_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/spin.h"
#include "utils/timestamp.h"

#include "guc.h"

/* endpoints a worker shows in notify.endpoint_status, and their key length */
#define NOTIFY_ENDPOINTS_SHOWN	32
#define NOTIFY_ENDPOINT_KEYLEN	128

/*
 * One endpoint of a worker as notify.endpoint_status shows it: written by
 * the worker (delivery/endpoint.c) under its slot's ep_mutex.
 */
typedef struct NotifyEndpointStat
{
	char		endpoint[NOTIFY_ENDPOINT_KEYLEN];	/* scheme://host:port */
	char		state;			/* 'c' closed, 'o' open, 'h' half-open */
	int			failures;		/* consecutive failed attempts */
	int			inflight;		/* attempts running */
	int			waiting;		/* lanes held back (budget or breaker) */
	TimestampTz opened_at;		/* when the breaker last opened, or 0 */
	TimestampTz probe_at;		/* open: when the probe is due, or 0 */
} NotifyEndpointStat;

/*
 * One running (or starting) delivery process.  The launcher takes a slot
 * when it starts a worker and frees it when the worker has stopped; the
 * worker fills in pid and latch, and says when the launcher should try its
 * database again (hold_until).  A database has notify_ext.delivery_processes
 * slots, numbered by `process`; process 0 also runs the database's
 * once-per-database duties (retention, deletion-lock expiry) and has the
 * ingest poller beside it.
 */
typedef struct NotifyDbSlot
{
	Oid			dboid;			/* InvalidOid: free */
	int			process;		/* 0 .. notify_ext.delivery_processes - 1 */
	pid_t		pid;			/* 0 while not running */
	Latch	   *latch;			/* the worker's latch while running */
	TimestampTz hold_until;		/* no new worker for dboid before this */
	TimestampTz started;		/* when the worker in pid took the slot */
	pg_atomic_uint32 timers_changed;	/* a commit changed lock expiries */
	/* the S3 ingest poller of the database (src/ingest/poller.c) */
	pid_t		ingest_pid;		/* 0 while not running */
	Latch	   *ingest_latch;	/* the poller's latch while running */
	pg_atomic_uint32 ingest_wanted; /* storage methods may exist: run one */
	TimestampTz ingest_hold_until;	/* no new poller before this */
	int			ingest_failures;	/* unexpected poller exits in a row */
	slock_t		ep_mutex;		/* protects nendpoints and endpoints */
	int			nendpoints;
	NotifyEndpointStat endpoints[NOTIFY_ENDPOINTS_SHOWN];
} NotifyDbSlot;

typedef struct NotifyShared
{
	LWLock	   *lock;			/* protects slots */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	pg_atomic_uint32 rescan;	/* a database without worker captured */
	pg_atomic_uint32 wanted_db; /* the last such database */
	int			nslots;
	NotifyDbSlot slots[FLEXIBLE_ARRAY_MEMBER];
} NotifyShared;

extern NotifyShared *notify_shared;

/*
 * notify_slot_count
 *		Slots of the shared area: one per delivery process of every database
 *		that may be served at once.
 */
static inline int
notify_slot_count(void)
{
	return notify_ext_max_databases * notify_ext_delivery_processes;
}

/*
 * notify_lane_process
 *		The delivery process that serves lane `lane` (an outbox row's lane
 *		column, -1 when it has none): lane modulo the number of processes.
 *		outbox_claim and outbox_reclaim select rows by the same rule.
 */
static inline int
notify_lane_process(int64 lane)
{
	return (lane < 0) ? 0 : (int) (lane % notify_ext_delivery_processes);
}

extern void notify_shmem_init(void);
extern void notify_wake_at_commit(void);
extern void notify_wake_lane_at_commit(int64 lane);
extern void notify_timers_changed_at_commit(void);
extern bool notify_timers_changed_take(int slotno);
extern void notify_ingest_wake_at_commit(void);

#endif							/* NOTIFY_SHMEM_H */
