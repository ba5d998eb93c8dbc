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

#include "definition/definition_cache.h"
#include "capture/metadata_filter.h"
#include "notify_ext.h"
#include "outbox/outbox.h"
#include "bgw/shmem.h"
#include "common/text_escape.h"

PG_FUNCTION_INFO_V1(notify_ext_capture);

typedef enum CaptureKind
{
	CK_ITEM,
	CK_COLLECTION,
	CK_MEMBER,
	CK_STORAGE,
	CK_FILE,
	CK_CHANGE_SET
} CaptureKind;

/* What one capture trigger's arguments say, resolved to attribute numbers */
typedef struct CaptureTable
{
	Oid			tgoid;			/* hash key */
	Oid			relid;
	CaptureKind kind;
	AttrNumber	id_att;
	AttrNumber	storage_att;
	AttrNumber	item_att;
	AttrNumber	path_att;
	AttrNumber	state_att;
	AttrNumber	hash_att;
	AttrNumber	resource_att;
	AttrNumber	fields_att;
	AttrNumber	changeset_att;
	Bitmapset  *ignore;			/* columns that are not metadata */
} CaptureTable;

/* State of one trigger call */
typedef struct CaptureState
{
	const NotifyCatalog *cat;
} CaptureState;

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

static void
capture_table_build(CaptureTable *ct, TriggerData *td)
{
	Trigger    *tg = td->tg_trigger;
	Relation	rel = td->tg_relation;
	const char *kind;
	int			i;

	if (tg->tgnargs < 2)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("capture trigger \"%s\" on table \"%s\" has too few arguments",
						tg->tgname, RelationGetRelationName(rel)),
				 errhint("Install capture with notify.attach().")));

	memset(((char *) ct) + sizeof(Oid), 0, sizeof(CaptureTable) - sizeof(Oid));
	kind = tg->tgargs[0];
	if (strcmp(kind, "item") == 0)
		ct->kind = CK_ITEM;
	else if (strcmp(kind, "collection") == 0)
		ct->kind = CK_COLLECTION;
	else if (strcmp(kind, "collection-member") == 0)
		ct->kind = CK_MEMBER;
	else if (strcmp(kind, "storage") == 0)
		ct->kind = CK_STORAGE;
	else if (strcmp(kind, "file") == 0)
		ct->kind = CK_FILE;
	else if (strcmp(kind, "metadata-change-set") == 0)
		ct->kind = CK_CHANGE_SET;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture trigger \"%s\" names unknown resource \"%s\"",
						tg->tgname, notify_quote_value(kind))));

	for (i = 1; i < tg->tgnargs; i++)
	{
		const char *arg = tg->tgargs[i];
		const char *eq = strchr(arg, '=');
		char	   *role;
		AttrNumber	att;

		if (eq == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture trigger argument \"%s\"",
							notify_quote_value(arg)),
					 errdetail("Arguments after the resource have the form role=column.")));
		role = pnstrdup(arg, eq - arg);
		att = column_attnum(rel, eq + 1);

		if (strcmp(role, "id") == 0)
			ct->id_att = att;
		else if (strcmp(role, "ignore") == 0)
		{
			MemoryContext old = MemoryContextSwitchTo(capture_context);

			ct->ignore = bms_add_member(ct->ignore, att);
			MemoryContextSwitchTo(old);
		}
		else if (strcmp(role, "storage") == 0)
			ct->storage_att = att;
		else if (strcmp(role, "item") == 0)
			ct->item_att = att;
		else if (strcmp(role, "path") == 0)
			ct->path_att = att;
		else if (strcmp(role, "state") == 0)
			ct->state_att = att;
		else if (strcmp(role, "hash") == 0)
			ct->hash_att = att;
		else if (strcmp(role, "resource") == 0)
			ct->resource_att = att;
		else if (strcmp(role, "fields") == 0)
			ct->fields_att = att;
		else if (strcmp(role, "changeset") == 0)
			ct->changeset_att = att;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capture trigger argument \"%s\"",
							notify_quote_value(arg)),
					 errdetail("Unknown column role \"%s\".",
							   notify_quote_value(role))));
	}

	if (ct->id_att == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture trigger \"%s\" on table \"%s\" names no id column",
						tg->tgname, RelationGetRelationName(rel))));
	if (ct->kind == CK_CHANGE_SET && ct->fields_att == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capture trigger \"%s\" on table \"%s\" names no fields column",
						tg->tgname, RelationGetRelationName(rel))));
	if (ct->kind == CK_CHANGE_SET &&
		TupleDescAttr(RelationGetDescr(rel), ct->fields_att - 1)->atttypid != JSONBOID)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("fields column of a metadata change set must be of type jsonb")));

	/* the id column and role columns are never metadata fields */
	{
		MemoryContext old = MemoryContextSwitchTo(capture_context);

		ct->ignore = bms_add_member(ct->ignore, ct->id_att);
		MemoryContextSwitchTo(old);
	}
	ct->relid = RelationGetRelid(rel);
}

