/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The per-database delivery worker: claim, send, record.
 *
 * notify_ext.delivery_processes workers serve one database (the launcher
 * starts them): each owns the lanes whose number (the outbox row's lane
 * column, written by capture) modulo the number of processes is its own,
 * so a lane is only ever in one process and every ordering promise below
 * holds in each.  Process 0 also applies retention and expires deletion
 * locks.  Each worker's loop, one named step each (see
 * notify_ext_worker_main):
 *
 *	1. In one short transaction: record the outcomes of finished attempts
 *	   (outbox_record), drop or update held events when definitions or
 *	   events changed (lane.c), and read ("claim") the next pending rows in
 *	   id order (outbox_claim; reading changes no row: a row stays pending
 *	   until its first outcome is recorded).  Read rows are appended to
 *	   in-memory lanes (lane.c).
 *	2. With no transaction open: start an attempt for the head event of
 *	   every idle lane through its action's transport (dispatch.c), up to
 *	   notify_ext.max_inflight, and drive the transports; each result goes
 *	   through the retry policy (retry.c) into an outcome.
 *	3. Sleep on the latch when there is nothing to do.  Committing
 *	   transactions that captured events set the latch (shmem.c);
 *	   notify_ext.naptime is the backstop.
 *	4. At the nearest deletion-lock expiry (a timer, also when nothing
 *	   else happens), in one short transaction: write the expire events of
 *	   the locks whose expiry passed (expire_locks).
 *
 * Ordering.  A lane is a strict FIFO: its next event starts only when the
 * previous one is delivered or has failed for good, and a retry keeps its
 * place at the head.  An event's lane is its action's thread group when it
 * has one (one lane across entities and endpoints); otherwise the pair
 * (endpoint, entity), or the endpoint alone when the notification asks for
 * endpoint ordering.  Rows are claimed in id order, and a transaction that
 * commits late has its rows claimed within LATE_RESCAN_MS of its commit
 * (claims look from the start again that often; less often while many
 * events are held, see LATE_RESCAN_ROWS).  Capture serialises
 * the writers of a strict lane (group, endpoint) with an advisory lock, so
 * their ids follow commit order; an entity's updates are ordered by its row
 * lock.  Different lanes run
 * in parallel over several keep-alive connections.
 *
 * Crash safety.  The outbox is the only truth.  The rows a process holds
 * stay pending until an outcome is recorded, so a process that starts
 * reads the pending rows of its lanes that a gone process held, and
 * returns its lanes' retrying rows to pending (only one process serves a
 * lane, so those rows belong to a process that is gone): their events are
 * sent again, at least once.  Failed deliveries are data on the outbox row,
 * never an ERROR: an ERROR inside a transaction here is reported, the
 * transaction is rolled back and the loop goes on.
 *
 * Pause.  Every transaction that records and claims first asks
 * delivery_site.c whether this database may deliver (not when it was
 * restored or copied from another database, nor after
 * notify.pause_delivery()).  While it may not, nothing is claimed or
 * started; transfers already running finish and are recorded.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/pmsignal.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "bgw/launcher.h"
#include "bgw/shmem.h"
#include "capture/deletion_lock.h"
#include "common/compat.h"
#include "common/xact.h"
#include "delivery/delivery_internal.h"
#include "delivery/delivery_site.h"
#include "delivery/worker.h"
#include "guc.h"
#include "notify_ext.h"
#include "outbox/outbox.h"

/*
 * Retention runs every tenth of the shorter retention period, between 10 s
 * and 10 min: a purge scans the outbox, and rows live at most 10% longer
 * than their retention.
 */
#define PURGE_MIN_MS		10000
#define PURGE_MAX_MS		600000

/*
 * A database without the extension is looked at again only after this many
 * launcher periods: its first captured event asks for a worker at once.
 */
#define IDLE_HOLD_PERIODS	10
#define POLL_SLICE_MS		2
#define RECORD_DELAY_MS		20

/*
 * Claims look for pending rows above the last id claimed (claim_hint); a
 * transaction that commits late can leave rows below it, so a claim looks
 * from the start again (leaving out the rows held) once LATE_RESCAN_MS
 * after a short claim, and once more for every LATE_RESCAN_ROWS events
 * held: a claim from the start walks the held rows (still pending) and the
 * recorded rows' old entries in the queued index (until vacuum), so its
 * cost grows with what is held (thousands of events parked behind an open
 * circuit breaker), and its rate is kept down to match.  Late rows never
 * overtake within a lane (capture orders a lane's ids by commit, see the
 * banner), so waiting for them costs only latency.
 */
