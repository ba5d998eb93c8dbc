/*-------------------------------------------------------------------------
 *
 * definition_api.c
 *	  SQL-callable entry points for NotificationDocuments:
 *	  notify.parse_document, notify.render_document and notify.is_resource.
 *
 * These are thin wrappers.  The work is done by parse.c
 * (validation, canonical tree, summary) and notification_document.c (the XML and JSON
 * spellings); this file only converts arguments and results and adds the
 * one check that needs the catalog: the SQL function named by a
 * <function> action must exist.
 *
 * parse_document and render_document are "API: private": the SQL
 * functions of the definition API call them.
 *
 * Who acts.  A notification belongs to the role that created it, and its
 * actions run as that role, so the API must know the calling role.  A
 * SECURITY DEFINER function cannot tell (inside it CURRENT_USER is the
 * definer), so the public functions that act for their caller
 * (create_notification, update_notification, ...) are C functions,
 * notify_ext_definition_api below: it takes GetUserId() as the caller and
 * calls the private notify.<name>_impl(caller oid, arguments...) as that
 * function's owner (the extension owner), the way fmgr calls a SECURITY
 * DEFINER function.  The caller cannot name another role.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/definition_api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "definition/definition.h"
#include "notify_ext.h"
#include "common/text_escape.h"
#include "common/url.h"

PG_FUNCTION_INFO_V1(notify_ext_parse_document);
PG_FUNCTION_INFO_V1(notify_ext_render_document);
PG_FUNCTION_INFO_V1(notify_ext_definition_api);
PG_FUNCTION_INFO_V1(notify_ext_is_resource);

DefinitionUrlCheck definition_url_check_hook = NULL;

static void check_event_function(const char *name, Oid run_as);
static void check_url_host(const char *url, const char *element,
						   const char *kind);

/*
 * check_event_function
 *		The function of a <function> action takes the event as jsonb and
 *		returns text: name(jsonb) must resolve, under the current
 *		search_path, to a plain function returning a single text, that
 *		role run_as (the role the action will run as) may execute (USAGE
 *		on its schema and EXECUTE).
 *
 * ERRCODE_UNDEFINED_FUNCTION otherwise, or ERRCODE_INSUFFICIENT_PRIVILEGE.
 * The SQL API runs with search_path = pg_catalog, pg_temp, so an
 * unqualified name gets a hint.  The worker checks the privilege again
 * before each call.
 */
static void
check_event_function(const char *name, Oid run_as)
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

	if (!notify_role_may_call(funcoid, run_as))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for function %s",
						notify_quote_value(name)),
				 errdetail("The action would run as role \"%s\", which may not execute it.",
						   GetUserNameFromId(run_as, false))));
}

/*
 * check_url_host
 *		ERRCODE_INSUFFICIENT_PRIVILEGE when delivery would refuse the host
 *		of url, the <element> of a <kind> action, under the current host
 *		lists (definition_url_check_hook); nothing when no hook is set or
 *		only a name lookup could decide.  The message masks the URL's user
 *		information.
 */
static void
check_url_host(const char *url, const char *element, const char *kind)
{
	char	   *refusal;

	if (definition_url_check_hook == NULL)
		return;
	refusal = definition_url_check_hook(url);
	if (refusal != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the host of URL \"%s\" for <%s> in <%s> is not allowed",
						notify_quote_value(notify_url_mask(url,
														   NOTIFY_MASK_AUTHORITY)),
						element, kind),
				 errdetail("The %s.", refusal),
				 errhint("Delivery connects only to hosts that notify_ext.allowed_hosts and notify_ext.denied_hosts permit; the worker checks every address again when it connects.")));
}

/*
 * notify_ext_parse_document
 *		notify.parse_document(resource text, document text, run_as oid,
 *			OUT document_xml text, OUT event text, OUT action_kind text,
 *			OUT summary text, OUT url_password text, OUT sqs_secret text,
 *			OUT credential_alias text)
 *
 * Validates a NotificationDocument (XML or JSON) for a resource, whose
 * action will run as role run_as, and whose <http> URL's host delivery
 * may reach (definition_url_check_hook; ERRCODE_INSUFFICIENT_PRIVILEGE
 * when refused; for <sqs> and <sns> the endpoint and the queue URL), and
 * returns its canonical XML with
 * credentials masked, canonical event name, action kind, credential-free
 * summary, the credentials taken out of it (NULL when absent) and the AWS
 * credential alias its <sqs> or <sns> action names (NULL when none).  Any invalid
 * input is an ERROR.  Declared STRICT, so no argument is NULL.
 */
