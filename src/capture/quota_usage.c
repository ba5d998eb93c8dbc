/*-------------------------------------------------------------------------
 *
 * quota_usage.c
 *	  The usage of the quota rules as this transaction changes it: a
 *	  per-transaction summary, written back once at commit.
 *
 * The first item or file change of a transaction, when rules exist, locks
 * every row of notify.quota_usage (in rule order, FOR UPDATE) and reads
 * them.  From then on the transaction owns the usage of every rule: each
 * row change is added in memory, where a crossing (usage going over a
 * rule's limits) is seen exactly and its warning written at once; the
 * rows are written back once, just before commit (or PREPARE).  A writer
 * in another transaction waits at its own first change until this one
 * commits, then reads the usage this one wrote: so concurrent writers
 * cross a limit once, and a batch of rows costs one UPDATE per rule, not
 * one per row.  A rule created meanwhile by another transaction counts its
 * usage with the item and file tables locked in SHARE mode, which waits
 * for this transaction too.
 *
 * Subtransactions: before a subtransaction first changes a rule, the
 * rule's state is saved; its abort restores it (and forgets everything
 * when the rows were locked in it: its row locks are gone too), its commit
 * hands the saved state to the parent.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/quota_usage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "capture/capture_internal.h"

/* The state of a rule that a subtransaction may have to restore */
typedef struct QuotaState
{
	bool		present;		/* false: created later, or deleted */
	bool		dirty;			/* differs from its row */
	bool		exceeded;
	int64		items;
	int64		bytes;
	bool		has_item_limit;
	bool		has_storage_limit;
	int64		item_limit;
	int64		storage_limit;
} QuotaState;

typedef struct QuotaSaved
{
	int			level;			/* nest level whose abort restores it */
	QuotaState	state;
} QuotaSaved;

typedef struct QuotaRuleUsage
{
	Oid			relid;
	char	   *rule_id;
	QuotaState	cur;
	List	   *saved;			/* QuotaSaved, innermost first */
} QuotaRuleUsage;

static bool loaded = false;
static int	load_level = 0;
static List *rules = NIL;		/* QuotaRuleUsage, in rule order */
static bool callbacks_registered = false;
static SPIPlanPtr load_plan = NULL;
static SPIPlanPtr store_plan = NULL;

/* Is usage over limits? */
static bool
state_over(const QuotaState *s)
{
	return (s->has_item_limit && s->items > s->item_limit) ||
		(s->has_storage_limit && s->bytes > s->storage_limit);
}

/* Forget everything (end of transaction, or abort of the loading level) */
static void
forget(void)
{
	loaded = false;
	rules = NIL;				/* its memory is TopTransactionContext's */
}

/* Save r's state for the current level before its first change there */
static void
save_state(QuotaRuleUsage *r)
{
	int			level = GetCurrentTransactionNestLevel();
	QuotaSaved *top = r->saved ? linitial(r->saved) : NULL;
	MemoryContext old;

	if (top != NULL && top->level >= level)
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	top = palloc(sizeof(QuotaSaved));
	top->level = level;
	top->state = r->cur;
	r->saved = lcons(top, r->saved);
	MemoryContextSwitchTo(old);
}

/*
 * Write the changed rows back (as the owner).  Called where nothing can be
 * rolled back partly any more: at top level before commit or prepare.
 */
static void
store(void)
{
	ListCell   *lc;
	CaptureSpi	spi;
	bool		connected = false;

	foreach(lc, rules)
	{
		QuotaRuleUsage *r = lfirst(lc);
		const char *args[5];

		if (!r->cur.present || !r->cur.dirty)
			continue;
		if (!connected)
		{
			/* at commit there is no statement: give the UPDATE a snapshot */
			PushActiveSnapshot(GetTransactionSnapshot());
			capture_spi_begin(&spi);
			connected = true;
		}
		args[0] = psprintf("%u", r->relid);
		args[1] = r->rule_id;
		args[2] = psprintf(INT64_FORMAT, r->cur.items);
		args[3] = psprintf(INT64_FORMAT, r->cur.bytes);
		args[4] = r->cur.exceeded ? "true" : "false";
		capture_spi_run(&store_plan,
						"UPDATE notify.quota_usage SET item_usage = $3::bigint, "
						"storage_usage = $4::bigint, exceeded = $5::boolean "
						"WHERE rule_relid = $1::oid::regclass AND rule_id = $2",
						5, args);
		r->cur.dirty = false;
	}
	if (connected)
	{
		capture_spi_end(&spi);
		PopActiveSnapshot();
	}
}