#define LATE_RESCAN_MS		200
#define LATE_RESCAN_ROWS	500

/*
 * Concurrent writers commit in another order than they drew their ids, so
 * after a short claim the rows of a transaction that committed a moment
 * after a later one are usually just below the highest id read: the next
 * claim looks back this many ids (leaving out the rows held), so that they
 * do not wait for the claim from the start.
 */
#define LATE_LOOKBACK_IDS	128

/*
 * Under a steady stream (a claim that came back short, the worker having
 * caught up, still found CLAIM_STREAM_ROWS rows or more) and while attempts
 * are running, the next claim follows only CLAIM_INTERVAL_MS later: each
 * claim and recording transaction then takes a few milliseconds' worth of
 * events, not one or two, so its fixed cost is shared.  At low rates (a
 * few rows per claim), or with nothing being sent, the worker claims at
 * once: no latency is added there, also not while transfers to a hung
 * endpoint are running.
 */
#define CLAIM_INTERVAL_MS	5
#define CLAIM_STREAM_ROWS	16

/* What one recording transaction is asked to do, and what it did */
typedef struct SyncWork
{
	int			claim_limit;	/* rows to claim at most (0: none) */
	bool		from_start;		/* the claim looks from the first id */
	bool		purge;			/* apply retention too */
	int			claimed;		/* out: rows claimed */
} SyncWork;

static int	slotno;
static int	delivery_process;	/* this process's number in its database */
static char database_name[NAMEDATALEN];
static bool extension_gone = false;
static bool delivery_paused = true; /* until the first check says otherwise */
static bool claim_more = true;	/* pending rows may be waiting */
static TimestampTz next_timer = 0;	/* next naptime backstop */
static TimestampTz next_purge = 0;	/* next retention run */
static TimestampTz last_full_claim = 0; /* a claim last looked from the start */
static TimestampTz short_claim_at = 0;	/* the last claim that came back short */
static int	short_claim_rows = 0;	/* and the rows it found */
static TimestampTz full_claim_due = 0;	/* one must again by then; 0: none */
static uint64 held_generation = 0;	/* catalog generation the held events
									 * were last checked in */

static TimestampTz next_expiry = 0; /* next lock expiry pass; 0: at once */

/*
 * A lock expiry pass that failed, or found a due lock a transaction was
 * changing, is tried again after this long.
 */
#define EXPIRY_RETRY_MS		100
#define EXPIRY_FAILED_MS	1000

/* What one lock expiry transaction is asked to do, and what it did */
typedef struct ExpiryWork
{
	TimestampTz now;			/* expire the locks due by now */
	TimestampTz next;			/* out: the nearest expiry left, 0: none */
} ExpiryWork;

/* ----------------------------------------------------------------
 *		transactions
 * ----------------------------------------------------------------
 */

/*
 * worker_statement_settings
 *		Settings of the worker's own statements, in the current transaction
 *		only (in-database actions run in transactions of their own with the
 *		session's settings):
 *
 *		- The statements are planned once and kept.  Planned while the
 *		  outbox is empty (or just vacuumed), a plan could scan the whole
 *		  table for every claim and record; every statement here has an
 *		  index to use, except the purge, which scans anyway.  Make the
 *		  planner use them.
 *		- With sequential scans disabled, a statement that can only scan
 *		  (notify.delivery_site, the purge) costs more than jit_above_cost:
 *		  JIT would compile it at every execution, which made each claim
 *		  transaction cost milliseconds.  These statements touch a few rows:
 *		  no JIT.
 *		- They run as superuser: their operators and functions must be
 *		  pg_catalog's whatever search_path the database or the server sets
 *		  (a database owner can put a schema of its own, with an "=" for
 *		  bigint, before pg_catalog).
 *		- Their commits do not wait for the WAL flush (unless
 *		  notify_ext.worker_synchronous_commit): at least once does not
 *		  need a claim or a recorded outcome to be durable at once, since a
 *		  commit lost in a crash only means the event is sent again; and a
 *		  flush per claim and per record slowed the writers down.  The
 *		  commit is still ordered in the WAL before anything that follows.
 */