/*
 * The configuration of the firing trigger, built on first use per backend
 * and again after the table's definition changes.
 */
static CaptureTable *
capture_table_get(TriggerData *td)
{
	Oid			tgoid = td->tg_trigger->tgoid;
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
			capture_table_build(ct, td);
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

/* Text form of a column, or NULL for SQL NULL or no such role */
static char *
column_text(HeapTuple tuple, TupleDesc desc, AttrNumber att)
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

/* Does the column differ between the old and the new row? */
static bool
column_changed(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc, AttrNumber att)
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

/* ----------------------------------------------------------------
 *		payloads
 *
 * A payload is the event's multi-map as a JSON object with one array of
 * strings per key, keys in output order: {"itemId":["VX-1"],"action":[...]}.
 * ----------------------------------------------------------------
 */

static void
payload_key(StringInfo buf, const char *key)
{
	appendStringInfoChar(buf, buf->len == 0 ? '{' : ',');
	escape_json(buf, key);
	appendStringInfoString(buf, ":[");
}

/* Add key with one value; a NULL value gives the key no value */
static void
payload_add(StringInfo buf, const char *key, const char *value)
{
	payload_key(buf, key);
	if (value)
		escape_json(buf, value);
	appendStringInfoChar(buf, ']');
}

static void
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

static char *
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

static bool
scope_matches(const CachedNotification *cn, const char *entity_id)
{
	return cn->entity_id == NULL ||
		(entity_id != NULL && strcmp(cn->entity_id, entity_id) == 0);
}

/*
 * Write one outbox row and have the worker woken at commit.  A row of a
 * strict lane (thread group, endpoint ordering) first takes the lane's
 * transaction-level lock, so that a later writer of the lane gets its
 * outbox id only after this transaction ends: ids follow commit order.
 */
static void
emit(CaptureState *st, const CachedNotification *cn, const char *event,
	 const char *entity_id, const char *payload)
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
	outbox_insert(st->cat->outbox, st->cat->outbox_id_seq, cn->id,
				  resource_name(cn->def->resource),
				  event, entity_id, payload);
	notify_wake_at_commit();
}

/*
 * Emit a plain event (same payload for every match): resource.event with
 * idkey=id, action=verb.
 */
static void
emit_simple(CaptureState *st, NotifyResource resource, const char *event,
			const char *idkey, const char *id, const char *verb)
{
	List	   *matches = definition_cache_match(resource, event);
	ListCell   *lc;
	StringInfoData buf;
	char	   *payload = NULL;

	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);

		if (!scope_matches(cn, id))
			continue;
		if (payload == NULL)
		{
			initStringInfo(&buf);
			payload_add(&buf, idkey, id);
			payload_add(&buf, "action", verb);
			payload = payload_finish(&buf);
		}
		emit(st, cn, event, id, payload);
	}
}

static char *
next_change_set_id(const NotifyCatalog *cat)
{
	return psprintf("VX-" INT64_FORMAT, nextval_internal(cat->change_set_seq, false));
}

/*
 * Emit a metadata modify event: every matching notification gets the
 * fields its filters let through; none pass, no row.
 */
static void
emit_metadata(CaptureState *st, NotifyResource resource, const char *event,
			  const char *idkey, const char *id, const char *change_set_id,
			  List *changes)
{
	List	   *matches = definition_cache_match(resource, event);
	ListCell   *lc;

	if (changes == NIL)
		return;
	foreach(lc, matches)
	{
		CachedNotification *cn = lfirst(lc);
		List	   *fields;
		ListCell   *fc;
		StringInfoData buf;

		if (!scope_matches(cn, id))
			continue;
		fields = metadata_filter_apply(&cn->def->trigger, changes);
		if (fields == NIL)
			continue;
		if (change_set_id == NULL)
			change_set_id = next_change_set_id(st->cat);

		initStringInfo(&buf);
		payload_add(&buf, idkey, id);
		payload_add(&buf, "changeSetId", change_set_id);
		foreach(fc, fields)
		{
			MatchedField *mf = lfirst(fc);

			payload_add_list(&buf, mf->key, mf->values);
		}
		emit(st, cn, event, id, payload_finish(&buf));
	}
}

