/*-------------------------------------------------------------------------
 *
 * sql_api.c
 *	  SQL-callable entry points for NotificationDocuments:
 *	  notify.parse_document and notify.render_document.
 *
 * These are thin wrappers.  The work is done by definition_parse.c
 * (validation, canonical tree, summary) and document.c (the XML and JSON
 * spellings); this file only converts arguments and results and adds the
 * one check that needs the catalog: the SQL function named by a
 * <function> action must exist.
 *
 * The document functions are "API: private": notify.store_notification,
 * notify.update_notification and notify.get_notification call them.
 * notify.encode_event (also private) runs the delivery worker's encoder
 * (encode.c) on a payload, so that bodies can be checked from SQL.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/sql_api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "definition.h"
#include "encode.h"
#include "text_escape.h"

PG_FUNCTION_INFO_V1(notify_ext_parse_document);
PG_FUNCTION_INFO_V1(notify_ext_render_document);
PG_FUNCTION_INFO_V1(notify_ext_encode_event);

static void check_event_function(const char *name);

/*
 * check_event_function
 *		The function of a <function> action takes the event as jsonb and
 *		returns text: name(jsonb) must resolve, under the current
 *		search_path, to a plain function returning a single text.
 *
 * ERRCODE_UNDEFINED_FUNCTION otherwise.  The SQL API runs with
 * search_path = pg_catalog, pg_temp, so an unqualified name gets a hint.
 */
static void
check_event_function(const char *name)
{
	List	   *names = stringToQualifiedNameList(name);
	Oid			argtypes[1] = {JSONBOID};
	Oid			funcoid;
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		ok;

	funcoid = LookupFuncName(names, 1, argtypes, true);
	if (!OidIsValid(funcoid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("function %s(jsonb) does not exist",
						notify_quote_value(name)),
				 list_length(names) == 1 ?
				 errhint("Qualify the name with its schema, such as public.%s; notifications are checked with search_path set to pg_catalog.",
						 notify_quote_value(name)) :
				 errhint("A <function> action calls a function that takes the event as jsonb and returns text.")));

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(funcoid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", funcoid);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	ok = (proc->prokind == PROKIND_FUNCTION && proc->prorettype == TEXTOID &&
		  !proc->proretset);
	ReleaseSysCache(tup);

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("%s(jsonb) is not a function returning text",
						notify_quote_value(name)),
				 errdetail("A <function> action calls a function that takes the event as jsonb and returns a single text value, NULL meaning not accepted.")));
}

/*
 * notify_ext_parse_document
 *		notify.parse_document(resource text, document text,
 *			OUT document_xml text, OUT event text, OUT action_kind text,
 *			OUT summary text)
 *
 * Validates a NotificationDocument (XML or JSON) for a resource and
 * returns its canonical XML, canonical event name, action kind and
 * credential-free summary.  Any invalid input is an ERROR.  Declared
 * STRICT, so neither argument is NULL.
 */
Datum
notify_ext_parse_document(PG_FUNCTION_ARGS)
{
	text	   *resource = PG_GETARG_TEXT_PP(0);
	text	   *document = PG_GETARG_TEXT_PP(1);
	TupleDesc	tupdesc;
	NotifyDefinition *def;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	def = definition_parse(resource_from_name(text_to_cstring(resource)),
						   VARDATA_ANY(document),
						   VARSIZE_ANY_EXHDR(document));
	if (def->action.kind == NA_FUNCTION)
		check_event_function(def->action.function_name);

	values[0] = CStringGetTextDatum(document_to_xml(def->doc));
	values[1] = CStringGetTextDatum(def->trigger.event);
	values[2] = CStringGetTextDatum(action_kind_name(def->action.kind));
	values[3] = CStringGetTextDatum(definition_summary(def));

	tupdesc = BlessTupleDesc(tupdesc);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * notify_ext_render_document
 *		notify.render_document(document text, format text) returns text
 *
 * Writes a document (normally a stored canonical one) as 'xml' or 'json'.
 * The document is read as is, not validated against the reference.  An
 * unknown format is ERRCODE_INVALID_PARAMETER_VALUE.  Declared STRICT.
 */
Datum
notify_ext_render_document(PG_FUNCTION_ARGS)
{
	text	   *document = PG_GETARG_TEXT_PP(0);
	char	   *format = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bool		as_json;
	DocNode    *root;

	if (pg_strcasecmp(format, "xml") == 0)
		as_json = false;
	else if (pg_strcasecmp(format, "json") == 0)
		as_json = true;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid document format \"%s\"",
						notify_quote_value(format)),
				 errhint("Valid formats are \"xml\" and \"json\".")));

	root = document_read(VARDATA_ANY(document), VARSIZE_ANY_EXHDR(document));
	PG_RETURN_TEXT_P(cstring_to_text(as_json ? document_to_json(root) :
									 document_to_xml(root)));
}


/*
 * notify_ext_encode_event
 *		notify.encode_event(payload text, content_type text) returns bytea
 *
 * The body encode_body() makes of an outbox payload, exactly as the
 * delivery worker sends it.  content_type is text/plain, application/xml
 * or application/json (any case); anything else is
 * ERRCODE_INVALID_PARAMETER_VALUE.  A malformed payload is an ERROR, as in
 * the worker.  The result is bytea because a body is UTF-8 whatever the
 * database encoding.  Declared STRICT.
 */
Datum
notify_ext_encode_event(PG_FUNCTION_ARGS)
{
	char	   *payload = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *ctname = text_to_cstring(PG_GETARG_TEXT_PP(1));
	NotifyContentType ct;
	char	   *body;
	size_t		len;
	bytea	   *result;

	if (pg_strcasecmp(ctname, "text/plain") == 0)
		ct = NCT_TEXT;
	else if (pg_strcasecmp(ctname, "application/xml") == 0)
		ct = NCT_XML;
	else if (pg_strcasecmp(ctname, "application/json") == 0)
		ct = NCT_JSON;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid content type \"%s\"",
						notify_quote_value(ctname)),
				 errhint("Supported content types are text/plain, application/xml and application/json.")));

	body = encode_body(payload, ct, &len);
	result = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), body, len);
	PG_RETURN_BYTEA_P(result);
}