static void
worker_statement_settings(void)
{
	(void) set_config_option("enable_seqscan", "off", PGC_SUSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("search_path", NOTIFY_SAFE_SEARCH_PATH, PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	(void) set_config_option("jit", "off", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
	if (!notify_ext_worker_synchronous_commit)
		(void) set_config_option("synchronous_commit", "off", PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_LOCAL, true, 0, false);
}

/*
 * read_database_name
 *		run_in_transaction callback: remember this database's name.
 */
static void
read_database_name(void *arg)
{
	strlcpy(database_name, get_database_name(MyDatabaseId), NAMEDATALEN);
}

/*
 * worker_connect
 *		At the start of a run_in_transaction callback: set the worker's
 *		planner settings and connect to SPI.  Returns false, with
 *		extension_gone set and no SPI connection, when the extension is
 *		not installed.  ERRORs when SPI_connect fails.
 */
static bool
worker_connect(void)
{
	worker_statement_settings();
	if (!OidIsValid(notify_catalog()->schema))
	{
		extension_gone = true;
		return false;
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	return true;
}

/*
 * reclaim_transaction
 *		run_in_transaction callback at start-up: return this process's
 *		retrying rows (and 1.0's in_flight rows) to pending (they belong to
 *		a process that is gone).  Sets extension_gone instead when the
 *		extension is not installed.
 */
static void
reclaim_transaction(void *arg)
{
	uint64		n;

	if (!worker_connect())
		return;

	/*
	 * Objects without the lane column (before ALTER EXTENSION UPDATE): no
	 * process claims, so every row in flight is a gone process's
	 */
	n = outbox_reclaim(delivery_process, notify_ext_delivery_processes,
					   delivery_objects_current());
	if (n > 0)
		ereport(LOG,
				(errmsg("notify_ext worker took back " UINT64_FORMAT " events a previous worker held", n)));
	SPI_finish();
}

/*
 * sync_transaction
 *		run_in_transaction callback (arg: SyncWork): record the queued
 *		outcomes, look at the delivery site (delivery_paused), claim up to
 *		claim_limit rows into their lanes unless paused, and purge when
 *		asked.  Sets extension_gone instead when the extension is not
 *		installed.  ERRORs on SPI failure (nothing is then kept).
 */
static void
sync_transaction(void *arg)
{
	SyncWork   *work = arg;
	List	   *rows;
	ListCell   *lc;

	lanes_new_transaction();
	if (!worker_connect())
		return;

	/*
	 * The outbox before notify.delivery_site, in the order DROP EXTENSION
	 * locks them, so that the two never deadlock
	 */
	LockRelationOid(notify_catalog()->outbox, RowExclusiveLock);
	outbox_record(outcomes);

	/*
	 * Definitions changed or events were taken away (the catalog generation
	 * moved): drop what is no longer ours, follow updated actions
	 */
	if (notify_catalog_generation() != held_generation)
	{
		MemoryContext old = MemoryContextSwitchTo(event_context);

		lanes_revalidate();
		MemoryContextSwitchTo(old);
		held_generation = notify_catalog_generation();
	}
	lanes_refresh_stale();
	/* a restored or copied database, or a pause: claim nothing */
	delivery_paused = delivery_site_paused(database_name);
	if (work->claim_limit > 0 && !delivery_paused)
	{
		/* claimed rows live as long as their events */
		MemoryContext old = MemoryContextSwitchTo(event_context);
		int64	   *held = NULL;
		int			nheld = 0;

		/*
		 * Looking below the highest id read (from the start, or going on
		 * above a read from the start that came back full): leave out
		 * what is held already, or it would be read and sent again
		 */
		if (claim_hint < read_max)
			held = lanes_held_ids(claim_hint, &nheld);
		rows = outbox_claim(work->claim_limit, claim_hint, delivery_process,
							notify_ext_delivery_processes, held, nheld);
		if (held != NULL)
			pfree(held);
		foreach(lc, rows)
			event_enqueue((OutboxRow *) lfirst(lc));
		work->claimed = list_length(rows);
		list_free(rows);
		MemoryContextSwitchTo(old);
	}
	if (work->purge)
		(void) outbox_purge();
	SPI_finish();
}

/*
 * expiry_transaction
 *		run_in_transaction callback (arg: ExpiryWork): write the expire and
 *		effective lock events of the deletion locks due by now and learn the
 *		next expiry.  Sets extension_gone instead when the extension is not
 *		installed.  ERRORs on SPI failure (nothing is then kept).
 */
static void
expiry_transaction(void *arg)
{
	ExpiryWork *work = arg;

	if (!worker_connect())
		return;
	/* objects older than the library have no lock expiry: nothing to do */
	if (delivery_objects_current())
		(void) deletion_lock_expire_due(work->now, &work->next);
	SPI_finish();
}

/* ----------------------------------------------------------------
 *		attach, leave
 * ----------------------------------------------------------------
 */

/*
 * worker_shmem_exit
 *		on_shmem_exit callback: give up this worker's claim on its slot.
 */
static void
worker_shmem_exit(int code, Datum arg)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	if (slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->latch = NULL;
	}
	LWLockRelease(notify_shared->lock);
}

/*
 * worker_attach
 *		Take this worker's slot (pid and latch, so that captures can wake
 *		it); exit when another worker already serves the database.
 */
static void
worker_attach(void)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];
	bool		taken = false;

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	if (slot->pid != 0 && slot->pid != MyProcPid)
		taken = true;
	else
	{
		slot->pid = MyProcPid;
		slot->latch = MyLatch;
		slot->started = GetCurrentTimestamp();
	}
	LWLockRelease(notify_shared->lock);
	if (taken)
	{
		ereport(LOG,
				(errmsg("notify_ext worker for this database is already running")));
		proc_exit(0);
	}
	on_shmem_exit(worker_shmem_exit, (Datum) 0);
}

/*
 * worker_leave
 *		The extension is not (or no longer) installed, or the database is no
 *		longer served: drop every attempt and exit, asking the launcher to
 *		leave the database alone for IDLE_HOLD_PERIODS periods.
 */
static void
worker_leave(void)
{
	NotifyDbSlot *slot = &notify_shared->slots[slotno];

	LWLockAcquire(notify_shared->lock, LW_EXCLUSIVE);
	slot->hold_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
												   (int64) notify_ext_launcher_naptime * IDLE_HOLD_PERIODS);
	LWLockRelease(notify_shared->lock);
	dispatch_abort_all();
	proc_exit(0);
}

