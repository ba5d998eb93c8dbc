/*-------------------------------------------------------------------------
 *
 * capture.c
 *	  The capture row trigger: protocol checks, the trigger's configuration,
 *	  then dispatch through the table of capture kinds.
 *
 * notify.capture() is an AFTER ... FOR EACH ROW trigger.  Its arguments say
 * which kind of asset table it sits on and which column plays which role:
 *
 *	notify.capture('item', 'id=id', 'ignore=created_at', ...)
 *	notify.capture('file', 'id=id', 'storage=storage_id', 'item=item_id',
 *				   'path=path', 'state=state', 'hash=hash', 'ignore=...')
 *
 * The kinds, the roles each may and must give and the events each can
 * raise are the table of capture kinds (kinds.c).  The arguments are
 * resolved against it once per backend (and again after the table's
 * definition changes); each row change then goes to the kind's handler:
 *
 *	item				item.c
 *	collection			collection.c
 *	collection-member	collection.c
 *	storage				storage.c
 *	file				file.c
 *	metadata-change-set	changeset.c
 *	job					job.c
 *	access				access.c
 *	shape				shape.c
 *	document			document.c
 *	group, group-member	group.c
 *	filename			filename.c (BEFORE INSERT on a table of files)
 *
 * which emit events through emit.c (match, scope, outbox row, wake) with
 * payloads built by payload.c.  The trigger never does network I/O;
 * delivery belongs to the background worker.
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
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_relation.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "capture/capture_internal.h"
#include "capture/sync_queue.h"
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

/*
 * capture_role_values
 *		The values of the column of role in tuple as a list of strings: the
 *		elements of a text[] column (NULL elements left out), the text of
 *		any other; NIL for SQL NULL or no such role.
 */
List *
capture_role_values(const CaptureRow *row, HeapTuple tuple, CaptureRole role)
{
	AttrNumber	att = row->ct->att[role];
	Datum		d;
	bool		isnull;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	int			i;
	List	   *result = NIL;

	if (att == InvalidAttrNumber || tuple == NULL)
		return NIL;
	if (TupleDescAttr(row->desc, att - 1)->atttypid != TEXTARRAYOID)
	{
		char	   *s = capture_column_text(tuple, row->desc, att);

		return s ? list_make1(s) : NIL;
	}
	d = heap_getattr(tuple, att, row->desc, &isnull);
	if (isnull)
		return NIL;
	deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &n);
	for (i = 0; i < n; i++)
	{
		if (!nulls[i])
			result = lappend(result, TextDatumGetCString(elems[i]));
	}
	return result;
}

/*
 * capture_row_changed
 *		Does an UPDATE change a column that is not ignored (the id column is
 *		always ignored)?
 */
bool
capture_row_changed(const CaptureRow *row)
{
	int			i;

	for (i = 0; i < row->desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(row->desc, i);

		if (att->attisdropped || bms_is_member(att->attnum, row->ct->ignore))
			continue;
		if (capture_column_changed(row->tuple, row->newtuple, row->desc,
								   att->attnum))
			return true;
	}
	return false;
}

/*
 * capture_acting_user
 *		The name of the user a change is made by: the setting notify.acting_user
 *		when it is set and not empty (an application that connects as one
 *		role for many users sets it, e.g. SET LOCAL notify.acting_user = 'alice'),
 *		else the current role (current_user).  Returns a palloc'd string.
 */
char *
capture_acting_user(void)
{
	const char *setting = GetConfigOption("notify.acting_user", true, false);

	if (setting != NULL && setting[0] != '\0')
		return pstrdup(setting);
	return GetUserNameFromId(GetUserId(), false);
}

/* ----------------------------------------------------------------
 *		the trigger
 * ----------------------------------------------------------------
 */

/*
 * notify_ext_capture
 *		AFTER ... FOR EACH ROW trigger (BEFORE INSERT for a kind whose row in
 *		the kinds table says so); see the file header.
 *
 * Checks the trigger protocol, resolves the trigger's configuration and
 * calls its kind's handler (kinds.c).  Returns a null pointer datum (the
 * result of an AFTER trigger is ignored), or for a BEFORE trigger the row
 * to write: the row given, unless the handler replaced it (the filename
 * kind names the file after a synchronous answer).  ERRORs on a misconfigured
 * trigger or a malformed metadata change set, which aborts the change as it
 * should.
 */
Datum
notify_ext_capture(PG_FUNCTION_ARGS)
{
	TriggerData *td = (TriggerData *) fcinfo->context;
	CaptureRow	row;
	HeapTuple	returned;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired by a trigger", "notify.capture")));
	if (!TRIGGER_FIRED_FOR_ROW(td->tg_event) ||
		(!TRIGGER_FIRED_AFTER(td->tg_event) &&
		 !(TRIGGER_FIRED_BEFORE(td->tg_event) && TRIGGER_FIRED_BY_INSERT(td->tg_event))))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired AFTER ... FOR EACH ROW",
						"notify.capture")));

	memset(&row, 0, sizeof(row));
	row.cat = notify_catalog();
	if (!OidIsValid(row.cat->schema))	/* extension being dropped */
		return TRIGGER_FIRED_BEFORE(td->tg_event) ?
			PointerGetDatum(td->tg_trigtuple) : PointerGetDatum(NULL);

	row.ct = capture_table_get(td);
	if (row.ct->kind->before != TRIGGER_FIRED_BEFORE(td->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired %s",
						"notify.capture",
						row.ct->kind->before ? "BEFORE INSERT ... FOR EACH ROW"
						: "AFTER ... FOR EACH ROW"),
				 errdetail("Resource \"%s\" is captured by a trigger fired %s.",
						   row.ct->kind->name,
						   row.ct->kind->before ? "BEFORE INSERT" : "AFTER")));
	row.desc = RelationGetDescr(td->tg_relation);
	row.tuple = td->tg_trigtuple;
	row.is_insert = TRIGGER_FIRED_BY_INSERT(td->tg_event);
	row.is_delete = TRIGGER_FIRED_BY_DELETE(td->tg_event);
	row.is_update = TRIGGER_FIRED_BY_UPDATE(td->tg_event);
	if (row.is_update)
		row.newtuple = td->tg_newtuple;
	returned = row.tuple;
	if (row.ct->kind->before)
		row.returned = &returned;

	capture_sync_next_change();
	row.ct->kind->handler(&row);

	if (row.ct->kind->before)
		return PointerGetDatum(returned);
	return PointerGetDatum(NULL);
}
