/*-------------------------------------------------------------------------
 *
 * parse.c
 *	  Validate a NotificationDocument and turn it into a NotifyDefinition
 *	  with a canonical document tree: the entry point.
 *
 * definition_parse() reads the text with document_read() (notification_document.c),
 * checks every element against the action and trigger reference and
 * fills a NotifyDefinition.  The <action> element is validated in
 * action.c and the <trigger> element in trigger.c;
 * this file holds the entry point, putting stored credentials back
 * (definition_set_secrets) and the one-line summary.  The tree and value
 * helpers both files use are in node.c (declared in
 * definition_internal.h), which calls none of the three; the names of
 * resources, events, action kinds and content types are in names.c.  It
 * is pure: no catalog access and no I/O, so the cache, the SQL API and
 * the tests can all call it; checks that need the catalog (does the <function> exist?)
 * belong to the caller.
 *
 * The canonical tree (def->doc) is what gets stored.  It is rebuilt from
 * scratch, never edited in place, which gives:
 *	- a fixed element order: synchronous and group attributes, then the
 *	  action's elements in the order of the slot tables of
 *	  action.c; resource element, event element, then the
 *	  event's parameters;
 *	- defaults made explicit: synchronous="false" and
 *	  contentType text/plain when missing; <quota><created/> becomes
 *	  <create/>;
 *	- values in one spelling: trimmed, method upper case, booleans lower
 *	  case, integers without leading zeros, comma lists without blanks;
 *	  optional elements such as <retry> or <timeout> appear only when the
 *	  input had them.
 * Parsing the XML or JSON rendering of a canonical tree yields the same
 * tree again.
 *
 * Errors are ereport(ERROR) naming the element and the value at fault.
 * Credentials never reach a message: URLs are shown as user:***@host,
 * <secret> values and whole access keys are never shown.  SQLSTATEs:
 *	22023 invalid_parameter_value	unknown, misplaced, duplicate or missing
 *									elements, bad values, wrong resource
 *	0A000 feature_not_supported		<ejb>, <jms>, <javascript>, <sns>
 *	2201B invalid_regular_expression	<key-regex>, <value-regex>
 *	42602 invalid_name				<function><name> syntax
 *	54000 program_limit_exceeded	canonical form too large
 * plus those of document_read() (notification_document.c) for the document's form:
 * 2200M/2200N for XML, 22032 for JSON, 54000 for size and depth.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/parse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "lib/stringinfo.h"

#include "definition/definition.h"
#include "definition/definition_internal.h"
#include "definition/s3_configuration.h"
#include "guc.h"
#include "common/text_escape.h"
#include "common/url.h"

/*---- Local helpers ----*/

static void append_list(StringInfo buf, List *strings, const char *sep);


/*---- Credentials ----*/

/*
 * definition_set_secrets
 *		Put the credentials stored apart back into a definition parsed from
 *		its stored (masked) document: the URL password of an <http> action,
 *		the secret key of an <sqs> or <sns> action with <accessKey>.  NULL leaves a
 *		value as it is.
 */
void
definition_set_secrets(NotifyDefinition *def, const char *url_password,
					   const char *sqs_secret)
{
	NotifyAction *a = &def->action;

	if (a->kind == NA_HTTP && url_password != NULL && a->url_password != NULL)
	{
		a->url = definition_url_set_password(a->url, url_password, NULL);
		a->url_password = pstrdup(url_password);
	}
	if ((a->kind == NA_SQS || a->kind == NA_SNS) && sqs_secret != NULL &&
		a->sqs_access_key != NULL)
		a->sqs_secret = pstrdup(sqs_secret);
}


/*---- Entry point ----*/

/*
 * definition_parse
 *		Read, validate and normalize a NotificationDocument (XML or JSON,
 *		len bytes of text, not necessarily NUL-terminated) for a
 *		notification of the given resource.
 *
 * Returns a NotifyDefinition palloc'd in CurrentMemoryContext, with the
 * canonical tree in def->doc.  Every problem is an ereport(ERROR); see the
 * file header for the SQLSTATEs.  The canonical XML must itself fit in
 * notify_ext.max_document_size, so that a stored document can always be
 * read back under the same setting.
 */