/* Changed columns of an UPDATE as generic metadata values */
static List *
changed_columns(CaptureTable *ct, HeapTuple oldtup, HeapTuple newtup,
				TupleDesc desc)
{
	List	   *changes = NIL;
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		MetadataValue *mv;
		char	   *value;

		if (att->attisdropped || bms_is_member(att->attnum, ct->ignore) ||
			!column_changed(oldtup, newtup, desc, att->attnum))
			continue;
		mv = palloc0(sizeof(MetadataValue));
		mv->name = pstrdup(NameStr(att->attname));
		value = column_text(newtup, desc, att->attnum);
		mv->values = value ? list_make1(value) : NIL;
		changes = lappend(changes, mv);
	}
	return changes;
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

static void
capture_change_set(CaptureState *st, CaptureTable *ct, HeapTuple tuple,
				   TupleDesc desc)
{
	char	   *entity = column_text(tuple, desc, ct->id_att);
	char	   *resource = column_text(tuple, desc, ct->resource_att);
	char	   *change_set_id = column_text(tuple, desc, ct->changeset_att);
	bool		isnull;
	Datum		d = heap_getattr(tuple, ct->fields_att, desc, &isnull);
	List	   *changes;

	if (isnull)
		return;
	/* always parse, so that a malformed change set is refused */
	changes = change_set_fields(DatumGetJsonbP(d));

	if (resource == NULL || strcmp(resource, "item") == 0)
		emit_metadata(st, NR_ITEM, "metadata.modify", "itemId", entity,
					  change_set_id, changes);
	else if (strcmp(resource, "collection") == 0)
		emit_metadata(st, NR_COLLECTION, "collection.metadata.modify",
					  "collectionId", entity, change_set_id, changes);
	else if (strcmp(resource, "document") == 0)
		emit_metadata(st, NR_DOCUMENT, "document.modify", "documentName",
					  entity, change_set_id, changes);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid metadata change set resource \"%s\"",
						notify_quote_value(resource)),
				 errhint("Change sets belong to an item, a collection or a document.")));
}

/* ----------------------------------------------------------------
 *		files
 * ----------------------------------------------------------------
 */

static void
emit_file(CaptureState *st, CaptureTable *ct, const char *event,
		  const char *verb, HeapTuple tuple, TupleDesc desc)
{
	List	   *matches = definition_cache_match(NR_FILE, event);
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

			file_id = column_text(tuple, desc, ct->id_att);
			storage_id = column_text(tuple, desc, ct->storage_att);
			item_id = column_text(tuple, desc, ct->item_att);
			initStringInfo(&buf);
			payload_add(&buf, "fileId", file_id);
			payload_add(&buf, "action", verb);
			payload_add(&buf, "storageId", storage_id);
			payload_add(&buf, "path", column_text(tuple, desc, ct->path_att));
			if (item_id)
				payload_add(&buf, "itemId", item_id);
			payload = payload_finish(&buf);
		}
		if (cn->def->trigger.file_storage != NULL &&
			(storage_id == NULL || strcmp(cn->def->trigger.file_storage, storage_id) != 0))
			continue;
		emit(st, cn, event, file_id, payload);
	}
}

static void
capture_file_update(CaptureState *st, CaptureTable *ct, HeapTuple oldtup,
					HeapTuple newtup, TupleDesc desc)
{
	bool		changed = false;
	bool		closed = false;
	bool		lost = false;
	bool		hashed = false;
	int			i;

	if (ct->state_att != InvalidAttrNumber &&
		column_changed(oldtup, newtup, desc, ct->state_att))
	{
		char	   *state = column_text(newtup, desc, ct->state_att);

		if (state && strcmp(state, "CLOSED") == 0)
			closed = true;
		else if (state && (strcmp(state, "LOST") == 0 || strcmp(state, "MISSING") == 0))
			lost = true;
		else
			changed = true;
	}
	if (ct->hash_att != InvalidAttrNumber &&
		column_changed(oldtup, newtup, desc, ct->hash_att) &&
		column_text(newtup, desc, ct->hash_att) != NULL)
		hashed = true;

	for (i = 0; i < desc->natts && !changed; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || att->attnum == ct->state_att ||
			att->attnum == ct->hash_att || bms_is_member(att->attnum, ct->ignore))
			continue;
		if (column_changed(oldtup, newtup, desc, att->attnum))
			changed = true;
	}

	if (changed)
		emit_file(st, ct, "file.change", "CHANGE", newtup, desc);
	if (closed)
		emit_file(st, ct, "file.close", "CLOSE", newtup, desc);
	if (lost)
		emit_file(st, ct, "file.lost", "LOST", newtup, desc);
	if (hashed)
		emit_file(st, ct, "file.hash", "HASH", newtup, desc);
}

