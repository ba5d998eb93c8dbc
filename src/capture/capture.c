/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture row trigger: table changes -> trigger events -> outbox.
 *
 * notify.capture() is an AFTER ... FOR EACH ROW trigger.  Its arguments say
 * which kind of asset table it sits on and which column plays which role:
 *
 *	notify.capture('item', 'id=id', 'ignore=created_at', ...)
 *	notify.capture('file', 'id=id', 'storage=storage_id', 'item=item_id',
 *				   'path=path', 'state=state', 'hash=hash', 'ignore=...')
 *
 * Kinds and the events they raise (event names are "<element>.<event>" of
 * the NotificationDocument trigger path):
 *
 *	item				INSERT item.create, DELETE item.delete, UPDATE of
 *						any other column metadata.modify (changed columns
 *						are the changed fields, generic, no language/track)
 *	collection			collection.create / collection.delete /
 *						collection.metadata.modify, likewise
 *	collection-member	INSERT or DELETE collection.modify
 *	storage				storage.create / storage.delete
 *	file				INSERT file.new, DELETE file.delete; UPDATE:
 *						state to CLOSED file.close, to LOST or MISSING
 *						file.lost, hash set or changed file.hash, any other
 *						change file.change
 *	metadata-change-set	INSERT: metadata modify of the item, collection or
 *						document the change set belongs to, with its fields
 *
 * The kinds, their column roles and the events each can raise are the table
 * of capture kinds (kinds.c): the trigger resolves its arguments there and
 * calls the kind's handler.
 *
 * For each event, the matching notifications come from the per-backend
 * definition cache (definition_cache.c): no query per row.  Each match
 * whose entity scope and filters pass becomes one outbox row (outbox.c) in
 * this transaction.  The trigger never does network I/O; delivery belongs
 * to the background worker.
 *
 * The outbox rows are written directly (outbox.c), not through SQL, so the
 * role whose change is captured needs no privilege on notify.outbox.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/capture.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/bitmapset.h"
#include "parser/parse_relation.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "capture/capture_internal.h"
#include "capture/metadata_filter.h"
#include "definition/definition_cache.h"
#include "notify_ext.h"
#include "outbox/outbox.h"
#include "bgw/shmem.h"
#include "common/text_escape.h"

PG_FUNCTION_INFO_V1(notify_ext_capture);

static HTAB *capture_tables = NULL;
static MemoryContext capture_context = NULL;

/* ----------------------------------------------------------------
 *		trigger configuration
 * ----------------------------------------------------------------
 */

/* Forget configurations of a relation whose definition changed */
static void
capture_relcache_cb(Datum arg, Oid relid)
{
	HASH_SEQ_STATUS status;
	CaptureTable *ct;

	if (capture_tables == NULL)
		return;
	hash_seq_init(&status, capture_tables);
	while ((ct = hash_seq_search(&status)) != NULL)
	{
		if (relid == InvalidOid || ct->relid == relid)
			ct->relid = InvalidOid; /* stale: rebuilt on next use */
	}
}

/* Attribute number of column name of rel; ERRORs if there is none */
static AttrNumber
column_attnum(Relation rel, const char *name)
{
	AttrNumber	att = attnameAttNum(rel, name, false);

	if (att != InvalidAttrNumber)
		return att;
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("column \"%s\" named by capture trigger on table \"%s\" does not exist",
					notify_quote_value(name), RelationGetRelationName(rel)),
			 errhint("Attach the table again with notify.attach().")));
	return InvalidAttrNumber;	/* keep compiler quiet */
}

/*
 * capture_args_resolve
 *		Resolve the arguments of capture trigger tgname on rel (the kind,
 *		then "role=column" pairs) against the kinds table into *ct.
 *
 * ct's key is left alone; its ignore set must be empty and is allocated in
 * cxt.  ERRORs on an unknown kind, a malformed argument, an unknown role, a
 * role the kind does not read, a role given twice, a missing column, a
 * column of the wrong type or a required role not given.  Used by the
 * trigger on first use and by notify.capture_check_args() (kinds.c).
 */