/* ----------------------------------------------------------------
 *		the loop's steps
 * ----------------------------------------------------------------
 */

/*
 * worker_start
 *		Connect, take the slot, set up lanes and transports, then take back
 *		the rows a previous worker left in flight (retried every second
 *		until it works; leaves when the extension is not installed).
 */
static void
worker_start(Datum main_arg)
{
	slotno = DatumGetInt32(main_arg);
	delivery_process = notify_shared->slots[slotno].process;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(notify_shared->slots[slotno].dboid,
											  InvalidOid, 0);
	pgstat_report_appname("notify_ext worker");
	worker_attach();

	if (!run_in_transaction(read_database_name, NULL, NULL, NULL))
		proc_exit(1);
	lanes_init();
	endpoints_init(slotno);
	dispatch_init();

	while (!run_in_transaction(reclaim_transaction, NULL, "notify_ext delivery", NULL))
	{
		if (extension_gone)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000, NOTIFY_WAIT_EVENT);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}
	if (extension_gone)
		worker_leave();
	ereport(LOG, (errmsg("notify_ext worker started")));
}

/*
 * begin_pass
 *		Start a pass of the loop: free the previous pass's memory (the loop
 *		context), serve interrupts, exit when the postmaster is gone (running
 *		transfers keep the loop off WaitLatch, which would notice).
 */
static void
begin_pass(MemoryContext loop_context)
{
	MemoryContextSwitchTo(TopMemoryContext);
	MemoryContextReset(loop_context);
	MemoryContextSwitchTo(loop_context);
	CHECK_FOR_INTERRUPTS();
	if (!PostmasterIsAlive())
		proc_exit(1);
}

/*
 * apply_reload
 *		After SIGHUP: read the configuration, hand it to the transports,
 *		purge and look at the delivery site again soon; leave when this
 *		database is no longer in notify_ext.databases (in-flight rows are
 *		taken back by the next worker).
 */