/* ----------------------------------------------------------------
 *		the trigger
 * ----------------------------------------------------------------
 */

/*
 * notify_ext_capture
 *		AFTER ... FOR EACH ROW trigger; see the file header.
 *
 * Returns a null pointer datum (the result of an AFTER trigger is ignored).
 * ERRORs on a misconfigured trigger or a malformed metadata change set,
 * which aborts the change as it should.
 */
Datum
notify_ext_capture(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	CaptureTable *ct;
	CaptureState st;
	bool		is_insert,
				is_delete,
				is_update;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired by a trigger", "notify.capture")));
	if (!TRIGGER_FIRED_AFTER(td->tg_event) || !TRIGGER_FIRED_FOR_ROW(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER ... FOR EACH ROW",
						"notify.capture")));

	memset(&st, 0, sizeof(st));
	st.cat = notify_catalog();
	if (!OidIsValid(st.cat->schema))
		return PointerGetDatum(NULL);	/* extension being dropped */

	ct = capture_table_get(td);
	desc = RelationGetDescr(td->tg_relation);
	is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	tuple = td->tg_trigtuple;

	switch (ct->kind)
	{
		case CK_ITEM:
		case CK_COLLECTION:
			{
				bool		item = (ct->kind == CK_ITEM);
				NotifyResource res = item ? NR_ITEM : NR_COLLECTION;
				const char *idkey = item ? "itemId" : "collectionId";
				char	   *id = column_text(tuple, desc, ct->id_att);

				if (is_insert)
					emit_simple(&st, res, item ? "item.create" : "collection.create",
								idkey, id, "CREATE");
				else if (is_delete)
					emit_simple(&st, res, item ? "item.delete" : "collection.delete",
								idkey, id, "DELETE");
				else if (is_update)
				{
					const char *event = item ? "metadata.modify" : "collection.metadata.modify";

					if (definition_cache_match(res, event) != NIL)
						emit_metadata(&st, res, event, idkey,
									  column_text(td->tg_newtuple, desc, ct->id_att),
									  NULL,
									  changed_columns(ct, tuple, td->tg_newtuple, desc));
				}
				break;
			}
		case CK_MEMBER:
			if (is_insert || is_delete)
			{
				List	   *matches = definition_cache_match(NR_COLLECTION, "collection.modify");
				ListCell   *lc;
				char	   *id = column_text(tuple, desc, ct->id_att);
				char	   *payload = NULL;

				foreach(lc, matches)
				{
					CachedNotification *cn = lfirst(lc);

					if (!scope_matches(cn, id))
						continue;
					if (payload == NULL)
					{
						StringInfoData buf;

						initStringInfo(&buf);
						payload_add(&buf, "type", "collection");
						payload_add(&buf, "action", "MODIFY");
						payload_add(&buf, "collectionId", id);
						payload = payload_finish(&buf);
					}
					emit(&st, cn, "collection.modify", id, payload);
				}
			}
			break;
		case CK_STORAGE:
			if (is_insert)
				emit_simple(&st, NR_STORAGE, "storage.create", "storageId",
							column_text(tuple, desc, ct->id_att), "CREATE");
			else if (is_delete)
				emit_simple(&st, NR_STORAGE, "storage.delete", "storageId",
							column_text(tuple, desc, ct->id_att), "DELETE");
			break;
		case CK_FILE:
			if (is_insert)
				emit_file(&st, ct, "file.new", "NEW", tuple, desc);
			else if (is_delete)
				emit_file(&st, ct, "file.delete", "DELETE", tuple, desc);
			else if (is_update)
				capture_file_update(&st, ct, tuple, td->tg_newtuple, desc);
			break;
		case CK_CHANGE_SET:
			if (is_insert)
				capture_change_set(&st, ct, tuple, desc);
			break;
	}

	return PointerGetDatum(NULL);
}
