/*-------------------------------------------------------------------------
 *
 * s3_configuration.c
 *	  S3 bucket notification configurations: the NotificationConfiguration
 *	  XML of S3's PUT /?notification, validated as S3 validates it, and the
 *	  S3 event names of file events.
 *
 * A configuration is read with libxml2 the way a NotificationDocument is
 * (notification_xml.c): NONET, no DTD (a <!DOCTYPE> stops the parser), the
 * text converted to UTF-8 for libxml2 and copied back into palloc'd
 * server-encoding strings before the xmlDoc is freed; the xmlDoc and the
 * parser context are freed on every path.  Root element
 * <NotificationConfiguration>, in S3's namespace (S3_NS) or in none; its
 * children QueueConfiguration, TopicConfiguration and
 * CloudFunctionConfiguration, each with an optional <Id>, its destination
 * ARN (<Queue>, <Topic>, <CloudFunction>), one or more <Event> and an
 * optional <Filter><S3Key><FilterRule><Name/><Value/></FilterRule>...
 *
 * Validation (every refusal ERRCODE_INVALID_PARAMETER_VALUE, nothing
 * stored by the caller):
 *	- event names are those of AWS and MinIO (s3_event_names[]), with the
 *	  documented "...:*" wildcards;
 *	- at most one prefix and one suffix rule; rule names prefix and suffix
 *	  (any case); values without "*";
 *	- Ids unique; a configuration without <Id> is given "Config-<n>", n its
 *	  position (1-based) in the document;
 *	- the overlap rules of S3: two configurations whose event types overlap
 *	  (same name, or a wildcard covering the other) must have prefixes that
 *	  no key can start with both of, or suffixes that no key can end with
 *	  both of; an absent filter is the empty one, which overlaps all.
 *	  The refusal names both Ids.
 *
 * Filter values are written as S3 wants them (space as "+", other special
 * characters percent-encoded); s3_filter_decode gives the raw key text
 * they match.  The overlap rules are applied to decoded values.
 *
 * Mapping of file events to S3 event names (s3_event_name_of):
 *	file.new ObjectCreated:Put, file.close ObjectCreated:CompleteMultipartUpload,
 *	file.delete ObjectRemoved:Delete, file.lost ReducedRedundancyLostObject;
 *	file.change and file.hash have no S3 counterpart (README.md says why).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/s3_configuration.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/xml.h"

#include "common/url.h"
#include "common/text_escape.h"
#include "definition/definition_internal.h"
#include "definition/notification_document.h"
#include "definition/s3_configuration.h"
#include "guc.h"

PG_FUNCTION_INFO_V1(notify_ext_bucket_configuration_entries);
PG_FUNCTION_INFO_V1(notify_ext_bucket_configuration_xml);
PG_FUNCTION_INFO_V1(notify_ext_bucket_destination_document);

/*---- Event names ----*/

/*
 * The event names a configuration may name: AWS's (user guide, event
 * types and destinations) and MinIO's additions (internal/event/name.go).
 */
static const char *const s3_event_names[] = {
	"s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post",
	"s3:ObjectCreated:Copy", "s3:ObjectCreated:CompleteMultipartUpload",
	"s3:ObjectCreated:PutRetention", "s3:ObjectCreated:PutLegalHold",
	"s3:ObjectCreated:PutTagging", "s3:ObjectCreated:DeleteTagging",
	"s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
	"s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRemoved:NoOP",
	"s3:ObjectRemoved:DeleteAllVersions",
	"s3:ObjectRestore:*", "s3:ObjectRestore:Post", "s3:ObjectRestore:Completed",
	"s3:ObjectRestore:Delete",
	"s3:ReducedRedundancyLostObject",
	"s3:Replication:*", "s3:Replication:OperationFailedReplication",
	"s3:Replication:OperationMissedThreshold",
	"s3:Replication:OperationReplicatedAfterThreshold",
	"s3:Replication:OperationNotTracked",
	"s3:Replication:OperationCompletedReplication",
	"s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
	"s3:LifecycleExpiration:DeleteMarkerCreated",
	"s3:LifecycleTransition", "s3:IntelligentTiering",
	"s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete",
	"s3:ObjectAcl:Put",
	"s3:ObjectAccessed:*", "s3:ObjectAccessed:Get", "s3:ObjectAccessed:Head",
	"s3:ObjectAccessed:GetRetention", "s3:ObjectAccessed:GetLegalHold",
	"s3:ObjectAccessed:Attributes",
	"s3:ObjectTransition:*", "s3:ObjectTransition:Failed",
	"s3:ObjectTransition:Complete",
	"s3:Scanner:*", "s3:Scanner:ManyVersions", "s3:Scanner:BigPrefix",
	"s3:Scanner:LargeVersions",
	"s3:LifecycleDelMarkerExpiration:Delete",
};

