/*-------------------------------------------------------------------------
 *
 * quota.c
 *	  Capture of quota rules (kind "quota") and of quota usage: quota
 *	  create, delete and warning.
 *
 * Each row of a table attached as "quota" is a rule with an item limit and
 * a storage limit (bytes), either NULL for none.  notify.quota_usage keeps
 * one row per rule: its limits, its usage (items: rows of the tables
 * captured as "item"; bytes: sum of the size column of the tables captured
 * as "file") and whether usage exceeds a limit.  A new rule counts the
 * usage once (notify.quota_rule_sync), with those tables locked in SHARE
 * mode; from then on item and file capture add each row's change to the
 * usage held by the transaction (quota_usage.c: the rows locked at the
 * transaction's first change, changed in memory, written back at commit),
 * so two transactions that push a rule over together take turns and only
 * one crosses.  A warning is written when a rule goes from under to over
 * its limits; going back under and over again writes another.
 *
 * With no rule, item and file capture only read a cached flag.
 *
 * Output keys (quota_payload, the one place): ruleId, action, itemLimit,
 * storageLimit (absent when the rule has none), itemUsage, storageUsage.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/quota.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/builtins.h"

#include "capture/capture_internal.h"

static SPIPlanPtr rule_sync_plan = NULL;
static CaptureStateFlag quota_rules = {"quota_usage"};

/*
 * The payload of a quota event: the rule, the "action" verb, its limits
 * and its usage.
 */
static char *
quota_payload(NotifyEvent event, const char *rule_id, const char *item_limit,
			  const char *storage_limit, const char *item_usage,
			  const char *storage_usage)
{
	StringInfoData buf;

	initStringInfo(&buf);
	payload_add(&buf, "ruleId", rule_id);
	payload_add(&buf, "action", capture_events[event].verb);
	if (item_limit)
		payload_add(&buf, "itemLimit", item_limit);
	if (storage_limit)
		payload_add(&buf, "storageLimit", storage_limit);
	payload_add(&buf, "itemUsage", item_usage);
	payload_add(&buf, "storageUsage", storage_usage);
	return payload_finish(&buf);
}

/* Write event to the outbox for every matching quota notification */
static void
quota_emit(const CaptureRow *row, NotifyEvent event, const char *rule_id,
		   const char *item_limit, const char *storage_limit,
		   const char *item_usage, const char *storage_usage)
{
	List	   *matches = definition_cache_match(NR_QUOTA, event_name(event));
	ListCell   *lc;
	char	   *payload = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, rule_id))
			continue;
		if (payload == NULL)
			payload = quota_payload(event, rule_id, item_limit, storage_limit,
									item_usage, storage_usage);
		capture_emit(row, cn, event, rule_id, payload);
	}
}

/* Text of column col of the current SPI result row r (NULL: SQL NULL) */
static char *
spi_text(int r, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, col);
}

/*
 * quota_usage_changed
 *		Item and file capture: items rows and bytes bytes were added
 *		(negative: removed) by row.  Adds them to every rule's usage (held
 *		by this transaction, quota_usage.c) and writes a warning for each
 *		rule that this change took over its limits.  Reads only a cached
 *		flag when there is no rule.
 */
void
quota_usage_changed(const CaptureRow *row, int64 items, int64 bytes)
{
	ListCell   *lc;

	if ((items == 0 && bytes == 0) ||
		(!quota_usage_pending() && !capture_state_any(&quota_rules)))
		return;
	foreach(lc, quota_usage_add(items, bytes))
	{
		QuotaUsage *u = lfirst(lc);

		quota_emit(row, NE_QUOTA_WARNING, u->rule_id, u->item_limit,
				   u->storage_limit, psprintf(INT64_FORMAT, u->items),
				   psprintf(INT64_FORMAT, u->bytes));
	}
}

/*
 * capture_quota
 *		Handler of kind "quota": a rule was created (create, and a warning
 *		if it starts over its limits), changed (a warning if its new limits
 *		put it over) or deleted (delete, with its last usage).
 */
void
capture_quota(const CaptureRow *row)
{
	HeapTuple	newtup = row->is_update ? row->newtuple : row->tuple;
	const char *args[6];
	char	   *item_limit = NULL;
	char	   *storage_limit = NULL;
	char	   *rule_id;
	char	   *item_usage;
	char	   *storage_usage;
	CaptureSpi	spi;

	args[0] = psprintf("%u", row->ct->relid);
	args[1] = row->is_insert ? "insert" : row->is_delete ? "delete" : "update";
	args[2] = row->is_insert ? NULL : capture_role_text(row, row->tuple, CR_ID);
	args[3] = row->is_delete ? NULL : capture_role_text(row, newtup, CR_ID);
	if (!row->is_delete)
	{
		item_limit = capture_role_text(row, newtup, CR_ITEM_LIMIT);
		storage_limit = capture_role_text(row, newtup, CR_STORAGE_LIMIT);
	}
	else
	{
		item_limit = capture_role_text(row, row->tuple, CR_ITEM_LIMIT);
		storage_limit = capture_role_text(row, row->tuple, CR_STORAGE_LIMIT);
	}
	args[4] = item_limit;
	args[5] = storage_limit;
	rule_id = row->is_delete ? (char *) args[2] : (char *) args[3];
	if (rule_id == NULL)
		return;

	capture_spi_begin(&spi);
	capture_spi_run(&rule_sync_plan, "SELECT * FROM notify.quota_rule_sync($1::oid::regclass, $2, $3, $4, $5::bigint, $6::bigint)",
					6, args);
	if (SPI_processed == 1 && spi_text(0, 1) != NULL)
	{
		int64		items = strtoi64(spi_text(0, 1), NULL, 10);
		int64		bytes = strtoi64(spi_text(0, 2), NULL, 10);
		bool		crossed = strcmp(spi_text(0, 3), "t") == 0;
		bool		held_crossed;

		/* this transaction holds the usage: it is the one in memory */
		if (quota_usage_pending() &&
			quota_usage_rule_changed(row->ct->relid, args[2], args[3],
									 item_limit, storage_limit,
									 &items, &bytes, &held_crossed))
			crossed = held_crossed;
		item_usage = psprintf(INT64_FORMAT, items);
		storage_usage = psprintf(INT64_FORMAT, bytes);
		if (row->is_insert)
			quota_emit(row, NE_QUOTA_CREATE, rule_id, item_limit,
					   storage_limit, item_usage, storage_usage);
		else if (row->is_delete)
			quota_emit(row, NE_QUOTA_DELETE, rule_id, item_limit,
					   storage_limit, item_usage, storage_usage);
		if (crossed)
			quota_emit(row, NE_QUOTA_WARNING, rule_id, item_limit,
					   storage_limit, item_usage, storage_usage);
	}
	capture_spi_end(&spi);
	if (!row->is_update)
		capture_state_changed(&quota_rules);
}