void
capture_args_resolve(CaptureTable *ct, Relation rel, const char *tgname,
					 int nargs, char **args, MemoryContext cxt)
{
	const CaptureKindInfo *kind;
	uint32		given = 0;
	int			i;
	MemoryContext old;

	if (nargs < 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("capture trigger \"%s\" on table \"%s\" has too few arguments",
						tgname, RelationGetRelationName(rel)),
				 errhint("Install capture with notify.attach().")));

	kind = capture_kind_lookup(args[0]);
	if (kind == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture trigger \"%s\" names unknown resource \"%s\"",
						tgname, notify_quote_value(args[0]))));
	ct->relid = InvalidOid;
	ct->kind = kind;
	memset(ct->att, 0, sizeof(ct->att));
	Assert(ct->ignore == NULL);

	for (i = 1; i < nargs; i++)
	{
		const char *arg = args[i];
		const char *eq = strchr(arg, '=');
		char	   *rolename;
		int			role;
		AttrNumber	att;

		if (eq == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture trigger argument \"%s\"",
							notify_quote_value(arg)),
					 errdetail("Arguments after the resource have the form role=column.")));
		rolename = pnstrdup(arg, eq - arg);
		att = column_attnum(rel, eq + 1);
		role = capture_role_lookup(rolename);

		if (role < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture trigger argument \"%s\"",
							notify_quote_value(arg)),
					 errdetail("Unknown column role \"%s\".",
							   notify_quote_value(rolename))));
		if ((kind->roles & CR_BIT(role)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture trigger argument \"%s\"",
							notify_quote_value(arg)),
					 errdetail("Resource \"%s\" has no column role \"%s\".",
							   kind->name, capture_role_name(role))));
		if (OidIsValid(capture_role_type(role)) &&
			TupleDescAttr(RelationGetDescr(rel), att - 1)->atttypid != capture_role_type(role))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("%s column of resource \"%s\" must be of type %s",
							capture_role_name(role), kind->name,
							format_type_be(capture_role_type(role)))));

		if (role == CR_IGNORE)
		{
			old = MemoryContextSwitchTo(cxt);
			ct->ignore = bms_add_member(ct->ignore, att);
			MemoryContextSwitchTo(old);
		}
		else if ((given & CR_BIT(role)) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture trigger argument \"%s\"",
							notify_quote_value(arg)),
					 errdetail("Column role \"%s\" is given more than once.",
							   capture_role_name(role))));
		else
			ct->att[role] = att;
		given |= CR_BIT(role);
	}

	for (i = 0; i < CR_COUNT; i++)
	{
		if ((kind->required & CR_BIT(i)) != 0 && (given & CR_BIT(i)) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("capture trigger \"%s\" on table \"%s\" names no %s column",
							tgname, RelationGetRelationName(rel),
							capture_role_name(i))));
	}

	/* the id column is never a metadata field */
	old = MemoryContextSwitchTo(cxt);
	ct->ignore = bms_add_member(ct->ignore, ct->att[CR_ID]);
	MemoryContextSwitchTo(old);
	ct->relid = RelationGetRelid(rel);
}

/*
 * The configuration of the firing trigger, built on first use per backend
 * and again after the table's definition changes.
 */