/*
 * s3_event_name_of
 *		The S3 event name (AWS spelling, without "s3:") of a file event, or
 *		NULL when it has none.  See the file banner.
 */
const char *
s3_event_name_of(NotifyEvent ev)
{
	switch (ev)
	{
		case NE_FILE_NEW:
			return "ObjectCreated:Put";
		case NE_FILE_CLOSE:
			return "ObjectCreated:CompleteMultipartUpload";
		case NE_FILE_DELETE:
			return "ObjectRemoved:Delete";
		case NE_FILE_LOST:
			return "ReducedRedundancyLostObject";
		default:
			return NULL;
	}
}

/*
 * s3_event_pattern_matches
 *		Does the configuration event pattern ("s3:ObjectCreated:*" or a
 *		name) cover the event name (both with "s3:")?
 */
bool
s3_event_pattern_matches(const char *pattern, const char *name)
{
	size_t		plen = strlen(pattern);

	if (strcmp(pattern, name) == 0)
		return true;
	return plen >= 2 && strcmp(pattern + plen - 2, ":*") == 0 &&
		strncmp(pattern, name, plen - 1) == 0;
}

/* Do two configuration event names or wildcards have a name in common? */
static bool
s3_events_overlap(const char *a, const char *b)
{
	return s3_event_pattern_matches(a, b) || s3_event_pattern_matches(b, a);
}

/* Is name one of s3_event_names[]? */
static bool
s3_event_known(const char *name)
{
	int			i;

	for (i = 0; i < lengthof(s3_event_names); i++)
	{
		if (strcmp(s3_event_names[i], name) == 0)
			return true;
	}
	return false;
}

/*---- Filter values ----*/

/*
 * s3_filter_decode
 *		The raw key text a filter value stands for: "+" is a space, "%XX" a
 *		byte.  Returns NULL when a "%" is not followed by two hex digits or
 *		the bytes are not valid in the server encoding.
 */
char *
s3_filter_decode(const char *value)
{
	int			n;
	char	   *raw = notify_form_decode(value, strlen(value), true, &n);

	if (raw == NULL || !pg_verifymbstr(raw, n, true))
		return NULL;
	return raw;
}

/* Does some key start with both a and b (one is a prefix of the other)? */
static bool
prefixes_overlap(const char *a, const char *b)
{
	size_t		la = strlen(a);
	size_t		lb = strlen(b);

	return strncmp(a, b, Min(la, lb)) == 0;
}

/* Does some key end with both a and b (one is a suffix of the other)? */
static bool
suffixes_overlap(const char *a, const char *b)
{
	size_t		la = strlen(a);
	size_t		lb = strlen(b);
	size_t		n = Min(la, lb);

	return strncmp(a + la - n, b + lb - n, n) == 0;
}

/*---- Reading ----*/

static const char *const kind_elements[] = {
	[S3D_QUEUE] = "QueueConfiguration",
	[S3D_TOPIC] = "TopicConfiguration",
	[S3D_FUNCTION] = "CloudFunctionConfiguration",
};
static const char *const arn_elements[] = {
	[S3D_QUEUE] = "Queue",
	[S3D_TOPIC] = "Topic",
	[S3D_FUNCTION] = "CloudFunction",
};

