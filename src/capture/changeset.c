/*-------------------------------------------------------------------------
 *
 * changeset.c
 *	  Capture kind metadata-change-set: a table of metadata change sets.
 *
 * An inserted change set names an entity (item, collection or document)
 * and carries its changed fields as a JSON array of objects {"name",
 * "value" (scalar or array), "path", "language", "track", "start", "end"};
 * it raises the entity's metadata modify event, each matching notification
 * getting the fields its filters let through.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/changeset.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"

#include "capture/capture_internal.h"
#include "capture/metadata_filter.h"
#include "common/text_escape.h"

/*
 * jsonb_scalar_text
 *		The text of a scalar JSON value (palloc'd), NULL for JSON null.
 *		Errors out naming what (the member's key) for an array or object.
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

/*
 * field_member
 *		The scalar text of member key of the JSON object obj, NULL when it
 *		is absent or null; buf is the caller's space for the looked-up value.
 */
static char *
field_member(JsonbContainer *obj, const char *key, JsonbValue *buf)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), buf);

	return v ? jsonb_scalar_text(v, key) : NULL;
}

/*
 * span_bound
 *		The time of member key of obj as a double: dflt when absent,
 *		-INF/+INF (or INF) as infinities.  Errors out for any other text
 *		that is not a number.
 */
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
	const NotifyEvent *e;

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
	for (e = row->ct->kind->events; *e != NE_COUNT; e++)
	{
		NotifyResource r = notify_events[*e].resource;

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
