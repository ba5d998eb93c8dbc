/*-------------------------------------------------------------------------
 *
 * emit.c
 *	  From a captured event to outbox rows: match, scope, lane lock,
 *	  outbox write, wake.
 *
 * The matching notifications of an event come from the per-backend
 * definition cache (definition_cache.c): no query per row.  Each match
 * whose entity scope (and, for metadata, filters) pass becomes one outbox
 * row (outbox.c) in this transaction, written directly, not through SQL,
 * so the role whose change is captured needs no privilege on
 * notify.outbox.  The worker is woken at commit; capture never does
 * network I/O.  Synchronous actions are the exception to the outbox: their
 * events are queued in memory for delivery/sync.c, which delivers them in
 * this backend before the transaction commits.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/emit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/sequence.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "storage/lock.h"

#include "bgw/shmem.h"
#include "capture/capture_internal.h"
#include "capture/metadata_filter.h"
#include "capture/sync_queue.h"
#include "outbox/outbox.h"

/*
 * capture_scope_matches
 *		Does notification cn's entity scope let an event of entity_id
 *		through?  No scope lets every entity through.
 */
bool
capture_scope_matches(const CachedNotification *cn, const char *entity_id)
{
	return cn->entity_id == NULL ||
		(entity_id != NULL && strcmp(cn->entity_id, entity_id) == 0);
}

/*
 * capture_matches
 *		The notifications of the definition cache whose trigger is event:
 *		a list of CachedNotification, NIL for none.  event must be one of
 *		the events of the row's kind in the kinds table.
 */
List *
capture_matches(const CaptureRow *row, NotifyEvent event)
{
	Assert(capture_kind_raises(row->ct->kind, event));
	return definition_cache_match(notify_events[event].resource,
								  event_name(event));
}

/*
 * capture_emit
 *		Write one outbox row of event for notification cn and have the
 *		worker woken at commit; a synchronous action's event is queued for
 *		delivery before commit instead (capture/sync_queue.c), with no
 *		outbox row.
 *
 * A row of a strict lane (thread group, endpoint ordering) first takes the
 * lane's transaction-level lock, so that a later writer of the lane gets
 * its outbox id only after this transaction ends: ids follow commit order.
 */
void
capture_emit(const CaptureRow *row, const CachedNotification *cn,
			 NotifyEvent event, const char *entity_id, const char *payload)
{
	int64		lane;

	if (cn->def->action.synchronous)
	{
		capture_sync_add(cn, resource_name(cn->def->resource),
						 event_name(event), entity_id, payload);
		return;
	}
	if (!cn->lane_per_entity)
	{
		LOCKTAG		tag;

		/*
		 * An advisory lock tag of a kind no SQL function makes (they use
		 * field4 1 and 2): no other session can take it to stall writers.
		 */
		SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, NOTIFY_LANE_LOCK_CLASS,
							 (uint32) cn->lane_lock_key, NOTIFY_LANE_LOCK_KIND);
		(void) LockAcquire(&tag, ExclusiveLock, false, false);
	}
	lane = notify_lane(cn->lane_prefix_hash, cn->lane_per_entity,
					   resource_name(cn->def->resource), entity_id);
	outbox_insert(row->cat->outbox, row->cat->outbox_id_seq, cn->id,
				  resource_name(cn->def->resource),
				  event_name(event), entity_id, payload, lane);
	notify_wake_lane_at_commit(lane);
}

/*
 * capture_emit_simple
 *		Emit a plain event (same payload for every match):
 *		{idkey: [id], action: [verb]} of the event's row of capture_events.
 */
void
capture_emit_simple(const CaptureRow *row, NotifyEvent event, const char *id)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;
	StringInfoData buf;
	char	   *payload = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, id))
			continue;
		if (payload == NULL)
		{
			initStringInfo(&buf);
			payload_add(&buf, capture_events[event].idkey, id);
			payload_add(&buf, "action", capture_events[event].verb);
			payload = payload_finish(&buf);
		}
		capture_emit(row, cn, event, id, payload);
	}
}

/* A new change set id from notify.change_set_id_seq: "VX-<n>" */
static char *
next_change_set_id(const NotifyCatalog *cat)
{
	return psprintf("VX-" INT64_FORMAT, nextval_internal(cat->change_set_seq, false));
}

/*
 * capture_emit_metadata
 *		Emit a metadata modify event of the changes (MetadataValue) of
 *		entity id: every matching notification gets the fields its filters
 *		let through; none pass, no row.
 *
 * change_set_id NULL: a new id is drawn when the first row is written.
 */