static CaptureTable *
capture_table_get(TriggerData *td)
{
	Trigger    *tg = td->tg_trigger;
	Oid			tgoid = tg->tgoid;
	CaptureTable *ct;
	bool		found;

	if (capture_tables == NULL)
	{
		HASHCTL		ctl;

		capture_context = AllocSetContextCreate(CacheMemoryContext,
												"notify_ext capture tables",
												ALLOCSET_SMALL_SIZES);
		memset(&ctl, 0, sizeof(ctl));
		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(CaptureTable);
		ctl.hcxt = capture_context;
		capture_tables = hash_create("notify_ext capture tables", 16, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
		CacheRegisterRelcacheCallback(capture_relcache_cb, (Datum) 0);
	}

	ct = hash_search(capture_tables, &tgoid, HASH_ENTER, &found);
	if (!found || ct->relid != RelationGetRelid(td->tg_relation))
	{
		if (found)
			bms_free(ct->ignore);
		ct->relid = InvalidOid;
		ct->ignore = NULL;
		PG_TRY();
		{
			capture_args_resolve(ct, td->tg_relation, tg->tgname,
								 tg->tgnargs, tg->tgargs, capture_context);
		}
		PG_CATCH();
		{
			hash_search(capture_tables, &tgoid, HASH_REMOVE, NULL);
			PG_RE_THROW();
		}
		PG_END_TRY();
	}
	return ct;
}

/* ----------------------------------------------------------------
 *		values
 * ----------------------------------------------------------------
 */

/*
 * capture_column_text
 *		Text form of a column, or NULL for SQL NULL, no such role
 *		(InvalidAttrNumber) or no tuple.
 */
char *
capture_column_text(HeapTuple tuple, TupleDesc desc, AttrNumber att)
{
	Datum		d;
	bool		isnull;
	Oid			typid;

	if (att == InvalidAttrNumber || tuple == NULL)
		return NULL;
	d = heap_getattr(tuple, att, desc, &isnull);
	if (isnull)
		return NULL;
	typid = TupleDescAttr(desc, att - 1)->atttypid;
	if (typid == TEXTOID || typid == VARCHAROID || typid == BPCHAROID)
		return TextDatumGetCString(d);
	return SPI_getvalue(tuple, desc, att);
}

/*
 * capture_column_changed
 *		Does the column differ between the old and the new row?
 */
bool
capture_column_changed(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc,
					   AttrNumber att)
{
	Form_pg_attribute a = TupleDescAttr(desc, att - 1);
	bool		oldnull,
				newnull;
	Datum		o = heap_getattr(oldtup, att, desc, &oldnull);
	Datum		n = heap_getattr(newtup, att, desc, &newnull);

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datumIsEqual(o, n, a->attbyval, a->attlen);
}

/*
 * capture_role_text
 *		Text of the column of role in tuple (a row of the change), or NULL
 *		as capture_column_text.
 */
char *
capture_role_text(const CaptureRow *row, HeapTuple tuple, CaptureRole role)
{
	Assert(role != CR_IGNORE);
	return capture_column_text(tuple, row->desc, row->ct->att[role]);
}

/* ----------------------------------------------------------------
 *		payloads
 *
 * A payload is the event's multi-map as a JSON object with one array of
 * strings per key, keys in output order: {"itemId":["VX-1"],"action":[...]}.
 * ----------------------------------------------------------------
 */

/* Open key's array: the caller appends its values and the closing "]" */
static void
payload_key(StringInfo buf, const char *key)
{
	appendStringInfoChar(buf, buf->len == 0 ? '{' : ',');
	escape_json(buf, key);
	appendStringInfoString(buf, ":[");
}

/*
 * payload_add
 *		Add key with one value; a NULL value gives the key no value.
 */
void
payload_add(StringInfo buf, const char *key, const char *value)
{
	payload_key(buf, key);
	if (value)
		escape_json(buf, value);
	appendStringInfoChar(buf, ']');
}

/*
 * payload_add_list
 *		Add key with a list of values (char *), in order.
 */
void
payload_add_list(StringInfo buf, const char *key, List *values)
{
	ListCell   *lc;

	payload_key(buf, key);
	foreach(lc, values)
	{
		if (lc != list_head(values))
			appendStringInfoChar(buf, ',');
		escape_json(buf, (const char *) lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

/*
 * payload_finish
 *		Close the object ("{}" if no key was added) and return its text.
 */
char *
payload_finish(StringInfo buf)
{
	appendStringInfoChar(buf, buf->len == 0 ? '{' : '}');
	if (buf->len == 1)
		appendStringInfoChar(buf, '}');
	return buf->data;
}

/* ----------------------------------------------------------------
 *		emitting
 * ----------------------------------------------------------------
 */

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
capture_matches(const CaptureRow *row, CaptureEvent event)
{
	Assert(capture_kind_raises(row->ct->kind, event));
	return definition_cache_match(capture_events[event].resource,
								  capture_events[event].name);
}

/*
 * capture_emit
 *		Write one outbox row of event for notification cn and have the
 *		worker woken at commit.
 *
 * A row of a strict lane (thread group, endpoint ordering) first takes the
 * lane's transaction-level lock, so that a later writer of the lane gets
 * its outbox id only after this transaction ends: ids follow commit order.
 */
void
capture_emit(const CaptureRow *row, const CachedNotification *cn,
			 CaptureEvent event, const char *entity_id, const char *payload)
{
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
	outbox_insert(row->cat->outbox, row->cat->outbox_id_seq, cn->id,
				  resource_name(cn->def->resource),
				  capture_events[event].name, entity_id, payload);
	notify_wake_at_commit();
}

/*
 * capture_emit_simple
 *		Emit a plain event (same payload for every match):
 *		{idkey: [id], action: [verb]} of the event's row of capture_events.
 */
void
capture_emit_simple(const CaptureRow *row, CaptureEvent event, const char *id)
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
capture_emit_metadata(const CaptureRow *row, CaptureEvent event,
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
 *		fields.  CE_COUNT for modify: an UPDATE raises nothing.
 */
void
capture_emit_entity(const CaptureRow *row, CaptureEvent create,
					CaptureEvent delete, CaptureEvent modify)
{
	if (row->is_insert)
		capture_emit_simple(row, create,
							capture_role_text(row, row->tuple, CR_ID));
	else if (row->is_delete)
		capture_emit_simple(row, delete,
							capture_role_text(row, row->tuple, CR_ID));
	else if (row->is_update && modify != CE_COUNT &&
			 capture_matches(row, modify) != NIL)
		capture_emit_metadata(row, modify,
							  capture_role_text(row, row->newtuple, CR_ID),
							  NULL, changed_columns(row));
}

/* ----------------------------------------------------------------
 *		items
 * ----------------------------------------------------------------
 */

/*
 * capture_item
 *		Handler of kind item: item.create, item.delete, and metadata.modify
 *		of an UPDATE's changed columns (generic fields, no language or
 *		track).
 */
void
capture_item(const CaptureRow *row)
{
	capture_emit_entity(row, CE_ITEM_CREATE, CE_ITEM_DELETE,
						CE_ITEM_METADATA_MODIFY);
}

/* ----------------------------------------------------------------
 *		collections
 * ----------------------------------------------------------------
 */

/*
 * capture_collection
 *		Handler of kind collection: collection.create, collection.delete,
 *		and collection.metadata.modify of an UPDATE's changed columns.
 */
void
capture_collection(const CaptureRow *row)
{
	capture_emit_entity(row, CE_COLLECTION_CREATE, CE_COLLECTION_DELETE,
						CE_COLLECTION_METADATA_MODIFY);
}

/*
 * capture_collection_member
 *		Handler of kind collection-member (a row says an entity belongs to
 *		a collection): INSERT or DELETE raises collection.modify of the
 *		collection, {type, action, collectionId}.  UPDATE raises nothing.
 */
void
capture_collection_member(const CaptureRow *row)
{
	List	   *matches;
	ListCell   *lc;
	char	   *id;
	char	   *payload = NULL;

	if (!row->is_insert && !row->is_delete)
		return;
	matches = capture_matches(row, CE_COLLECTION_MODIFY);
	id = capture_role_text(row, row->tuple, CR_ID);
	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!capture_scope_matches(cn, id))
			continue;
		if (payload == NULL)
		{
			StringInfoData buf;

			initStringInfo(&buf);
			payload_add(&buf, "type", "collection");
			payload_add(&buf, "action", capture_events[CE_COLLECTION_MODIFY].verb);
			payload_add(&buf, capture_events[CE_COLLECTION_MODIFY].idkey, id);
			payload = payload_finish(&buf);
		}
		capture_emit(row, cn, CE_COLLECTION_MODIFY, id, payload);
	}
}

/* ----------------------------------------------------------------
 *		storages
 * ----------------------------------------------------------------
 */

/*
 * capture_storage
 *		Handler of kind storage: storage.create, storage.delete; an UPDATE
 *		raises nothing.
 */
void
capture_storage(const CaptureRow *row)
{
	capture_emit_entity(row, CE_STORAGE_CREATE, CE_STORAGE_DELETE, CE_COUNT);
}

/* ----------------------------------------------------------------
 *		files
 * ----------------------------------------------------------------
 */

/*
 * Emit a file event of tuple to the matching notifications whose storage
 * filter lets its storage through: {fileId, action, storageId, path,
 * itemId (only if set)}.
 */
static void
emit_file(const CaptureRow *row, CaptureEvent event, HeapTuple tuple)
{
	List	   *matches = capture_matches(row, event);
	ListCell   *lc;
	char	   *payload = NULL;
	char	   *file_id = NULL;
	char	   *storage_id = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (payload == NULL)
		{
			StringInfoData buf;
			char	   *item_id;

			file_id = capture_role_text(row, tuple, CR_ID);
			storage_id = capture_role_text(row, tuple, CR_STORAGE);
			item_id = capture_role_text(row, tuple, CR_ITEM);
			initStringInfo(&buf);
			payload_add(&buf, capture_events[event].idkey, file_id);
			payload_add(&buf, "action", capture_events[event].verb);
			payload_add(&buf, "storageId", storage_id);
			payload_add(&buf, "path", capture_role_text(row, tuple, CR_PATH));
			if (item_id)
				payload_add(&buf, "itemId", item_id);
			payload = payload_finish(&buf);
		}
		if (cn->def->trigger.file_storage != NULL &&
			(storage_id == NULL || strcmp(cn->def->trigger.file_storage, storage_id) != 0))
			continue;
		capture_emit(row, cn, event, file_id, payload);
	}
}

/*
 * The events of an UPDATE of a file: state to CLOSED file.close, to LOST
 * or MISSING file.lost, any other state file.change; hash set or changed
 * file.hash; any other column not ignored file.change.
 */
static void
capture_file_update(const CaptureRow *row)
{
	const CaptureTable *ct = row->ct;
	TupleDesc	desc = row->desc;
	AttrNumber	state_att = ct->att[CR_STATE];
	AttrNumber	hash_att = ct->att[CR_HASH];
	bool		changed = false;
	bool		closed = false;
	bool		lost = false;
	bool		hashed = false;
	int			i;

	if (state_att != InvalidAttrNumber &&
		capture_column_changed(row->tuple, row->newtuple, desc, state_att))
	{
		char	   *state = capture_column_text(row->newtuple, desc, state_att);

		if (state && strcmp(state, "CLOSED") == 0)
			closed = true;
		else if (state && (strcmp(state, "LOST") == 0 || strcmp(state, "MISSING") == 0))
			lost = true;
		else
			changed = true;
	}
	if (hash_att != InvalidAttrNumber &&
		capture_column_changed(row->tuple, row->newtuple, desc, hash_att) &&
		capture_column_text(row->newtuple, desc, hash_att) != NULL)
		hashed = true;

	for (i = 0; i < desc->natts && !changed; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attnum == state_att ||
			att->attnum == hash_att || bms_is_member(att->attnum, ct->ignore))
			continue;
		if (capture_column_changed(row->tuple, row->newtuple, desc, att->attnum))
			changed = true;
	}

	if (changed)
		emit_file(row, CE_FILE_CHANGE, row->newtuple);
	if (closed)
		emit_file(row, CE_FILE_CLOSE, row->newtuple);
	if (lost)
		emit_file(row, CE_FILE_LOST, row->newtuple);
	if (hashed)
		emit_file(row, CE_FILE_HASH, row->newtuple);
}

/*
 * capture_file
 *		Handler of kind file: INSERT file.new, DELETE file.delete, UPDATE
 *		as capture_file_update.
 */
void
capture_file(const CaptureRow *row)
{
	if (row->is_insert)
		emit_file(row, CE_FILE_NEW, row->tuple);
	else if (row->is_delete)
		emit_file(row, CE_FILE_DELETE, row->tuple);
	else if (row->is_update)
		capture_file_update(row);
}

/* ----------------------------------------------------------------
 *		metadata change sets
 * ----------------------------------------------------------------
 */

static char *
jsonb_scalar_text(JsonbValue *v, const char *what)
{
	switch (v->type)
	{
		case jbvString:
			return pnstrdup(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			return DatumGetCString(DirectFunctionCall1(numeric_out,
													   NumericGetDatum(v->val.numeric)));
		case jbvBool:
			return pstrdup(v->val.boolean ? "true" : "false");
		case jbvNull:
			return NULL;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid metadata change set: \"%s\" must be a string", what)));
	}
	return NULL;				/* keep compiler quiet */
}