/* The name of an element, in the server encoding */
static char *
elem_name(xmlNodePtr elem)
{
	return document_utf8_to_server((const char *) elem->name,
								   xmlStrlen(elem->name));
}

/*
 * check_ns
 *		An element of a NotificationConfiguration is in S3's namespace or
 *		in none.
 */
static void
check_ns(xmlNodePtr elem)
{
	if (elem->ns != NULL && elem->ns->href != NULL &&
		xmlStrcmp(elem->ns->href, (const xmlChar *) S3_NS) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("element <%s> is not in the S3 namespace",
						notify_quote_value(elem_name(elem))),
				 errdetail("A NotificationConfiguration belongs to namespace \"%s\".",
						   S3_NS)));
}

/*
 * next_element
 *		The element child of parent following after (the first when after is
 *		NULL), or NULL.  Comments and processing instructions are skipped;
 *		other text than blanks between elements is an error.
 */
static xmlNodePtr
next_element(xmlNodePtr parent, xmlNodePtr after)
{
	xmlNodePtr	n = after ? after->next : parent->children;

	for (; n != NULL; n = n->next)
	{
		if (n->type == XML_ELEMENT_NODE)
		{
			check_ns(n);
			return n;
		}
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
			!defn_is_blank((const char *) n->content))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unexpected text in <%s>",
							notify_quote_value(elem_name(parent)))));
	}
	return NULL;
}

/*
 * leaf_text
 *		The trimmed text of a leaf element, in the server encoding; an
 *		element child is an error.
 */
static char *
leaf_text(xmlNodePtr elem)
{
	StringInfoData buf;
	xmlNodePtr	n;
	char	   *s;

	initStringInfo(&buf);
	for (n = elem->children; n != NULL; n = n->next)
	{
		if (n->type == XML_ELEMENT_NODE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unexpected element <%s> in <%s>",
							notify_quote_value(elem_name(n)),
							notify_quote_value(elem_name(elem)))));
		if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
			n->content != NULL)
			appendStringInfoString(&buf, (const char *) n->content);
	}
	s = document_utf8_to_server(buf.data, buf.len);
	return defn_trim_copy(s);
}

/* Is elem named name? */
static bool
is_named(xmlNodePtr elem, const char *name)
{
	return xmlStrcmp(elem->name, (const xmlChar *) name) == 0;
}

/* ERROR: element child of parent where it does not belong */
static void
unexpected(xmlNodePtr parent, xmlNodePtr child)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unexpected element <%s> in <%s>",
					notify_quote_value(elem_name(child)),
					notify_quote_value(elem_name(parent)))));
}

/*
 * read_filter
 *		<Filter><S3Key><FilterRule>... of configuration e (position pos, for
 *		messages before its Id is known: e->id may still be NULL).
 */
static void
read_filter(xmlNodePtr filter, S3ConfigEntry *e, const char *where)
{
	xmlNodePtr	key = NULL;
	xmlNodePtr	c;

	for (c = next_element(filter, NULL); c; c = next_element(filter, c))
	{
		if (!is_named(c, "S3Key") || key != NULL)
			unexpected(filter, c);
		key = c;
	}
	if (key == NULL)
		return;
	for (c = next_element(key, NULL); c; c = next_element(key, c))
	{
		xmlNodePtr	f;
		char	   *name = NULL;
		char	   *value = NULL;

		if (!is_named(c, "FilterRule"))
			unexpected(key, c);
		for (f = next_element(c, NULL); f; f = next_element(c, f))
		{
			if (is_named(f, "Name") && name == NULL)
				name = leaf_text(f);
			else if (is_named(f, "Value") && value == NULL)
				value = leaf_text(f);
			else
				unexpected(c, f);
		}
		if (name == NULL || value == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("incomplete filter rule in configuration \"%s\"",
							notify_quote_value(where)),
					 errdetail("A <FilterRule> has one <Name> and one <Value>.")));
		if (strchr(value, '*') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid filter value \"%s\" in configuration \"%s\"",
							notify_quote_value(value), notify_quote_value(where)),
					 errdetail("Filter values cannot contain wildcards (*): a prefix or suffix is matched literally.")));
		if (s3_filter_decode(value) == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid filter value \"%s\" in configuration \"%s\"",
							notify_quote_value(value), notify_quote_value(where)),
					 errdetail("A \"%%\" is followed by two hexadecimal digits, and the decoded value is valid text.")));
		if (pg_strcasecmp(name, "prefix") == 0)
		{
			if (e->prefix != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("configuration \"%s\" has more than one prefix rule",
								notify_quote_value(where)),
						 errdetail("A configuration has at most one prefix and one suffix rule.")));
			e->prefix = value;
		}
		else if (pg_strcasecmp(name, "suffix") == 0)
		{
			if (e->suffix != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("configuration \"%s\" has more than one suffix rule",
								notify_quote_value(where)),
						 errdetail("A configuration has at most one prefix and one suffix rule.")));
			e->suffix = value;
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid filter rule name \"%s\" in configuration \"%s\"",
							notify_quote_value(name), notify_quote_value(where)),
					 errdetail("A filter rule is named prefix or suffix.")));
	}
}