static void
apply_reload(void)
{
	if (!ConfigReloadPending)
		return;
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	dispatch_configure();
	next_purge = 0;				/* retention may have changed */
	claim_more = true;			/* and look at the delivery site again */
	if (!launcher_database_configured(database_name))
	{
		ereport(LOG,
				(errmsg("notify_ext worker stops: database \"%s\" is no longer in notify_ext.databases",
						database_name)));
		worker_leave();
	}
}

/*
 * note_wakeups
 *		A set latch (a capture committed) or the naptime backstop means rows
 *		may be pending: set claim_more; so does a claim from the start that
 *		is due (LATE_RESCAN_MS), which also resets claim_hint.
 */
static void
note_wakeups(TimestampTz now)
{
	if (MyLatch->is_set)
	{
		ResetLatch(MyLatch);
		claim_more = true;
	}
	if (now >= next_timer)
	{
		claim_more = true;
		next_timer = TimestampTzPlusMilliseconds(now, notify_ext_naptime);
	}
	if (full_claim_due != 0 && now >= full_claim_due)
	{
		claim_hint = 0;
		claim_more = true;
	}
}

/*
 * claim_wanted
 *		Claim when rows may be pending and there is room for a whole batch
 *		(or for anything at all while the buffer is small), so that a full
 *		buffer is refilled in batches rather than a few rows per pass;
 *		under a steady stream, not within CLAIM_INTERVAL_MS of a short claim.
 *		While paused, the claim transaction looks at the delivery site.
 */
static bool
claim_wanted(TimestampTz now)
{
	if (claim_more && !delivery_paused && dispatch_inflight() > 0 &&
		short_claim_rows >= CLAIM_STREAM_ROWS &&
		!TimestampDifferenceExceeds(short_claim_at, now, CLAIM_INTERVAL_MS))
		return false;
	return claim_more &&
		(delivery_paused ||
		 notify_ext_max_buffered - buffered >=
		 Min(notify_ext_batch_size, notify_ext_max_buffered / 2));
}

/*
 * sync_outbox
 *		Run a recording transaction when one is due: outcomes to record
 *		(many gathered, nothing in flight, or the oldest waited
 *		RECORD_DELAY_MS), rows to claim (want_claim) or retention to apply.
 *		On success forgets the recorded outcomes and decides whether to
 *		claim again at once.  Leaves when the extension is gone.  Returns
 *		false after a failed transaction (reported; outcomes kept) and a
 *		one-second pause: the caller starts the pass again.
 */
static bool
sync_outbox(bool want_claim, TimestampTz now)
{
	SyncWork	work;
	bool		record_due;

	/* retention is a once-per-database duty: process 0's */
	work.purge = (delivery_process == 0 && now >= next_purge);
	record_due = outcomes != NIL &&
		(list_length(outcomes) >= notify_ext_batch_size ||
		 dispatch_inflight() == 0 ||
		 TimestampDifferenceExceeds(outcomes_since, now, RECORD_DELAY_MS));
	if (!record_due && !want_claim && !work.purge)
		return true;

	work.claim_limit = want_claim ?
		Min(notify_ext_batch_size, notify_ext_max_buffered - buffered) : 0;
	work.claimed = 0;
	work.from_start = (claim_hint == 0);
	if (!run_in_transaction(sync_transaction, &work, "notify_ext delivery", NULL))
	{
		if (extension_gone)
			worker_leave();
		(void) WaitLatch(MyLatch, WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 1000, NOTIFY_WAIT_EVENT);
		return false;
	}

	outcomes_forget();
	claim_more = (work.claim_limit > 0 && work.claimed == work.claim_limit);
	if (work.claim_limit > 0 && work.claimed < work.claim_limit)
	{
		short_claim_at = now;
		short_claim_rows = work.claimed;
		claim_hint = Max(claim_hint - LATE_LOOKBACK_IDS, 0);
	}
	/* a short claim: look from the start within LATE_RESCAN_MS (late commits) */
	if (work.claim_limit > 0 && work.from_start)
	{
		last_full_claim = now;
		full_claim_due = 0;
	}
	else if (work.claim_limit > 0 && work.claimed < work.claim_limit &&
			 full_claim_due == 0)
		full_claim_due = TimestampTzPlusMilliseconds(last_full_claim,
													 (int64) LATE_RESCAN_MS *
													 (1 + buffered / LATE_RESCAN_ROWS));
	if (work.purge)
	{
		int64		interval = (int64) Min(notify_ext_retention_delivered,
										   notify_ext_retention_failed) * 100;

		interval = Max(PURGE_MIN_MS, Min(PURGE_MAX_MS, interval));
		next_purge = TimestampTzPlusMilliseconds(now, interval);
	}
	if (extension_gone)
		worker_leave();
	return true;
}