NotifyDefinition *
definition_parse(NotifyResource resource, const char *text, int len)
{
	NotifyDefinition *def;
	DocNode    *doc;
	DocNode    *canon;
	Slot		slots[] = {
		{"action", false, false, NULL},
		{"trigger", false, false, NULL},
	};
	int			canon_len;

	if ((int) resource < 0 || resource >= NR_COUNT)
		elog(ERROR, "invalid notification resource %d", (int) resource);

	doc = document_read(text, len);

	def = palloc0(sizeof(NotifyDefinition));
	def->resource = resource;
	def->action.retry = DEFAULT_RETRY;
	def->action.timeout_s = DEFAULT_TIMEOUT_S;
	def->action.content_type = NCT_TEXT;
	def->trigger.job_step = -1;

	defn_match_slots(doc, slots, lengthof(slots));
	if (slots[0].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <action> in <NotificationDocument>"),
				 errdetail("A NotificationDocument holds exactly one <action> and one <trigger>.")));
	if (slots[1].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <trigger> in <NotificationDocument>"),
				 errdetail("A NotificationDocument holds exactly one <action> and one <trigger>.")));

	canon = defn_node_new("NotificationDocument", NULL, false);
	canon->children = lappend(canon->children,
							  defn_parse_action(slots[0].node, &def->action));
	canon->children = lappend(canon->children,
							  defn_parse_trigger(slots[1].node, def));
	def->doc = canon;

	/* an S3 event message describes an object: only file events have one */
	if (NCT_IS_S3(def->action.content_type) &&
		s3_event_name_of(def->trigger.event_id) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("content type %s cannot be used for trigger event %s",
						content_type_name(def->action.content_type),
						def->trigger.event),
				 errdetail("S3 event messages exist for the file events new, close, delete and lost.")));

	canon_len = strlen(document_to_xml(canon));
	if (canon_len > notify_ext_max_document_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("canonical NotificationDocument of %d bytes exceeds the limit of %d bytes",
						canon_len, notify_ext_max_document_size),
				 errhint("The limit is set by \"notify_ext.max_document_size\".")));

	return def;
}


/*---- Summary ----*/

/*
 * append_list
 *		Append the strings of a List joined by sep.
 */
static void
append_list(StringInfo buf, List *strings, const char *sep)
{
	ListCell   *lc;

	foreach(lc, strings)
	{
		if (lc != list_head(strings))
			appendStringInfoString(buf, sep);
		appendStringInfoString(buf, (const char *) lfirst(lc));
	}
}

/*
 * definition_summary
 *		One readable line for listings, e.g.
 *		metadata.modify [field=title,tags] -> http POST
 *		http://user:***@example.com/hook (application/json, retry 3,
 *		timeout 5s, group app)
 *
 * Credentials are masked: URL passwords and SQS secrets entirely, access
 * keys after their first four characters.  Returns a palloc'd string.
 */