/*
 * read_entry
 *		One <...Configuration> element of kind at position pos (1-based).
 */
static S3ConfigEntry *
read_entry(xmlNodePtr elem, S3DestinationKind kind, int pos)
{
	S3ConfigEntry *e = palloc0(sizeof(S3ConfigEntry));
	xmlNodePtr	c;
	xmlNodePtr	filter = NULL;
	char	   *where;

	e->kind = kind;
	for (c = next_element(elem, NULL); c; c = next_element(elem, c))
	{
		if (is_named(c, "Id") && e->id == NULL)
			e->id = leaf_text(c);
		else if (is_named(c, arn_elements[kind]) && e->arn == NULL)
			e->arn = leaf_text(c);
		else if (is_named(c, "Event"))
		{
			char	   *ev = leaf_text(c);
			ListCell   *lc;
			bool		dup = false;

			if (!s3_event_known(ev))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid event \"%s\" in <%s>",
								notify_quote_value(ev), kind_elements[kind]),
						 errdetail("Events are S3 event names such as s3:ObjectCreated:Put or s3:ObjectRemoved:*.")));
			foreach(lc, e->events)
				dup |= (strcmp(lfirst(lc), ev) == 0);
			if (!dup)
				e->events = lappend(e->events, ev);
		}
		else if (is_named(c, "Filter") && filter == NULL)
			filter = c;
		else
			unexpected(elem, c);
	}
	if (e->id == NULL || e->id[0] == '\0')
		e->id = psprintf("Config-%d", pos);
	where = e->id;
	if (e->arn == NULL || e->arn[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration \"%s\" has no <%s>",
						notify_quote_value(where), arn_elements[kind]),
				 errdetail("Each configuration names one destination ARN.")));
	if (e->events == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("configuration \"%s\" has no <Event>",
						notify_quote_value(where)),
				 errdetail("Each configuration names one or more event types.")));
	if (filter != NULL)
		read_filter(filter, e, where);
	return e;
}

/*
 * read_configuration
 *		The entries of a parsed NotificationConfiguration root element.
 */
static List *
read_configuration(xmlNodePtr root)
{
	List	   *entries = NIL;
	xmlNodePtr	c;
	int			pos = 0;

	if (!is_named(root, "NotificationConfiguration"))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected root element <%s>",
						notify_quote_value(elem_name(root))),
				 errdetail("The root element must be <NotificationConfiguration>.")));
	check_ns(root);
	for (c = next_element(root, NULL); c; c = next_element(root, c))
	{
		int			k;

		for (k = 0; k < lengthof(kind_elements); k++)
		{
			if (is_named(c, kind_elements[k]))
				break;
		}
		if (k == lengthof(kind_elements))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unexpected element <%s> in <NotificationConfiguration>",
							notify_quote_value(elem_name(c))),
					 errdetail("Its elements are QueueConfiguration, TopicConfiguration and CloudFunctionConfiguration.")));
		entries = lappend(entries, read_entry(c, (S3DestinationKind) k, ++pos));
	}
	return entries;
}