/*
 * expire_locks
 *		Step 4: when the nearest deletion-lock expiry has come (or a commit
 *		changed expiries, or at start), run a lock expiry transaction and set
 *		the timer to the next expiry.  Shortens *sleep_ms so that the loop
 *		wakes at it: the timer's resolution is the latch wait's, a
 *		millisecond, plus the length of a loop pass.  Leaves when the
 *		extension is gone.
 */
static void
expire_locks(long *sleep_ms)
{
	TimestampTz now = GetCurrentTimestamp();
	ExpiryWork	work;
	long		secs;
	int			usecs;

	/* lock expiry is a once-per-database duty: process 0's */
	if (delivery_process != 0)
		return;
	if (notify_timers_changed_take(slotno))
		next_expiry = 0;
	if (next_expiry == 0 || now >= next_expiry)
	{
		work.now = now;
		work.next = 0;
		if (!run_in_transaction(expiry_transaction, &work, "notify_ext lock expiry", NULL))
		{
			if (extension_gone)
				worker_leave();
			next_expiry = TimestampTzPlusMilliseconds(now, EXPIRY_FAILED_MS);
		}
		else if (work.next == 0)
			next_expiry = DT_NOEND;
		else
			next_expiry = Max(work.next,
							  TimestampTzPlusMilliseconds(now, EXPIRY_RETRY_MS));
		if (extension_gone)
			worker_leave();
	}
	if (next_expiry == DT_NOEND)
		return;
	TimestampDifference(GetCurrentTimestamp(), next_expiry, &secs, &usecs);
	*sleep_ms = Min(*sleep_ms, secs * 1000 + (usecs + 999) / 1000);
}

/*
 * wait_for_work
 *		Sleep on the latch for at most sleep_ms (at least 1 ms); a set latch
 *		means rows may be pending.
 */
static void
wait_for_work(long sleep_ms)
{
	int			rc;

	rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
				   Max(sleep_ms, 1), NOTIFY_WAIT_EVENT);
	if (rc & WL_LATCH_SET)
	{
		ResetLatch(MyLatch);
		claim_more = true;
	}
}

/*
 * notify_ext_worker_main
 *		Entry point of a per-database delivery worker; main_arg is its slot.
 *
 * The loop: free the last pass, apply a reload, note wake-ups, record and
 * claim in a short transaction, expire deletion locks whose time has
 * come, move lanes whose retry is due, start lane
 * heads, then drive the transports while attempts run or sleep until
 * woken or until the next retry is due.
 */
void
notify_ext_worker_main(Datum main_arg)
{
	MemoryContext loop_context;

	worker_start(main_arg);
	loop_context = AllocSetContextCreate(TopMemoryContext, "notify_ext worker loop",
										 ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		long		sleep_ms = notify_ext_naptime;
		TimestampTz now;
		bool		want_claim;

		begin_pass(loop_context);
		apply_reload();
		now = GetCurrentTimestamp();
		note_wakeups(now);
		want_claim = claim_wanted(now);
		if (!sync_outbox(want_claim, now))
			continue;
		expire_locks(&sleep_ms);
		if (full_claim_due != 0)
			sleep_ms = Min(sleep_ms,
						   TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
														   full_claim_due) + 1);
		lanes_promote_waiting(GetCurrentTimestamp(), &sleep_ms);
		endpoints_promote(GetCurrentTimestamp(), &sleep_ms);
		if (!delivery_paused)
			dispatch_start();

		if (dispatch_inflight() > 0)
			dispatch_drive(POLL_SLICE_MS);
		else if (outcomes == NIL && !want_claim &&
				 (delivery_paused || dlist_is_empty(&ready_lanes)))
			wait_for_work(sleep_ms);
	}
}