Datum
notify_ext_parse_document(PG_FUNCTION_ARGS)
{
	text	   *resource = PG_GETARG_TEXT_PP(0);
	text	   *document = PG_GETARG_TEXT_PP(1);
	TupleDesc	tupdesc;
	NotifyDefinition *def;
	Oid			run_as = PG_GETARG_OID(2);
	const NotifyAction *a;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, true, true, true};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	def = definition_parse(resource_from_name(text_to_cstring(resource)),
						   VARDATA_ANY(document),
						   VARSIZE_ANY_EXHDR(document));
	a = &def->action;
	if (a->kind == NA_FUNCTION)
		check_event_function(a->function_name, run_as);
	if (a->kind == NA_HTTP)
		check_url_host(a->url, "url", "http");
	if (a->kind == NA_SQS || a->kind == NA_SNS)
	{
		const char *kind = a->kind == NA_SQS ? "sqs" : "sns";

		/* a host name alone is sent to as https://host/ (transport/sqs.c) */
		check_url_host(strstr(a->sqs_endpoint, "://") != NULL ?
					   a->sqs_endpoint :
					   psprintf("https://%s/", a->sqs_endpoint),
					   "endpoint", kind);
		if (a->kind == NA_SQS && strstr(a->sqs_queue, "://") != NULL)
			check_url_host(a->sqs_queue, "queue", kind);
	}

	values[0] = CStringGetTextDatum(document_to_xml(def->doc));
	values[1] = CStringGetTextDatum(def->trigger.event);
	values[2] = CStringGetTextDatum(action_kind_name(a->kind));
	values[3] = CStringGetTextDatum(definition_summary(def));
	if (a->kind == NA_HTTP && a->url_password != NULL)
	{
		values[4] = CStringGetTextDatum(a->url_password);
		nulls[4] = false;
	}
	if ((a->kind == NA_SQS || a->kind == NA_SNS) && a->sqs_secret != NULL)
	{
		int			i = (a->sqs_access_key != NULL) ? 5 : 6;

		values[i] = CStringGetTextDatum(a->sqs_secret);
		nulls[i] = false;
	}

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
 * What notify_ext_definition_api calls for one public function; kept in
 * its flinfo->fn_extra.
 */
typedef struct ApiTarget
{
	FmgrInfo	impl;			/* notify.<name>_impl */
	Oid			impl_owner;		/* runs as this role */
} ApiTarget;

/*
 * api_target
 *		Resolve notify.<name>_impl(oid, <the arguments of fn_oid>) for the
 *		public function fn_oid, in memory context cxt.
 */
static ApiTarget *
api_target(Oid fn_oid, MemoryContext cxt)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	Oid			argtypes[FUNC_MAX_ARGS];
	char	   *nspname;
	char	   *implname;
	Oid			impl_oid;
	ApiTarget  *t;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->pronargs + 1 > FUNC_MAX_ARGS)
		elog(ERROR, "function %u has too many arguments", fn_oid);
	argtypes[0] = OIDOID;
	memcpy(&argtypes[1], proc->proargtypes.values, proc->pronargs * sizeof(Oid));
	nspname = get_namespace_name(proc->pronamespace);
	implname = psprintf("%s_impl", NameStr(proc->proname));
	impl_oid = LookupFuncName(list_make2(makeString(nspname), makeString(implname)),
							  proc->pronargs + 1, argtypes, false);
	ReleaseSysCache(tup);

	t = MemoryContextAllocZero(cxt, sizeof(ApiTarget));
	fmgr_info_cxt(impl_oid, &t->impl, cxt);
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(impl_oid));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", impl_oid);
	t->impl_owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	return t;
}

/*
 * api_call
 *		Call notify.<name>_impl(caller, arguments...) for the public
 *		function being called, with the calling role (GetUserId(), which
 *		SET ROLE changes) as first argument, as the owner of the _impl
 *		function, like a SECURITY DEFINER call: search_path is pinned by
 *		the _impl function itself.  NULL arguments are passed on; the
 *		_impl functions check them.
 */
static Datum
api_call(FunctionCallInfo fcinfo)
{
	ApiTarget  *t = (ApiTarget *) fcinfo->flinfo->fn_extra;
	FunctionCallInfo impl;
	Oid			save_userid;
	int			save_sec;
	Datum		result;
	int			i;

	if (t == NULL)
	{
		t = api_target(fcinfo->flinfo->fn_oid, fcinfo->flinfo->fn_mcxt);
		fcinfo->flinfo->fn_extra = t;
	}

	impl = palloc0(SizeForFunctionCallInfo(fcinfo->nargs + 1));
	InitFunctionCallInfoData(*impl, &t->impl, fcinfo->nargs + 1,
							 fcinfo->fncollation, NULL, NULL);
	impl->args[0].value = ObjectIdGetDatum(GetUserId());
	impl->args[0].isnull = false;
	for (i = 0; i < fcinfo->nargs; i++)
		impl->args[i + 1] = fcinfo->args[i];

	GetUserIdAndSecContext(&save_userid, &save_sec);
	SetUserIdAndSecContext(t->impl_owner,
						   save_sec | SECURITY_LOCAL_USERID_CHANGE);
	result = FunctionCallInvoke(impl);
	SetUserIdAndSecContext(save_userid, save_sec);
	fcinfo->isnull = impl->isnull;
	return result;
}

/*
 * notify_ext_definition_api
 *		The body of every definition API function that acts for its caller
 *		(create_notification, update_notification, delete_notification,
 *		set_ordering, redeliver, set_aws_credential): see api_call.
 *
 * Any error raised on the way is re-thrown with the statement text and the
 * context hidden from the server log: the statement may hold a password,
 * and so may the context, which quotes the statement of a PL/pgSQL caller
 * (a DO block) in full.  The user id is restored by transaction abort on
 * error, as for SECURITY DEFINER.
 */
Datum
notify_ext_definition_api(PG_FUNCTION_ARGS)
{
	MemoryContext caller_cxt = CurrentMemoryContext;
	volatile Datum result = (Datum) 0;

	PG_TRY();
	{
		result = api_call(fcinfo);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		edata->hide_stmt = true;
		/* a PL/pgSQL caller's statement text is in the context: hide it too */
		edata->hide_ctx = true;
		ReThrowError(edata);
	}
	PG_END_TRY();
	return result;
}

/*
 * notify_ext_is_resource
 *		notify.is_resource(text): whether the text names a notification
 *		resource of names.c.  The CHECK of notify.notification.resource, so
 *		that the table and the C code read one list.  Never an ERROR.
 */
Datum
notify_ext_is_resource(PG_FUNCTION_ARGS)
{
	char	   *name = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_BOOL(resource_lookup(name) >= 0);
}