/*
 * validate_entries
 *		Unique Ids and S3's overlap rules (see the file banner).
 */
static void
validate_entries(List *entries)
{
	ListCell   *la;

	foreach(la, entries)
	{
		S3ConfigEntry *a = lfirst(la);
		char	   *ap = a->prefix ? s3_filter_decode(a->prefix) : "";
		char	   *as = a->suffix ? s3_filter_decode(a->suffix) : "";
		ListCell   *lb;

		for_each_cell(lb, entries, lnext(entries, la))
		{
			S3ConfigEntry *b = lfirst(lb);
			char	   *bp = b->prefix ? s3_filter_decode(b->prefix) : "";
			char	   *bs = b->suffix ? s3_filter_decode(b->suffix) : "";
			ListCell   *ea;
			const char *eva = NULL;
			const char *evb = NULL;

			if (strcmp(a->id, b->id) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("configuration Id \"%s\" is used twice",
								notify_quote_value(a->id)),
						 errdetail("Each configuration of a bucket has its own Id.")));

			foreach(ea, a->events)
			{
				ListCell   *eb;

				foreach(eb, b->events)
				{
					if (eva == NULL && s3_events_overlap(lfirst(ea), lfirst(eb)))
					{
						eva = lfirst(ea);
						evb = lfirst(eb);
					}
				}
			}
			if (eva == NULL)
				continue;
			if (prefixes_overlap(ap, bp) && suffixes_overlap(as, bs))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("configurations \"%s\" and \"%s\" overlap",
								notify_quote_value(a->id),
								notify_quote_value(b->id)),
						 errdetail("Their event types overlap (%s and %s) and some key can match both of their filters (prefix \"%s\" and \"%s\", suffix \"%s\" and \"%s\"; a missing filter matches every key).",
								   eva, evb,
								   notify_quote_value(ap), notify_quote_value(bp),
								   notify_quote_value(as), notify_quote_value(bs)),
						 errhint("Give them prefixes that no key can start with both of, suffixes that no key can end with both of, or event types that do not overlap.")));
		}
	}
}

/*
 * configuration_root
 *		notify_xml_parse callback of s3_configuration_parse (arg: List **):
 *		read the entries under the root element.
 */
static void
configuration_root(xmlNodePtr root, void *arg)
{
	*(List **) arg = read_configuration(root);
}

/*
 * s3_configuration_parse
 *		Read and validate a NotificationConfiguration (len bytes of XML in
 *		the server encoding, not necessarily NUL-terminated).
 *
 * Returns the entries (S3ConfigEntry *) in document order, NIL for an
 * empty configuration, palloc'd in CurrentMemoryContext.  Every problem
 * is an ereport(ERROR): ERRCODE_INVALID_XML_DOCUMENT for what is not
 * well-formed XML or has a DTD, ERRCODE_PROGRAM_LIMIT_EXCEEDED above
 * notify_ext.max_document_size, else ERRCODE_INVALID_PARAMETER_VALUE.
 * The xmlDoc and the parser context are freed on every path.
 */
List *
s3_configuration_parse(const char *text, int len)
{
	List	   *entries = NIL;

	if (len > notify_ext_max_document_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationConfiguration of %d bytes exceeds the limit of %d bytes",
						len, notify_ext_max_document_size),
				 errhint("The limit is set by \"notify_ext.max_document_size\".")));
	notify_xml_parse(text, len, "NotificationConfiguration", true,
					 configuration_root, &entries);
	validate_entries(entries);
	return entries;
}

/*---- Writing ----*/

/* Append <name>text</name>, text escaped as XML character data */
static void
append_leaf(StringInfo buf, const char *name, const char *text)
{
	const unsigned char *s = (const unsigned char *) text;

	appendStringInfo(buf, "<%s>", name);
	while (*s)
	{
		int			l = pg_mblen((const char *) s);

		notify_xml_escape_char(buf, *s, (const char *) s, l, NOTIFY_XML_DOC_TEXT);
		s += l;
	}
	appendStringInfo(buf, "</%s>", name);
}