void
capture_emit_metadata(const CaptureRow *row, NotifyEvent event,
					  const char *id, const char *change_set_id, List *changes)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;

	if (changes == NIL)
		return;
	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);
		List	   *fields;
		ListCell   *fc;
		StringInfoData buf;

		if (!capture_scope_matches(cn, id))
			continue;
		fields = metadata_filter_apply(&cn->def->trigger, changes);
		if (fields == NIL)
			continue;
		if (change_set_id == NULL)
			change_set_id = next_change_set_id(row->cat);

		initStringInfo(&buf);
		payload_add(&buf, capture_events[event].idkey, id);
		payload_add(&buf, "changeSetId", change_set_id);
		foreach(fc, fields)
		{
			MatchedField *mf = lfirst(fc);

			payload_add_list(&buf, mf->key, mf->values);
		}
		capture_emit(row, cn, event, id, payload_finish(&buf));
	}
}

/* Changed columns of an UPDATE, but the ignored ones, as generic metadata */
static List *
changed_columns(const CaptureRow *row)
{
	TupleDesc	desc = row->desc;
	List	   *changes = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		MetadataValue *mv;
		char	   *value;

		if (att->attisdropped || bms_is_member(att->attnum, row->ct->ignore) ||
			!capture_column_changed(row->tuple, row->newtuple, desc, att->attnum))
			continue;
		mv = palloc0(sizeof(MetadataValue));
		mv->name = pstrdup(NameStr(att->attname));
		value = capture_column_text(row->newtuple, desc, att->attnum);
		mv->values = value ? list_make1(value) : NIL;
		changes = lappend(changes, mv);
	}
	return changes;
}

/*
 * capture_emit_entity
 *		The events of a table of entities (items, collections, storages):
 *		INSERT raises create, DELETE raises delete, UPDATE raises modify of
 *		the changed columns that are not ignored, as generic metadata
 *		fields.  NE_COUNT for modify: an UPDATE raises nothing.
 */
void
capture_emit_entity(const CaptureRow *row, NotifyEvent create,
					NotifyEvent delete, NotifyEvent modify)
{
	if (row->is_insert)
		capture_emit_simple(row, create,
							capture_role_text(row, row->tuple, CR_ID));
	else if (row->is_delete)
		capture_emit_simple(row, delete,
							capture_role_text(row, row->tuple, CR_ID));
	else if (row->is_update && modify != NE_COUNT &&
			 capture_matches(row, modify) != NIL)
		capture_emit_metadata(row, modify,
							  capture_role_text(row, row->newtuple, CR_ID),
							  NULL, changed_columns(row));
}

/*
 * capture_value
 *		A one-value list for a slot of capture_emit_keyed's values: NIL
 *		(key left out) for NULL.
 */
List *
capture_value(const char *value)
{
	return value ? list_make1(unconstify(char *, value)) : NIL;
}

/*
 * capture_keyed_payload
 *		The payload of an event whose output keys are a list of
 *		capture_events: {keys[i]: values[i]}, in the list's order.
 *		values[i] is a list of strings, NIL to leave the key out; the
 *		"type" (the event's element) and "action" (its verb) slots are
 *		filled here.
 */
char *
capture_keyed_payload(NotifyEvent event, List **values)
{
	const CaptureEventInfo *info = &capture_events[event];
	StringInfoData buf;
	int			i;

	Assert(info->keys != NULL);
	initStringInfo(&buf);
	for (i = 0; info->keys[i] != NULL; i++)
	{
		const char *key = info->keys[i];

		if (strcmp(key, "type") == 0)
			payload_add(&buf, key, notify_events[event].element);
		else if (strcmp(key, "action") == 0)
			payload_add(&buf, key, info->verb);
		else if (values[i] != NIL)
			payload_add_list(&buf, key, values[i]);
	}
	return payload_finish(&buf);
}

/*
 * capture_emit_keyed
 *		Emit an event whose output keys are a list of capture_events: every
 *		matching notification whose entity scope lets entity_id through
 *		gets one outbox row with the payload of capture_keyed_payload.
 *		Nothing is built when nothing matches.
 */
void
capture_emit_keyed(const CaptureRow *row, NotifyEvent event,
				   const char *entity_id, List **values)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;
	char	   *payload = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, entity_id))
			continue;
		if (payload == NULL)
			payload = capture_keyed_payload(event, values);
		capture_emit(row, cn, event, entity_id, payload);
	}
}