/*
 * XactCallback: write back before commit or prepare; forget at the end.
 */
static void
quota_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			if (loaded)
				store();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PARALLEL_ABORT:
			forget();
			break;
		default:
			break;
	}
}

/*
 * SubXactCallback: an abort restores the states saved for the level (or
 * forgets everything when the rows were locked at that level); a commit
 * hands them to the parent.
 */
static void
quota_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	if (!loaded)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		if (load_level >= level)
		{
			forget();
			return;
		}
		foreach(lc, rules)
		{
			QuotaRuleUsage *r = lfirst(lc);
			QuotaSaved *top = r->saved ? linitial(r->saved) : NULL;

			if (top != NULL && top->level >= level)
			{
				r->cur = top->state;
				r->saved = list_delete_first(r->saved);
			}
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		if (load_level >= level)
			load_level = level - 1;
		foreach(lc, rules)
		{
			QuotaRuleUsage *r = lfirst(lc);
			QuotaSaved *top = r->saved ? linitial(r->saved) : NULL;
			QuotaSaved *next = list_length(r->saved) > 1 ? lsecond(r->saved) : NULL;

			if (top == NULL || top->level < level)
				continue;
			if (next != NULL && next->level >= level - 1)
				r->saved = list_delete_first(r->saved);
			else
				top->level = level - 1;
		}
	}
}