static char *
field_member(JsonbContainer *obj, const char *key, JsonbValue *buf)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), buf);

	return v ? jsonb_scalar_text(v, key) : NULL;
}

static double
span_bound(JsonbContainer *obj, const char *key, double dflt)
{
	JsonbValue	buf;
	char	   *s = field_member(obj, key, &buf);
	char	   *end;
	double		d;

	if (s == NULL)
		return dflt;
	if (strcmp(s, "-INF") == 0)
		return -get_float8_infinity();
	if (strcmp(s, "+INF") == 0 || strcmp(s, "INF") == 0)
		return get_float8_infinity();
	d = strtod(s, &end);
	if (end == s || *end != '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metadata change set: \"%s\" is not a time: \"%s\"",
						key, notify_quote_value(s))));
	return d;
}

/*
 * Parse the fields of a change set: a JSON array of objects
 * {"name", "value" (scalar or array), "path", "language", "track",
 *  "start", "end"}.
 */
static List *
change_set_fields(Jsonb *fields)
{
	List	   *changes = NIL;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	if (!JB_ROOT_IS_ARRAY(fields) || JB_ROOT_IS_SCALAR(fields))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metadata change set: fields must be a JSON array")));

	it = JsonbIteratorInit(&fields->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		MetadataValue *mv;
		JsonbContainer *obj;
		JsonbValue	buf;
		JsonbValue *val;

		if (tok != WJB_ELEM)
			continue;
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid metadata change set: every field must be a JSON object")));
		obj = v.val.binary.data;
		mv = palloc0(sizeof(MetadataValue));
		mv->name = field_member(obj, "name", &buf);
		if (mv->name == NULL || mv->name[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid metadata change set: a field has no \"name\"")));
		mv->path = field_member(obj, "path", &buf);
		mv->language = field_member(obj, "language", &buf);
		mv->track = field_member(obj, "track", &buf);
		if (getKeyJsonValueFromContainer(obj, "start", 5, &buf) ||
			getKeyJsonValueFromContainer(obj, "end", 3, &buf))
		{
			mv->timed = true;
			mv->start = span_bound(obj, "start", -get_float8_infinity());
			mv->end = span_bound(obj, "end", get_float8_infinity());
		}

		val = getKeyJsonValueFromContainer(obj, "value", 5, &buf);
		if (val && val->type == jbvBinary && JsonContainerIsArray(val->val.binary.data))
		{
			JsonbIterator *vit = JsonbIteratorInit(val->val.binary.data);
			JsonbValue	ev;

			while ((tok = JsonbIteratorNext(&vit, &ev, true)) != WJB_DONE)
			{
				char	   *s;

				if (tok != WJB_ELEM)
					continue;
				s = jsonb_scalar_text(&ev, "value");
				if (s)
					mv->values = lappend(mv->values, s);
			}
		}
		else if (val)
		{
			char	   *s = jsonb_scalar_text(val, "value");

			if (s)
				mv->values = list_make1(s);
		}
		changes = lappend(changes, mv);
	}
	return changes;
}