/*
 * s3_configuration_to_xml
 *		The canonical NotificationConfiguration of entries: S3's namespace,
 *		no whitespace, the configurations and their events in the order
 *		given, Id always present, the prefix rule before the suffix rule.
 *		NIL gives the empty configuration.  Returns a palloc'd string.
 */
char *
s3_configuration_to_xml(List *entries)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	if (entries == NIL)
	{
		appendStringInfoString(&buf, "<NotificationConfiguration xmlns=\"" S3_NS "\"/>");
		return buf.data;
	}
	appendStringInfoString(&buf, "<NotificationConfiguration xmlns=\"" S3_NS "\">");
	foreach(lc, entries)
	{
		S3ConfigEntry *e = lfirst(lc);
		ListCell   *ev;

		appendStringInfo(&buf, "<%s>", kind_elements[e->kind]);
		append_leaf(&buf, "Id", e->id);
		append_leaf(&buf, arn_elements[e->kind], e->arn);
		foreach(ev, e->events)
			append_leaf(&buf, "Event", lfirst(ev));
		if (e->prefix || e->suffix)
		{
			appendStringInfoString(&buf, "<Filter><S3Key>");
			if (e->prefix)
			{
				appendStringInfoString(&buf, "<FilterRule><Name>prefix</Name>");
				append_leaf(&buf, "Value", e->prefix);
				appendStringInfoString(&buf, "</FilterRule>");
			}
			if (e->suffix)
			{
				appendStringInfoString(&buf, "<FilterRule><Name>suffix</Name>");
				append_leaf(&buf, "Value", e->suffix);
				appendStringInfoString(&buf, "</FilterRule>");
			}
			appendStringInfoString(&buf, "</S3Key></Filter>");
		}
		appendStringInfo(&buf, "</%s>", kind_elements[e->kind]);
	}
	appendStringInfoString(&buf, "</NotificationConfiguration>");
	return buf.data;
}

/*---- SQL ----*/

/*
 * notify_ext_bucket_configuration_entries
 *		notify.bucket_configuration_entries(configuration text) returns
 *		table (position, configuration_id, kind, arn, events text[], prefix,
 *		suffix, file_events text[]): the validated configurations, prefix
 *		and suffix decoded ('' for none), file_events the file events
 *		("file.new", ...) whose S3 event name one of events covers.
 *		STRICT; errors as s3_configuration_parse.
 */