char *
definition_summary(const NotifyDefinition *def)
{
	const NotifyTrigger *t = &def->trigger;
	const NotifyAction *a = &def->action;
	StringInfoData buf;
	List	   *filters = NIL;
	List	   *extras = NIL;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoString(&buf, t->event);

	/* trigger filters */
	if (t->md_fields != NIL)
	{
		StringInfoData f;

		initStringInfo(&f);
		appendStringInfoString(&f, "field=");
		foreach(lc, t->md_fields)
		{
			NotifyFieldFilter *ff = (NotifyFieldFilter *) lfirst(lc);

			if (lc != list_head(t->md_fields))
				appendStringInfoChar(&f, ',');
			if (ff->exclude)
				appendStringInfoChar(&f, '-');
			if (ff->path != NULL)
				appendStringInfo(&f, "%s/", ff->path);
			appendStringInfoString(&f, ff->name);
			if (ff->rename != NULL)
				appendStringInfo(&f, ":%s", ff->rename);
		}
		filters = lappend(filters, f.data);
	}
	if (t->md_generic_only)
		filters = lappend(filters, "interval=generic");
	else if (t->md_intervals != NIL)
	{
		StringInfoData f;

		initStringInfo(&f);
		appendStringInfoString(&f, "interval=");
		foreach(lc, t->md_intervals)
		{
			NotifyInterval *iv = (NotifyInterval *) lfirst(lc);
			double		b[2];
			int			i;

			b[0] = iv->start;
			b[1] = iv->end;
			if (lc != list_head(t->md_intervals))
				appendStringInfoChar(&f, ',');
			for (i = 0; i < 2; i++)
			{
				if (i == 1)
					appendStringInfoChar(&f, '-');
				if (isinf(b[i]))
					appendStringInfoString(&f, b[i] < 0 ? "-INF" : "+INF");
				else
					appendStringInfo(&f, "%g", b[i]);
			}
		}
		filters = lappend(filters, f.data);
	}
	if (t->md_languages != NIL)
	{
		StringInfoData f;

		initStringInfo(&f);
		appendStringInfoString(&f, "language=");
		append_list(&f, t->md_languages, ",");
		filters = lappend(filters, f.data);
	}
	if (t->md_tracks != NIL)
	{
		StringInfoData f;

		initStringInfo(&f);
		appendStringInfoString(&f, "track=");
		append_list(&f, t->md_tracks, ",");
		filters = lappend(filters, f.data);
	}
	if (t->placeholder)
		filters = lappend(filters, "placeholder");
	if (t->job_types != NIL)
	{
		StringInfoData f;

		initStringInfo(&f);
		appendStringInfoString(&f, "type=");
		append_list(&f, t->job_types, ",");
		filters = lappend(filters, f.data);
	}
	if (t->job_step >= 0)
		filters = lappend(filters, psprintf("step=%d", t->job_step));
	foreach(lc, t->job_data)
	{
		NotifyJobData *jd = (NotifyJobData *) lfirst(lc);

		filters = lappend(filters,
						  psprintf("jobdata%c%s%c%s", jd->is_regex ? '~' : '=',
								   jd->key, jd->is_regex ? '~' : '=',
								   jd->value));
	}
	if (t->content_filters != NIL)
	{
		StringInfoData f;

		initStringInfo(&f);
		appendStringInfoString(&f, "content=");
		append_list(&f, t->content_filters, ",");
		filters = lappend(filters, f.data);
	}
	if (t->file_storage != NULL)
		filters = lappend(filters, psprintf("storage=%s", t->file_storage));
	if (filters != NIL)
	{
		appendStringInfoString(&buf, " [");
		append_list(&buf, filters, "; ");
		appendStringInfoChar(&buf, ']');
	}

	/* action */
	appendStringInfoString(&buf, " -> ");
	switch (a->kind)
	{
		case NA_HTTP:
			appendStringInfo(&buf, "http %s %s", a->put ? "PUT" : "POST",
							 notify_url_mask(a->url, NOTIFY_MASK_AUTHORITY));
			break;
		case NA_SQS:
		case NA_SNS:
			if (a->kind == NA_SQS)
				appendStringInfo(&buf, "sqs %s at %s", a->sqs_queue,
								 notify_url_mask(a->sqs_endpoint, NOTIFY_MASK_AUTHORITY));
			else
				appendStringInfo(&buf, "sns %s at %s", a->sns_topic,
								 notify_url_mask(a->sqs_endpoint, NOTIFY_MASK_AUTHORITY));
			if (a->sqs_group_id != NULL)
				extras = lappend(extras, psprintf("message group %s", a->sqs_group_id));
			if (a->aws_role_arn != NULL)
				extras = lappend(extras, psprintf("role %s (not assumed)", a->aws_role_arn));
			if (a->sqs_region != NULL)
				extras = lappend(extras, psprintf("region %s", a->sqs_region));
			if (a->sqs_access_key != NULL)
				extras = lappend(extras,
								 psprintf("access key %s, secret ***",
										  defn_mask_access_key(a->sqs_access_key)));
			else if (a->sqs_secret != NULL)
				extras = lappend(extras,
								 psprintf("credential %s", a->sqs_secret));
			else
				extras = lappend(extras, "no credentials");
			break;
		case NA_FUNCTION:
			appendStringInfo(&buf, "function %s(jsonb)", a->function_name);
			break;
		case NA_CHANNEL:
			appendStringInfo(&buf, "channel %s", a->channel);
			break;
	}
	extras = lappend(extras, (char *) content_type_name(a->content_type));
	if (a->kind != NA_CHANNEL)
		extras = lappend(extras, psprintf("retry %d", a->retry));
	if (a->kind == NA_HTTP)
		extras = lappend(extras, a->timeout_s > 0 ?
						 psprintf("timeout %ds", a->timeout_s) :
						 "no timeout");
	if (a->synchronous)
		extras = lappend(extras, "synchronous");
	if (a->group != NULL)
		extras = lappend(extras, psprintf("group %s", a->group));
	appendStringInfoString(&buf, " (");
	append_list(&buf, extras, ", ");
	appendStringInfoChar(&buf, ')');

	return buf.data;
}