/*
 * capture_change_set
 *		Handler of kind metadata-change-set: an INSERT raises the metadata
 *		modify event of the entity the change set belongs to (its resource
 *		column: item, the default, collection or document), with its fields.
 *
 * ERRORs on a malformed change set or an unknown resource, which refuses
 * the row.
 */
void
capture_change_set(const CaptureRow *row)
{
	char	   *entity;
	char	   *resource;
	char	   *change_set_id;
	bool		isnull;
	Datum		d;
	List	   *changes;
	const CaptureEvent *e;

	if (!row->is_insert)
		return;
	entity = capture_role_text(row, row->tuple, CR_ID);
	resource = capture_role_text(row, row->tuple, CR_RESOURCE);
	change_set_id = capture_role_text(row, row->tuple, CR_CHANGESET);
	d = heap_getattr(row->tuple, row->ct->att[CR_FIELDS], row->desc, &isnull);
	if (isnull)
		return;
	/* always parse, so that a malformed change set is refused */
	changes = change_set_fields(DatumGetJsonbP(d));

	/* the kind's event whose resource the change set names */
	for (e = row->ct->kind->events; *e != CE_COUNT; e++)
	{
		NotifyResource r = capture_events[*e].resource;

		if (resource == NULL ? r == NR_ITEM : strcmp(resource, resource_name(r)) == 0)
		{
			capture_emit_metadata(row, *e, entity, change_set_id, changes);
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid metadata change set resource \"%s\"",
					notify_quote_value(resource)),
			 errhint("Change sets belong to an item, a collection or a document.")));
}

/* ----------------------------------------------------------------
 *		the trigger
 * ----------------------------------------------------------------
 */

/*
 * notify_ext_capture
 *		AFTER ... FOR EACH ROW trigger; see the file header.
 *
 * Checks the trigger protocol, resolves the trigger's configuration and
 * calls its kind's handler (kinds.c).  Returns a null pointer datum (the
 * result of an AFTER trigger is ignored).  ERRORs on a misconfigured
 * trigger or a malformed metadata change set, which aborts the change as it
 * should.
 */
Datum
notify_ext_capture(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	CaptureRow	row;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired by a trigger", "notify.capture")));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER ... FOR EACH ROW",
						"notify.capture")));

	memset(&row, 0, sizeof(row));
	row.cat = notify_catalog();
	if (!OidIsValid(row.cat->schema))
		return PointerGetDatum(NULL);	/* extension being dropped */

	row.ct = capture_table_get(td);
	row.desc = RelationGetDescr(td->tg_relation);
	row.tuple = td->tg_trigtuple;
	row.is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	row.is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	row.is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	if (row.is_update)
		row.newtuple = td->tg_newtuple;

	row.ct->kind->handler(&row);

	return PointerGetDatum(NULL);
}