Datum
notify_ext_bucket_configuration_entries(PG_FUNCTION_ARGS)
{
	text	   *conf = PG_GETARG_TEXT_PP(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *entries;
	ListCell   *lc;
	int			pos = 0;

	InitMaterializedSRF(fcinfo, 0);
	entries = s3_configuration_parse(VARDATA_ANY(conf), VARSIZE_ANY_EXHDR(conf));
	foreach(lc, entries)
	{
		S3ConfigEntry *e = lfirst(lc);
		Datum		values[8];
		bool		nulls[8] = {0};
		Datum	   *evs;
		Datum		fevs[NE_COUNT];
		int			nfev = 0;
		int			n = 0;
		int			ev;
		ListCell   *el;

		evs = palloc(sizeof(Datum) * list_length(e->events));
		foreach(el, e->events)
			evs[n++] = CStringGetTextDatum(lfirst(el));
		for (ev = 0; ev < NE_COUNT; ev++)
		{
			const char *name = s3_event_name_of((NotifyEvent) ev);
			char	   *full;
			bool		hit = false;

			if (name == NULL)
				continue;
			full = psprintf("s3:%s", name);
			foreach(el, e->events)
				hit |= s3_event_pattern_matches(lfirst(el), full);
			if (hit)
				fevs[nfev++] = CStringGetTextDatum(event_name((NotifyEvent) ev));
		}

		values[0] = Int32GetDatum(++pos);
		values[1] = CStringGetTextDatum(e->id);
		values[2] = CStringGetTextDatum(kind_elements[e->kind]);
		values[3] = CStringGetTextDatum(e->arn);
		values[4] = PointerGetDatum(construct_array(evs, n, TEXTOID, -1, false,
													TYPALIGN_INT));
		values[5] = CStringGetTextDatum(e->prefix ? s3_filter_decode(e->prefix) : "");
		values[6] = CStringGetTextDatum(e->suffix ? s3_filter_decode(e->suffix) : "");
		values[7] = PointerGetDatum(construct_array(fevs, nfev, TEXTOID, -1, false,
													TYPALIGN_INT));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * notify_ext_bucket_configuration_xml
 *		notify.bucket_configuration_xml(configuration text) returns text:
 *		the canonical form (s3_configuration_to_xml) of a valid
 *		configuration.  STRICT; errors as s3_configuration_parse.
 */
Datum
notify_ext_bucket_configuration_xml(PG_FUNCTION_ARGS)
{
	text	   *conf = PG_GETARG_TEXT_PP(0);
	List	   *entries;

	entries = s3_configuration_parse(VARDATA_ANY(conf), VARSIZE_ANY_EXHDR(conf));
	PG_RETURN_TEXT_P(cstring_to_text(s3_configuration_to_xml(entries)));
}

/*
 * notify_ext_bucket_destination_document
 *		notify.bucket_destination_document(action text, storage_id text,
 *		event text) returns text: the NotificationDocument of a bucket
 *		notification, <action>action</action> with trigger <file><event/>
 *		<storage>storage_id</storage></file>.  action is one action element
 *		(<http>, <sqs>, ...) in XML; without a <contentType> it is given
 *		application/x-s3-event+json, and any other content type than the
 *		two S3 event ones is refused (ERRCODE_INVALID_PARAMETER_VALUE).
 *		The result still holds the action's credentials: it is for
 *		notify.store_notification, which masks them.  STRICT.
 */
Datum
notify_ext_bucket_destination_document(PG_FUNCTION_ARGS)
{
	char	   *action = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *storage = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *event = text_to_cstring(PG_GETARG_TEXT_PP(2));
	StringInfoData buf;
	DocNode    *root;
	ListCell   *lc;
	int			ev = event_lookup(event);

	if (ev < 0 || notify_events[ev].resource != NR_FILE)
		elog(ERROR, "not a file event: \"%s\"", event);

	/* the trigger is ours; the action is only wrapped, read below */
	initStringInfo(&buf);
	appendStringInfo(&buf, "<NotificationDocument xmlns=\"%s\"><action>%s</action>"
					 "<trigger><file><%s/><storage></storage></file></trigger>"
					 "</NotificationDocument>",
					 VIDISPINE_NS, action, notify_events[ev].event);
	root = document_read(buf.data, buf.len);

	foreach(lc, root->children)
	{
		DocNode    *n = lfirst(lc);
		ListCell   *kc;

		if (strcmp(n->name, "action") == 0)
		{
			foreach(kc, n->children)
			{
				DocNode    *kind = lfirst(kc);
				ListCell   *cc;
				bool		has_ct = false;

				if (kind->is_attr)
					continue;
				foreach(cc, kind->children)
				{
					DocNode    *c = lfirst(cc);
					int			ct;

					if (c->is_attr || strcmp(c->name, "contentType") != 0)
						continue;
					has_ct = true;
					ct = c->text ? content_type_lookup(defn_trim_copy(c->text)) : -1;
					if (ct < 0 || !NCT_IS_S3(ct))
						ereport(ERROR,
								(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
								 errmsg("a bucket destination's action must send S3 event messages"),
								 errdetail("Its contentType is application/x-s3-event+json (the default) or application/x-minio-event+json.")));
				}
				if (!has_ct)
					defn_node_add(kind, "contentType", content_type_name(NCT_S3_EVENT), false);
			}
		}
		else if (strcmp(n->name, "trigger") == 0)
		{
			DocNode    *file = linitial(n->children);
			DocNode    *st = llast(file->children);

			st->text = storage;
		}
	}
	PG_RETURN_TEXT_P(cstring_to_text(document_to_xml(root)));
}