/* Text of an int8 column of the current SPI row, and whether it is NULL */
static int64
spi_int8(HeapTuple tup, TupleDesc desc, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(tup, desc, col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

/* Lock and read every rule's usage row */
static void
load(void)
{
	CaptureSpi	spi;
	MemoryContext old;
	uint64		i;

	if (!callbacks_registered)
	{
		RegisterXactCallback(quota_xact_callback, NULL);
		RegisterSubXactCallback(quota_subxact_callback, NULL);
		callbacks_registered = true;
	}
	capture_spi_begin(&spi);
	capture_spi_run(&load_plan,
					"SELECT rule_relid::oid, rule_id, item_limit, storage_limit, "
					"item_usage, storage_usage, exceeded FROM notify.quota_usage "
					"ORDER BY rule_relid, rule_id FOR UPDATE",
					0, NULL);
	old = MemoryContextSwitchTo(TopTransactionContext);
	rules = NIL;
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		QuotaRuleUsage *r = palloc0(sizeof(QuotaRuleUsage));
		bool		isnull;

		r->relid = DatumGetObjectId(SPI_getbinval(tup, desc, 1, &isnull));
		r->rule_id = SPI_getvalue(tup, desc, 2);
		r->cur.present = true;
		r->cur.item_limit = spi_int8(tup, desc, 3, &isnull);
		r->cur.has_item_limit = !isnull;
		r->cur.storage_limit = spi_int8(tup, desc, 4, &isnull);
		r->cur.has_storage_limit = !isnull;
		r->cur.items = spi_int8(tup, desc, 5, &isnull);
		r->cur.bytes = spi_int8(tup, desc, 6, &isnull);
		r->cur.exceeded = DatumGetBool(SPI_getbinval(tup, desc, 7, &isnull));
		rules = lappend(rules, r);
	}
	MemoryContextSwitchTo(old);
	capture_spi_end(&spi);
	loaded = true;
	load_level = GetCurrentTransactionNestLevel();
}

/* The cached rule (relid, rule_id), or NULL */
static QuotaRuleUsage *
find_rule(Oid relid, const char *rule_id)
{
	ListCell   *lc;

	foreach(lc, rules)
	{
		QuotaRuleUsage *r = lfirst(lc);

		if (r->relid == relid && strcmp(r->rule_id, rule_id) == 0)
			return r;
	}
	return NULL;
}

/*
 * quota_usage_add
 *		Add items and bytes to the usage of every rule (locking and reading
 *		the rules first in this transaction).  Returns the rules that this
 *		change took over their limits (QuotaUsage, palloc'd).
 */
List *
quota_usage_add(int64 items, int64 bytes)
{
	ListCell   *lc;
	List	   *crossed = NIL;

	if (!loaded)
		load();
	foreach(lc, rules)
	{
		QuotaRuleUsage *r = lfirst(lc);
		bool		over;

		if (!r->cur.present)
			continue;
		save_state(r);
		r->cur.items += items;
		r->cur.bytes += bytes;
		r->cur.dirty = true;
		over = state_over(&r->cur);
		if (over && !r->cur.exceeded)
		{
			QuotaUsage *u = palloc(sizeof(QuotaUsage));

			u->rule_id = r->rule_id;
			u->item_limit = r->cur.has_item_limit ?
				psprintf(INT64_FORMAT, r->cur.item_limit) : NULL;
			u->storage_limit = r->cur.has_storage_limit ?
				psprintf(INT64_FORMAT, r->cur.storage_limit) : NULL;
			u->items = r->cur.items;
			u->bytes = r->cur.bytes;
			crossed = lappend(crossed, u);
		}
		r->cur.exceeded = over;
	}
	return crossed;
}

/*
 * quota_usage_pending
 *		Is the usage of rules held by this transaction (so the table's rows
 *		may be behind)?
 */
bool
quota_usage_pending(void)
{
	return loaded;
}

/*
 * quota_usage_rule_changed
 *		A rule row changed in this transaction while the usage is held
 *		(quota_usage_pending): insert (the usage counted by
 *		notify.quota_rule_sync, in *items and *bytes), limits changed, or
 *		delete.  Keeps the held state in step.  For an update or delete of
 *		a held rule, sets *items, *bytes to its usage and returns true; for
 *		an update, *crossed says whether the new limits took the rule over
 *		them.  Returns false when the rule is not held.
 */
bool
quota_usage_rule_changed(Oid relid, const char *old_id, const char *new_id,
						 const char *item_limit, const char *storage_limit,
						 int64 *items, int64 *bytes, bool *crossed)
{
	QuotaRuleUsage *r = old_id ? find_rule(relid, old_id) : NULL;
	bool		was_over;
	bool		over;

	if (old_id == NULL)
	{
		/* a new rule: its row has the usage and holds its lock */
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		r = palloc0(sizeof(QuotaRuleUsage));
		r->relid = relid;
		r->rule_id = pstrdup(new_id);
		rules = lappend(rules, r);
		MemoryContextSwitchTo(old);
		save_state(r);			/* not present before */
		r->cur.present = true;
		r->cur.items = *items;
		r->cur.bytes = *bytes;
	}
	else if (r == NULL)
		return false;
	else
		save_state(r);

	*crossed = false;
	*items = r->cur.items;
	*bytes = r->cur.bytes;
	if (new_id == NULL)
	{
		r->cur.present = false;
		return true;
	}
	if (old_id != NULL && strcmp(old_id, new_id) != 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

		r->rule_id = pstrdup(new_id);
		MemoryContextSwitchTo(old);
	}
	r->cur.has_item_limit = item_limit != NULL;
	r->cur.item_limit = item_limit ? strtoi64(item_limit, NULL, 10) : 0;
	r->cur.has_storage_limit = storage_limit != NULL;
	r->cur.storage_limit = storage_limit ? strtoi64(storage_limit, NULL, 10) : 0;
	was_over = r->cur.exceeded;
	over = state_over(&r->cur);
	r->cur.exceeded = over;
	r->cur.dirty = true;
	*crossed = over && !was_over && old_id != NULL;
	return old_id != NULL;
}
