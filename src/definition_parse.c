/*-------------------------------------------------------------------------
 *
 * definition_parse.c
 *	  Validate a NotificationDocument and turn it into a NotifyDefinition
 *	  with a canonical document tree.
 *
 * definition_parse() reads the text with document_read() (document.c),
 * checks every element against the action and trigger reference and
 * fills a NotifyDefinition.  It is pure: no catalog access and no I/O, so
 * the cache, the SQL API and the tests can all call it; checks that need
 * the catalog (does the <function> exist?) belong to the caller.
 *
 * The canonical tree (def->doc) is what gets stored.  It is rebuilt from
 * scratch, never edited in place, which gives:
 *	- a fixed element order: synchronous and group attributes, then the
 *	  action's elements in the order of the tables below; resource
 *	  element, event element, then the event's parameters;
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
 * plus those of document_read() (document.c) for the document's form:
 * 2200M/2200N for XML, 22032 for JSON, 54000 for size and depth.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition_parse.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <limits.h>
#include <math.h>

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/formatting.h"
#include "utils/varlena.h"

#include "definition.h"
#include "guc.h"

/*---- Limits ----*/

#define MAX_RETRY			100
#define MAX_TIMEOUT_S		86400
#define DEFAULT_RETRY		3
#define DEFAULT_TIMEOUT_S	30
#define MAX_GROUP_LEN		63
#define MAX_QUEUE_LEN		80
#define MAX_ALIAS_LEN		63
#define MAX_ACCESS_KEY_LEN	128

/*---- Names ----*/

static const char *const resource_names[NR_COUNT] = {
	"item", "collection", "document", "group", "job", "storage", "file",
	"quota", "deletion-lock"
};

static const char *const content_filter_names[] = {
	"jobId", "jobState", "user", "startTime", "jobType", "jobData",
	"errorMessage", "itemId", "totalSteps", "currentStep", NULL
};

/*
 * Which parameters sit next to the event element inside a resource
 * element of <trigger>.
 */
typedef enum TriggerSiblings
{
	TS_NONE,
	TS_JOB,						/* placeholder, filter, contentFilters */
	TS_FILE						/* storage */
} TriggerSiblings;

/* One element allowed directly inside <trigger> */
typedef struct TriggerElement
{
	const char *name;			/* element inside <trigger> */
	NotifyResource resource;	/* resource the notification must belong to */
	const char *const *events;	/* NULL-terminated event element names */
	const char *md_event;		/* event taking metadata parameters, or NULL */
	TriggerSiblings siblings;
} TriggerElement;

static const char *const ev_create_delete[] = {"create", "delete", NULL};
static const char *const ev_modify[] = {"modify", NULL};
static const char *const ev_access[] = {"create", "delete", "change", NULL};
static const char *const ev_create_modify_delete[] = {"create", "modify", "delete", NULL};
static const char *const ev_create_delete_modify[] = {"create", "delete", "modify", NULL};
static const char *const ev_job[] = {"create", "stop", "update", "finished", "fail", NULL};
static const char *const ev_storage[] = {"create", "delete", "filename", NULL};
static const char *const ev_file[] = {"new", "change", "close", "delete", "hash", "lost", NULL};
static const char *const ev_quota[] = {"warning", "create", "delete", NULL};
static const char *const ev_lock[] = {"create", "modify", "delete", "expire", "effective", NULL};

/*
 * Every trigger of the reference.  <collection> additionally holds
 * <metadata><modify/></metadata> (collection.metadata.modify) and <quota>
 * accepts <created/> for <create/>; both are handled in parse_trigger.
 */
static const TriggerElement trigger_elements[] = {
	{"item", NR_ITEM, ev_create_delete, NULL, TS_NONE},
	{"metadata", NR_ITEM, ev_modify, "modify", TS_NONE},
	{"access", NR_ITEM, ev_access, NULL, TS_NONE},
	{"shape", NR_ITEM, ev_create_modify_delete, NULL, TS_NONE},
	{"collection", NR_COLLECTION, ev_create_delete_modify, NULL, TS_NONE},
	{"document", NR_DOCUMENT, ev_create_delete_modify, "modify", TS_NONE},
	{"group", NR_GROUP, ev_create_delete_modify, NULL, TS_NONE},
	{"job", NR_JOB, ev_job, NULL, TS_JOB},
	{"storage", NR_STORAGE, ev_storage, NULL, TS_NONE},
	{"file", NR_FILE, ev_file, NULL, TS_FILE},
	{"quota", NR_QUOTA, ev_quota, NULL, TS_NONE},
	{"deletionLock", NR_DELETION_LOCK, ev_lock, NULL, TS_NONE},
};

#define TRIGGER_ELEMENT_LIST \
	"item, metadata, access, shape, collection, document, group, job, storage, file, quota and deletionLock"

/*
 * One expected child of an element.  match_slots() fills node with the
 * first child of that name; repeatable children are walked by the caller.
 */
typedef struct Slot
{
	const char *name;
	bool		attr;			/* XML attribute; a plain key in JSON */
	bool		repeat;			/* may occur more than once */
	DocNode    *node;
} Slot;

/*---- Local helpers ----*/

static DocNode *node_new(const char *name, const char *text, bool is_attr);
static DocNode *node_add(DocNode *parent, const char *name, const char *text,
						 bool is_attr);
static char *trim_copy(const char *s);
static bool is_blank(const char *s);
static char *join_names(const Slot *slots, int nslots);
static char *where(const DocNode *node, const DocNode *parent);
static void check_no_text(const DocNode *node);
static void unexpected_child(const DocNode *parent, const DocNode *child,
							 const char *detail) pg_attribute_noreturn();
static void match_slots(const DocNode *parent, Slot *slots, int nslots);
static char *leaf_text(const DocNode *node);
static void check_empty(const DocNode *node);
static bool parse_uint(const char *s, int *result);
static bool matches_charset(const char *s, const char *extra, bool alnum);
static char *mask_url_loose(const char *url);
static char *mask_access_key(const char *key);
static bool parse_bool_value(const DocNode *node, const DocNode *parent);
static char *check_url(const char *url, const DocNode *node,
					   const DocNode *parent, bool endpoint);
static void parse_common(const DocNode *kind, Slot *slots, NotifyAction *act,
						 DocNode *canon);
static void parse_retry(const DocNode *kind, const Slot *slot,
						NotifyAction *act, DocNode *canon);
static void parse_content_type(const DocNode *kind, const Slot *slot,
							   NotifyAction *act, DocNode *canon);
static DocNode *parse_http(const DocNode *kind, NotifyAction *act);
static DocNode *parse_sqs(const DocNode *kind, NotifyAction *act);
static DocNode *parse_function(const DocNode *kind, NotifyAction *act);
static DocNode *parse_channel(const DocNode *kind, NotifyAction *act);
static DocNode *parse_action(const DocNode *action, NotifyAction *act);
static char *sqs_region_of_host(const char *host);
static void check_regex(const char *re, const DocNode *node,
						const DocNode *parent);
static void parse_md_params(const DocNode *event, NotifyTrigger *trig,
							DocNode *canon);
static char *parse_field_list(const char *value, const DocNode *node,
							  const DocNode *parent, NotifyTrigger *trig);
static char *parse_interval_list(const char *value, const DocNode *node,
								 const DocNode *parent, NotifyTrigger *trig);
static char *parse_simple_list(const char *value, const DocNode *node,
							   const DocNode *parent, bool track,
							   List **result);
static void parse_job_siblings(const DocNode *res, Slot *slots,
							   NotifyTrigger *trig, DocNode *canon);
static DocNode *parse_trigger(const DocNode *trigger, NotifyDefinition *def);
static void append_list(StringInfo buf, List *strings, const char *sep);


/*---- Names ----*/

/*
 * resource_from_name
 *		Map 'item', 'collection', ... 'deletion-lock' to a NotifyResource.
 *		Unknown names are an ERROR (ERRCODE_INVALID_PARAMETER_VALUE).
 */
NotifyResource
resource_from_name(const char *name)
{
	int			i;

	for (i = 0; i < NR_COUNT; i++)
	{
		if (strcmp(name, resource_names[i]) == 0)
			return (NotifyResource) i;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid notification resource \"%s\"", name),
			 errhint("Valid resources are item, collection, document, group, job, storage, file, quota and deletion-lock.")));
	return NR_ITEM;				/* keep compiler quiet */
}

/*
 * resource_name
 *		SQL name of a resource ("deletion-lock" for NR_DELETION_LOCK).
 *		Returns a static string.
 */
const char *
resource_name(NotifyResource r)
{
	if ((int) r < 0 || r >= NR_COUNT)
		elog(ERROR, "invalid notification resource %d", (int) r);
	return resource_names[r];
}

/*
 * action_kind_name
 *		"http", "sqs", "function" or "channel".  Returns a static string.
 */
const char *
action_kind_name(NotifyActionKind kind)
{
	switch (kind)
	{
		case NA_HTTP:
			return "http";
		case NA_SQS:
			return "sqs";
		case NA_FUNCTION:
			return "function";
		case NA_CHANNEL:
			return "channel";
	}
	elog(ERROR, "invalid action kind %d", (int) kind);
	return NULL;				/* keep compiler quiet */
}

/*
 * content_type_name
 *		MIME type of a NotifyContentType.  Returns a static string.
 */
const char *
content_type_name(NotifyContentType ct)
{
	switch (ct)
	{
		case NCT_TEXT:
			return "text/plain";
		case NCT_XML:
			return "application/xml";
		case NCT_JSON:
			return "application/json";
	}
	elog(ERROR, "invalid content type %d", (int) ct);
	return NULL;				/* keep compiler quiet */
}

/*
 * definition_mask_url
 *		Copy of a URL with the password of its user information replaced by
 *		"***" (http://user:***@host/...).  Meant for URLs that passed
 *		validation; the result is palloc'd.
 */
char *
definition_mask_url(const char *url)
{
	const char *start = strstr(url, "://");
	const char *p;
	const char *at = NULL;
	const char *colon = NULL;
	StringInfoData buf;

	start = start ? start + 3 : url;
	for (p = start; *p && *p != '/' && *p != '?' && *p != '#'; p++)
	{
		if (*p == '@')
			at = p;
	}
	if (at == NULL)
		return pstrdup(url);
	for (p = start; p < at; p++)
	{
		if (*p == ':')
		{
			colon = p;
			break;
		}
	}
	if (colon == NULL)
		return pstrdup(url);

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, url, colon + 1 - url);
	appendStringInfoString(&buf, "***");
	appendStringInfoString(&buf, at);
	return buf.data;
}

/*
 * mask_url_loose
 *		Masking for URLs that failed validation, used in error messages:
 *		everything between the first ':' after the scheme and the last '@'
 *		is hidden, even when a password holds a '/' that puts the '@'
 *		outside the authority.  May hide more than needed, never less.
 */
static char *
mask_url_loose(const char *url)
{
	const char *start = strstr(url, "://");
	const char *at = strrchr(url, '@');
	const char *colon;
	StringInfoData buf;

	start = start ? start + 3 : url;
	if (at == NULL || at < start)
		return pstrdup(url);
	colon = memchr(start, ':', at - start);
	if (colon == NULL)
		return pstrdup(url);

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, url, colon + 1 - url);
	appendStringInfoString(&buf, "***");
	appendStringInfoString(&buf, at);
	return buf.data;
}

/*
 * mask_access_key
 *		First four characters of an access key followed by "***".
 */
static char *
mask_access_key(const char *key)
{
	return psprintf("%.4s***", key);
}


/*---- Tree helpers ----*/

/*
 * node_new / node_add
 *		Build the canonical tree; strings are copied, text may be NULL.
 *		node_add appends the new node to parent and returns it.
 */
static DocNode *
node_new(const char *name, const char *text, bool is_attr)
{
	DocNode    *node = palloc0(sizeof(DocNode));

	node->name = pstrdup(name);
	node->text = text ? pstrdup(text) : NULL;
	node->is_attr = is_attr;
	return node;
}

static DocNode *
node_add(DocNode *parent, const char *name, const char *text, bool is_attr)
{
	DocNode    *node = node_new(name, text, is_attr);

	parent->children = lappend(parent->children, node);
	return node;
}

/*
 * trim_copy
 *		palloc'd copy of s without leading and trailing XML white space;
 *		"" for NULL.
 */
static char *
trim_copy(const char *s)
{
	const char *end;

	if (s == NULL)
		return pstrdup("");
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' ||
					   end[-1] == '\n' || end[-1] == '\r'))
		end--;
	return pnstrdup(s, end - s);
}

/*
 * is_blank
 *		True when s is NULL or only white space.
 */
static bool
is_blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
	{
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	}
	return true;
}

/*
 * join_names
 *		"a, b and c" from the names of slots, for error details.
 */
static char *
join_names(const Slot *slots, int nslots)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < nslots; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, i == nslots - 1 ? " and " : ", ");
		appendStringInfoString(&buf, slots[i].name);
	}
	return buf.data;
}

/*
 * where
 *		"<retry> in <http>" or "attribute \"synchronous\" of <http>": how
 *		messages name one child.
 */
static char *
where(const DocNode *node, const DocNode *parent)
{
	if (node->is_attr)
		return psprintf("attribute \"%s\" of <%s>", node->name, parent->name);
	return psprintf("<%s> in <%s>", node->name, parent->name);
}

/*
 * check_no_text
 *		An element that holds elements must not hold text.  The text itself
 *		is not shown: it might be a misplaced credential.
 */
static void
check_no_text(const DocNode *node)
{
	if (!is_blank(node->text))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected text in <%s>", node->name),
				 errdetail("Element <%s> holds elements, not text.",
						   node->name)));
}

/*
 * unexpected_child
 *		Report child as not allowed in parent; detail may be NULL.
 */
static void
unexpected_child(const DocNode *parent, const DocNode *child,
				 const char *detail)
{
	if (child->is_attr)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected attribute \"%s\" on <%s>",
						child->name, parent->name),
				 detail ? errdetail_internal("%s", detail) : 0));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unexpected element \"%s\" in <%s>",
					child->name, parent->name),
			 detail ? errdetail_internal("%s", detail) : 0));
}

/*
 * match_slots
 *		Assign every child of parent to its slot.  A child without a slot,
 *		an attribute where only an element is allowed, a second occurrence
 *		of a non-repeatable child and text next to the children are
 *		errors.  A slot that allows an attribute also accepts an element of
 *		that name: JSON has no attributes.
 */
static void
match_slots(const DocNode *parent, Slot *slots, int nslots)
{
	ListCell   *lc;

	check_no_text(parent);
	foreach(lc, parent->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);
		Slot	   *slot = NULL;
		int			i;

		for (i = 0; i < nslots; i++)
		{
			if (strcmp(slots[i].name, child->name) == 0)
			{
				slot = &slots[i];
				break;
			}
		}
		if (slot == NULL || (child->is_attr && !slot->attr))
			unexpected_child(parent, child,
							 psprintf("Element <%s> may hold %s.",
									  parent->name,
									  join_names(slots, nslots)));
		if (slot->node != NULL && !slot->repeat)
		{
			if (child->is_attr || slot->node->is_attr)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate \"%s\" in <%s>",
								child->name, parent->name),
						 errdetail("\"%s\" is given both as attribute and as element.",
								   child->name)));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate element <%s> in <%s>",
							child->name, parent->name)));
		}
		if (slot->node == NULL)
			slot->node = child;
	}
}

/*
 * leaf_text
 *		Trimmed text of an element that must hold text only (palloc'd; ""
 *		when empty).
 */
static char *
leaf_text(const DocNode *node)
{
	if (node->children != NIL)
		unexpected_child(node, (DocNode *) linitial(node->children),
						 psprintf("Element <%s> holds text only.", node->name));
	return trim_copy(node->text);
}

/*
 * check_empty
 *		An event element must be empty.  JSON may spell empty as "", {},
 *		null or true, so text "true" counts as empty too.
 */
static void
check_empty(const DocNode *node)
{
	char	   *text;

	if (node->children != NIL)
		unexpected_child(node, (DocNode *) linitial(node->children),
						 psprintf("Element <%s> is empty.", node->name));
	text = trim_copy(node->text);
	if (text[0] != '\0' && strcmp(text, "true") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected text in <%s>", node->name),
				 errdetail("Element <%s> is empty; in JSON write it as \"\".",
						   node->name)));
}


/*---- Value checks ----*/

/*
 * parse_uint
 *		Decimal digits only, value at most INT_MAX.
 */
static bool
parse_uint(const char *s, int *result)
{
	int64		v = 0;

	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
		if (v > INT_MAX)
			return false;
	}
	*result = (int) v;
	return true;
}

/*
 * matches_charset
 *		True when s is non-empty and every character is an ASCII letter, a
 *		digit (when alnum) or one of extra.
 */
static bool
matches_charset(const char *s, const char *extra, bool alnum)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
	{
		char		c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			continue;
		if (alnum && c >= '0' && c <= '9')
			continue;
		if (c != '\0' && strchr(extra, c) != NULL)
			continue;
		return false;
	}
	return true;
}

/*
 * parse_bool_value
 *		"true" or "false", any case.
 */
static bool
parse_bool_value(const DocNode *node, const DocNode *parent)
{
	char	   *v = leaf_text(node);

	if (pg_strcasecmp(v, "true") == 0)
		return true;
	if (pg_strcasecmp(v, "false") == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value \"%s\" for %s", v, where(node, parent)),
			 errdetail("The value is \"true\" or \"false\".")));
	return false;				/* keep compiler quiet */
}

/*
 * check_url
 *		Validate an http or https URL with libcurl's URL parser; returns its
 *		host (palloc'd).  For an <sqs> endpoint (endpoint = true) user
 *		information, a path other than "/", a query and a fragment are
 *		refused as well.  The CURLU handle is freed on every path.
 */
static char *
check_url(const char *url, const DocNode *node, const DocNode *parent,
		  bool endpoint)
{
	CURLU	   *volatile h;
	char	   *volatile host = NULL;

	h = curl_url();
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));

	PG_TRY();
	{
		CURLUcode	rc;
		char	   *part = NULL;
		char	   *scheme;

		rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
		if (rc != CURLUE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid URL \"%s\" for %s",
							mask_url_loose(url), where(node, parent)),
					 errdetail("%s.", curl_url_strerror(rc))));

		rc = curl_url_get(h, CURLUPART_SCHEME, &part, 0);
		scheme = pstrdup((rc == CURLUE_OK && part) ? part : "");
		curl_free(part);
		part = NULL;
		if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unsupported URL scheme \"%s\" in \"%s\" for %s",
							scheme, mask_url_loose(url), where(node, parent)),
					 errdetail("Only http and https URLs are accepted.")));

		rc = curl_url_get(h, CURLUPART_HOST, &part, 0);
		host = pstrdup((rc == CURLUE_OK && part) ? part : "");
		curl_free(part);
		part = NULL;
		if (host[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("URL \"%s\" for %s has no host",
							mask_url_loose(url), where(node, parent))));

		if (endpoint)
		{
			bool		has_user;
			bool		has_query;
			bool		has_fragment;
			char	   *path;

			rc = curl_url_get(h, CURLUPART_USER, &part, 0);
			curl_free(part);
			part = NULL;
			has_user = (rc == CURLUE_OK);
			rc = curl_url_get(h, CURLUPART_QUERY, &part, 0);
			curl_free(part);
			part = NULL;
			has_query = (rc == CURLUE_OK);
			rc = curl_url_get(h, CURLUPART_FRAGMENT, &part, 0);
			curl_free(part);
			part = NULL;
			has_fragment = (rc == CURLUE_OK);
			rc = curl_url_get(h, CURLUPART_PATH, &part, 0);
			path = pstrdup((rc == CURLUE_OK && part) ? part : "");
			curl_free(part);
			part = NULL;

			if (has_user || has_query || has_fragment ||
				(path[0] != '\0' && strcmp(path, "/") != 0))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid SQS endpoint \"%s\" for %s",
								mask_url_loose(url), where(node, parent)),
						 errdetail("An endpoint URL has the form http(s)://host[:port], without user, path or query.")));
		}
	}
	PG_FINALLY();
	{
		curl_url_cleanup(h);
	}
	PG_END_TRY();

	return host;
}

/*
 * check_regex
 *		Compile re as a PostgreSQL advanced regular expression to prove it
 *		valid; ERRCODE_INVALID_REGULAR_EXPRESSION otherwise.
 */
static void
check_regex(const char *re, const DocNode *node, const DocNode *parent)
{
	regex_t		preg;
	pg_wchar   *wre;
	int			wlen;
	int			rc;
	char		errbuf[100];

	wre = (pg_wchar *) palloc((strlen(re) + 1) * sizeof(pg_wchar));
	wlen = pg_mb2wchar_with_len(re, wre, strlen(re));
	rc = pg_regcomp(&preg, wre, wlen, REG_ADVANCED, DEFAULT_COLLATION_OID);
	pfree(wre);
	if (rc == REG_OKAY)
	{
		pg_regfree(&preg);
		return;
	}
	pg_regerror(rc, &preg, errbuf, sizeof(errbuf));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_REGULAR_EXPRESSION),
			 errmsg("invalid regular expression \"%s\" for %s: %s",
					re, where(node, parent), errbuf)));
}


/*---- Actions ----*/

/*
 * parse_common
 *		The attributes every action has: synchronous (default false) and
 *		group.  slots[0] and slots[1] are their slots.
 */
static void
parse_common(const DocNode *kind, Slot *slots, NotifyAction *act,
			 DocNode *canon)
{
	act->synchronous = false;
	if (slots[0].node != NULL)
		act->synchronous = parse_bool_value(slots[0].node, kind);
	node_add(canon, "synchronous", act->synchronous ? "true" : "false", true);

	act->group = NULL;
	if (slots[1].node != NULL)
	{
		char	   *g = leaf_text(slots[1].node);

		if (strlen(g) > MAX_GROUP_LEN || !matches_charset(g, "_.-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid thread group \"%s\" for %s",
							g, where(slots[1].node, kind)),
					 errdetail("A group name has 1 to %d letters, digits, \"_\", \".\" or \"-\".",
							   MAX_GROUP_LEN)));
		act->group = g;
		node_add(canon, "group", g, true);
	}
}

/*
 * parse_retry
 *		Optional <retry>: 0 to 100 retries after the first attempt.
 */
static void
parse_retry(const DocNode *kind, const Slot *slot, NotifyAction *act,
			DocNode *canon)
{
	char	   *v;
	int			n;

	if (slot->node == NULL)
		return;
	v = leaf_text(slot->node);
	if (!parse_uint(v, &n) || n > MAX_RETRY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for %s", v,
						where(slot->node, kind)),
				 errdetail("The number of retries is an integer from 0 to %d.",
						   MAX_RETRY)));
	act->retry = n;
	node_add(canon, "retry", psprintf("%d", n), false);
}

/*
 * parse_content_type
 *		Optional <contentType>; always present in the canonical tree.
 */
static void
parse_content_type(const DocNode *kind, const Slot *slot, NotifyAction *act,
				   DocNode *canon)
{
	act->content_type = NCT_TEXT;
	if (slot->node != NULL)
	{
		char	   *v = leaf_text(slot->node);

		if (pg_strcasecmp(v, "text/plain") == 0)
			act->content_type = NCT_TEXT;
		else if (pg_strcasecmp(v, "application/xml") == 0)
			act->content_type = NCT_XML;
		else if (pg_strcasecmp(v, "application/json") == 0)
			act->content_type = NCT_JSON;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", v,
							where(slot->node, kind)),
					 errdetail("Supported content types are text/plain, application/xml and application/json.")));
	}
	node_add(canon, "contentType", content_type_name(act->content_type), false);
}

/*
 * parse_http
 *		<http synchronous group><url/><method/><timeout/><retry/>
 *		<contentType/></http>
 */
static DocNode *
parse_http(const DocNode *kind, NotifyAction *act)
{
	Slot		slots[] = {
		{"synchronous", true, false, NULL},
		{"group", true, false, NULL},
		{"url", false, false, NULL},
		{"method", false, false, NULL},
		{"timeout", false, false, NULL},
		{"retry", false, false, NULL},
		{"contentType", false, false, NULL},
	};
	DocNode    *canon = node_new("http", NULL, false);
	char	   *url;

	match_slots(kind, slots, lengthof(slots));
	act->kind = NA_HTTP;
	parse_common(kind, slots, act, canon);

	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <url> in <http>")));
	url = leaf_text(slots[2].node);
	if (url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("empty element <url> in <http>")));
	(void) check_url(url, slots[2].node, kind, false);
	act->url = url;
	node_add(canon, "url", url, false);

	act->put = false;
	if (slots[3].node != NULL)
	{
		char	   *m = leaf_text(slots[3].node);

		if (pg_strcasecmp(m, "POST") == 0)
			act->put = false;
		else if (pg_strcasecmp(m, "PUT") == 0)
			act->put = true;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", m,
							where(slots[3].node, kind)),
					 errdetail("Supported methods are POST and PUT.")));
		node_add(canon, "method", act->put ? "PUT" : "POST", false);
	}

	act->timeout_s = DEFAULT_TIMEOUT_S;
	if (slots[4].node != NULL)
	{
		char	   *t = leaf_text(slots[4].node);
		int			n;

		if (pg_strcasecmp(t, "none") == 0)
		{
			act->timeout_s = 0;
			node_add(canon, "timeout", "none", false);
		}
		else if (parse_uint(t, &n) && n <= MAX_TIMEOUT_S)
		{
			act->timeout_s = n;
			node_add(canon, "timeout", psprintf("%d", n), false);
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", t,
							where(slots[4].node, kind)),
					 errdetail("The timeout is a number of seconds from 0 to %d, or \"none\"; 0 and \"none\" mean no timeout.",
							   MAX_TIMEOUT_S)));
	}

	act->retry = DEFAULT_RETRY;
	parse_retry(kind, &slots[5], act, canon);
	parse_content_type(kind, &slots[6], act, canon);
	return canon;
}

/*
 * sqs_region_of_host
 *		"eu-west-1" for sqs.eu-west-1.amazonaws.com (or .amazonaws.com.cn),
 *		otherwise NULL.
 */
static char *
sqs_region_of_host(const char *host)
{
	char	   *h = asc_tolower(host, strlen(host));
	const char *suffixes[] = {".amazonaws.com", ".amazonaws.com.cn"};
	int			i;

	if (strncmp(h, "sqs.", 4) != 0)
		return NULL;
	for (i = 0; i < lengthof(suffixes); i++)
	{
		size_t		hl = strlen(h);
		size_t		sl = strlen(suffixes[i]);
		char	   *region;

		if (hl <= 4 + sl || strcmp(h + hl - sl, suffixes[i]) != 0)
			continue;
		region = pnstrdup(h + 4, hl - 4 - sl);
		if (matches_charset(region, "-", true))
			return region;
	}
	return NULL;
}

/*
 * parse_sqs
 *		<sqs synchronous group><endpoint/><queue/><region/><accessKey/>
 *		<secret/><retry/><contentType/></sqs>
 *
 * Without <accessKey>, <secret> is the alias of a row of
 * notify.aws_credential.  Secret values never appear in messages.
 */
static DocNode *
parse_sqs(const DocNode *kind, NotifyAction *act)
{
	Slot		slots[] = {
		{"synchronous", true, false, NULL},
		{"group", true, false, NULL},
		{"endpoint", false, false, NULL},
		{"queue", false, false, NULL},
		{"region", false, false, NULL},
		{"accessKey", false, false, NULL},
		{"secret", false, false, NULL},
		{"retry", false, false, NULL},
		{"contentType", false, false, NULL},
	};
	DocNode    *canon = node_new("sqs", NULL, false);
	char	   *endpoint;
	char	   *host;
	char	   *queue;
	char	   *derived;

	match_slots(kind, slots, lengthof(slots));
	act->kind = NA_SQS;
	parse_common(kind, slots, act, canon);

	/* endpoint: a host name, or an http(s)://host[:port] URL */
	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <endpoint> in <sqs>")));
	endpoint = leaf_text(slots[2].node);
	if (strstr(endpoint, "://") != NULL)
		host = check_url(endpoint, slots[2].node, kind, true);
	else
	{
		const char *p;
		bool		ok = strlen(endpoint) <= 253 &&
			matches_charset(endpoint, ".-", true) &&
			endpoint[0] != '.' && endpoint[strlen(endpoint) - 1] != '.';

		for (p = endpoint; ok && *p; p++)
		{
			if (p[0] == '.' && p[1] == '.')
				ok = false;
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid SQS endpoint \"%s\" for %s",
							mask_url_loose(endpoint),
							where(slots[2].node, kind)),
					 errdetail("An endpoint is a host name such as sqs.eu-west-1.amazonaws.com or an http(s)://host[:port] URL.")));
		host = endpoint;
	}
	act->sqs_endpoint = endpoint;
	node_add(canon, "endpoint", endpoint, false);

	if (slots[3].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <queue> in <sqs>")));
	queue = leaf_text(slots[3].node);
	{
		size_t		qlen = strlen(queue);
		char	   *base = queue;

		if (qlen > 5 && strcmp(queue + qlen - 5, ".fifo") == 0)
			base = pnstrdup(queue, qlen - 5);
		if (qlen > MAX_QUEUE_LEN || !matches_charset(base, "_-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid queue name \"%s\" for %s", queue,
							where(slots[3].node, kind)),
					 errdetail("A queue name has 1 to %d letters, digits, \"_\" or \"-\", optionally ending in \".fifo\".",
							   MAX_QUEUE_LEN)));
	}
	act->sqs_queue = queue;
	node_add(canon, "queue", queue, false);

	derived = sqs_region_of_host(host);
	act->sqs_region = derived;
	if (slots[4].node != NULL)
	{
		char	   *region = leaf_text(slots[4].node);

		if (strlen(region) > 32 || !matches_charset(region, "-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid region \"%s\" for %s", region,
							where(slots[4].node, kind)),
					 errdetail("A region name such as eu-west-1 has letters, digits and \"-\".")));
		if (derived != NULL && strcmp(derived, region) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("region \"%s\" does not match SQS endpoint \"%s\"",
							region, endpoint),
					 errdetail("The endpoint is in region \"%s\".", derived)));
		act->sqs_region = region;
		node_add(canon, "region", region, false);
	}

	act->sqs_access_key = NULL;
	act->sqs_secret = NULL;
	if (slots[5].node != NULL)
	{
		char	   *key = leaf_text(slots[5].node);

		if (strlen(key) > MAX_ACCESS_KEY_LEN || !matches_charset(key, "", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid access key \"%s\" for %s",
							mask_access_key(key), where(slots[5].node, kind)),
					 errdetail("An AWS access key id has 1 to %d letters and digits.",
							   MAX_ACCESS_KEY_LEN)));
		if (slots[6].node == NULL || is_blank(slots[6].node->text))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("element <accessKey> in <sqs> requires a <secret>"),
					 errdetail("With <accessKey>, <secret> holds the AWS secret access key.")));
		act->sqs_access_key = key;
		node_add(canon, "accessKey", key, false);
	}
	if (slots[6].node != NULL)
	{
		char	   *secret = leaf_text(slots[6].node);

		if (act->sqs_access_key != NULL)
		{
			const char *p;

			for (p = secret; *p; p++)
			{
				if ((unsigned char) *p <= ' ')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid secret key in <secret> of <sqs>"),
							 errdetail("A secret access key contains no white space or control characters.")));
			}
		}
		else if (strlen(secret) > MAX_ALIAS_LEN ||
				 !matches_charset(secret, "_.-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid credential alias in <secret> of <sqs>"),
					 errdetail("Without <accessKey>, <secret> names a credential stored with notify.set_aws_credential: 1 to %d letters, digits, \"_\", \".\" or \"-\".",
							   MAX_ALIAS_LEN)));
		act->sqs_secret = secret;
		node_add(canon, "secret", secret, false);
	}

	act->retry = DEFAULT_RETRY;
	parse_retry(kind, &slots[7], act, canon);
	parse_content_type(kind, &slots[8], act, canon);
	return canon;
}

/*
 * parse_function
 *		<function synchronous group><name/><retry/><contentType/></function>
 *
 * Only the syntax of the name is checked here; whether a function
 * name(jsonb) returning text exists is the caller's (catalog) check.
 */
static DocNode *
parse_function(const DocNode *kind, NotifyAction *act)
{
	Slot		slots[] = {
		{"synchronous", true, false, NULL},
		{"group", true, false, NULL},
		{"name", false, false, NULL},
		{"retry", false, false, NULL},
		{"contentType", false, false, NULL},
	};
	DocNode    *canon = node_new("function", NULL, false);
	char	   *name;
	char	   *copy;
	List	   *parts;

	match_slots(kind, slots, lengthof(slots));
	act->kind = NA_FUNCTION;
	parse_common(kind, slots, act, canon);

	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <name> in <function>")));
	name = leaf_text(slots[2].node);
	copy = pstrdup(name);
	if (name[0] == '\0' || !SplitIdentifierString(copy, '.', &parts) ||
		list_length(parts) < 1 || list_length(parts) > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid function name \"%s\" for %s", name,
						where(slots[2].node, kind)),
				 errdetail("The name is a function name, optionally qualified by its schema, such as public.on_event.")));
	act->function_name = name;
	node_add(canon, "name", name, false);

	act->retry = DEFAULT_RETRY;
	parse_retry(kind, &slots[3], act, canon);
	parse_content_type(kind, &slots[4], act, canon);
	return canon;
}

/*
 * parse_channel
 *		<channel synchronous group><name/><contentType/></channel>
 *
 * The name must work unquoted in LISTEN: a letter or '_', then letters,
 * digits, '_' or '$', at most NAMEDATALEN - 1 bytes.
 */
static DocNode *
parse_channel(const DocNode *kind, NotifyAction *act)
{
	Slot		slots[] = {
		{"synchronous", true, false, NULL},
		{"group", true, false, NULL},
		{"name", false, false, NULL},
		{"contentType", false, false, NULL},
	};
	DocNode    *canon = node_new("channel", NULL, false);
	char	   *name;

	match_slots(kind, slots, lengthof(slots));
	act->kind = NA_CHANNEL;
	parse_common(kind, slots, act, canon);

	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <name> in <channel>")));
	name = leaf_text(slots[2].node);
	if (strlen(name) >= NAMEDATALEN || !matches_charset(name, "_$", true) ||
		(name[0] >= '0' && name[0] <= '9') || name[0] == '$')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid channel name \"%s\" for %s", name,
						where(slots[2].node, kind)),
				 errdetail("A channel name is an identifier of at most %d bytes: a letter or \"_\", then letters, digits, \"_\" or \"$\".",
						   NAMEDATALEN - 1)));
	act->channel = name;
	node_add(canon, "name", name, false);

	act->retry = 0;
	parse_content_type(kind, &slots[3], act, canon);
	return canon;
}

/*
 * parse_action
 *		<action> holds exactly one of http, sqs, function, channel.  Vidispine's
 *		ejb, jms, javascript and sns have no counterpart here and are
 *		ERRCODE_FEATURE_NOT_SUPPORTED with a hint naming the replacement.
 *		Returns the canonical <action> element.
 */
static DocNode *
parse_action(const DocNode *action, NotifyAction *act)
{
	const DocNode *kind = NULL;
	DocNode    *canon = node_new("action", NULL, false);
	ListCell   *lc;

	foreach(lc, action->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
			unexpected_child(action, child, NULL);
		if (strcmp(child->name, "ejb") == 0 ||
			strcmp(child->name, "javascript") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("action <%s> is not supported", child->name),
					 errdetail("notify_ext runs inside PostgreSQL, which has no %s.",
							   strcmp(child->name, "ejb") == 0 ?
							   "EJB container" : "JavaScript engine"),
					 errhint("Use a <function> action: it calls an SQL function that takes the event as jsonb and returns text, NULL meaning not accepted.")));
		if (strcmp(child->name, "jms") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("action <jms> is not supported"),
					 errdetail("notify_ext runs inside PostgreSQL, which has no JMS broker."),
					 errhint("Use a <channel> action: it sends the event with NOTIFY on a PostgreSQL channel.")));
		if (strcmp(child->name, "sns") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("action <sns> is not supported"),
					 errhint("Use an <sqs> or an <http> action.")));
		if (strcmp(child->name, "http") != 0 &&
			strcmp(child->name, "sqs") != 0 &&
			strcmp(child->name, "function") != 0 &&
			strcmp(child->name, "channel") != 0)
			unexpected_child(action, child,
							 "An action is one of http, sqs, function and channel.");
		if (kind != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("more than one action in <action>"),
					 errdetail("Found <%s> and <%s>; a notification has exactly one action.",
							   kind->name, child->name)));
		kind = child;
	}
	check_no_text(action);
	if (kind == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing action element in <action>"),
				 errdetail("An action is one of http, sqs, function and channel.")));

	if (strcmp(kind->name, "http") == 0)
		canon->children = lappend(canon->children, parse_http(kind, act));
	else if (strcmp(kind->name, "sqs") == 0)
		canon->children = lappend(canon->children, parse_sqs(kind, act));
	else if (strcmp(kind->name, "function") == 0)
		canon->children = lappend(canon->children, parse_function(kind, act));
	else
		canon->children = lappend(canon->children, parse_channel(kind, act));
	return canon;
}


/*---- Triggers ----*/

/*
 * parse_field_list
 *		<field>: comma-separated entries "name", "name:newname", "-name" or
 *		"/group/.../name".  Appends NotifyFieldFilters to trig->md_fields
 *		and returns the canonical list text.
 */
static char *
parse_field_list(const char *value, const DocNode *node,
				 const DocNode *parent, NotifyTrigger *trig)
{
	char	   *copy = pstrdup(value);
	char	   *entry;
	char	   *next;
	StringInfoData canon;

	initStringInfo(&canon);
	for (entry = copy; entry != NULL; entry = next)
	{
		NotifyFieldFilter *f = palloc0(sizeof(NotifyFieldFilter));
		char	   *comma = strchr(entry, ',');
		char	   *e;
		bool		ok;

		next = NULL;
		if (comma)
		{
			*comma = '\0';
			next = comma + 1;
		}
		e = trim_copy(entry);
		if (e[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("empty entry in list \"%s\" for %s", value,
							where(node, parent))));

		if (e[0] == '-')
		{
			f->exclude = true;
			f->name = pstrdup(e + 1);
			ok = matches_charset(f->name, "_.-", true);
		}
		else if (e[0] == '/')
		{
			char	   *last = strrchr(e, '/');
			char	   *p;

			if (strchr(e, ':') != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("field path \"%s\" for %s cannot be renamed",
								e, where(node, parent)),
						 errdetail("Only plain field names take the form name:newname.")));
			f->name = pstrdup(last + 1);
			f->path = pnstrdup(e, last - e);	/* "" for "/name" */
			ok = matches_charset(f->name, "_.-", true);
			/* every component between the slashes must be a valid name */
			for (p = e; ok && p < last; p++)
			{
				if (p[0] == '/' && p[1] == '/')
					ok = false;
				else if (*p != '/' && !matches_charset(pnstrdup(p, 1), "_.-", true))
					ok = false;
			}
		}
		else
		{
			char	   *colon = strchr(e, ':');

			if (colon)
			{
				f->name = pnstrdup(e, colon - e);
				f->rename = pstrdup(colon + 1);
				ok = matches_charset(f->name, "_.-", true) &&
					matches_charset(f->rename, "_.-", true);
			}
			else
			{
				f->name = pstrdup(e);
				ok = matches_charset(f->name, "_.-", true);
			}
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid field entry \"%s\" for %s", e,
							where(node, parent)),
					 errdetail("Entries are name, name:newname, -name or /group/name, where names have letters, digits, \"_\", \".\" or \"-\".")));

		trig->md_fields = lappend(trig->md_fields, f);
		if (canon.len > 0)
			appendStringInfoChar(&canon, ',');
		appendStringInfoString(&canon, e);
	}
	return canon.data;
}

/*
 * parse_interval_list
 *		<interval>: "all" (default), "generic", or comma-separated spans
 *		start-end, each a non-negative number or -INF/+INF, start <= end.
 *		Returns the canonical text, or NULL for "all".
 */
static char *
parse_interval_list(const char *value, const DocNode *node,
					const DocNode *parent, NotifyTrigger *trig)
{
	char	   *copy = pstrdup(value);
	char	   *entry;
	char	   *next;
	StringInfoData canon;
	int			nentries = 0;
	bool		keyword = false;

	initStringInfo(&canon);
	for (entry = copy; entry != NULL; entry = next)
	{
		char	   *comma = strchr(entry, ',');
		char	   *e;

		next = NULL;
		if (comma)
		{
			*comma = '\0';
			next = comma + 1;
		}
		e = trim_copy(entry);
		if (e[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("empty entry in list \"%s\" for %s", value,
							where(node, parent))));
		nentries++;

		if (strcmp(e, "all") == 0 || strcmp(e, "generic") == 0)
		{
			keyword = true;
			if (strcmp(e, "generic") == 0)
				trig->md_generic_only = true;
		}
		else
		{
			NotifyInterval *span = palloc0(sizeof(NotifyInterval));
			const char *p = e;
			double		bounds[2];
			int			i;
			bool		ok = true;

			for (i = 0; i < 2 && ok; i++)
			{
				if (i == 1)
				{
					if (*p != '-')
					{
						ok = false;
						break;
					}
					p++;
				}
				if (strncmp(p, "-INF", 4) == 0)
				{
					bounds[i] = -get_float8_infinity();
					p += 4;
				}
				else if (strncmp(p, "+INF", 4) == 0)
				{
					bounds[i] = get_float8_infinity();
					p += 4;
				}
				else if (*p >= '0' && *p <= '9')
				{
					const char *s = p;

					while (*p >= '0' && *p <= '9')
						p++;
					if (*p == '.' && p[1] >= '0' && p[1] <= '9')
					{
						p++;
						while (*p >= '0' && *p <= '9')
							p++;
					}
					bounds[i] = strtod(pnstrdup(s, p - s), NULL);
				}
				else
					ok = false;
			}
			if (!ok || *p != '\0')
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid interval \"%s\" for %s", e,
								where(node, parent)),
						 errdetail("An interval is \"all\", \"generic\" or a list of spans start-end, each bound a non-negative number, -INF or +INF.")));
			if (bounds[0] > bounds[1])
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("interval \"%s\" for %s ends before it starts",
								e, where(node, parent))));
			span->start = bounds[0];
			span->end = bounds[1];
			trig->md_intervals = lappend(trig->md_intervals, span);
		}
		if (canon.len > 0)
			appendStringInfoChar(&canon, ',');
		appendStringInfoString(&canon, e);
	}
	if (keyword && nentries > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid interval \"%s\" for %s", value,
						where(node, parent)),
				 errdetail("\"all\" and \"generic\" stand alone, not in a list.")));
	if (keyword && !trig->md_generic_only)
		return NULL;
	return canon.data;
}

/*
 * parse_simple_list
 *		<language> (codes with '*' wildcards, such as en_*) or <track>
 *		(names such as A1, V2): comma-separated, appended to *result as
 *		strings.  Returns the canonical text.
 */
static char *
parse_simple_list(const char *value, const DocNode *node,
				  const DocNode *parent, bool track, List **result)
{
	char	   *copy = pstrdup(value);
	char	   *entry;
	char	   *next;
	StringInfoData canon;

	initStringInfo(&canon);
	for (entry = copy; entry != NULL; entry = next)
	{
		char	   *comma = strchr(entry, ',');
		char	   *e;
		bool		ok;

		next = NULL;
		if (comma)
		{
			*comma = '\0';
			next = comma + 1;
		}
		e = trim_copy(entry);
		if (e[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("empty entry in list \"%s\" for %s", value,
							where(node, parent))));

		if (track)
		{
			const char *p = e;

			while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
				p++;
			ok = (p > e && *p >= '1' && *p <= '9');
			if (ok)
			{
				for (p++; *p; p++)
				{
					if (*p < '0' || *p > '9')
						ok = false;
				}
			}
		}
		else
			ok = matches_charset(e, "_*-", true);
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s \"%s\" for %s",
							track ? "track" : "language", e,
							where(node, parent)),
					 track ?
					 errdetail("A track is letters followed by a number from 1, such as A1 or V2.") :
					 errdetail("A language is a code such as en or en_US; \"*\" matches any characters.")));
		*result = lappend(*result, e);
		if (canon.len > 0)
			appendStringInfoChar(&canon, ',');
		appendStringInfoString(&canon, e);
	}
	return canon.data;
}

/*
 * parse_md_params
 *		The optional metadata parameters of a modify event: field, interval,
 *		language and track, each at most once.  Empty ones mean "all" and
 *		are dropped.
 */
static void
parse_md_params(const DocNode *event, NotifyTrigger *trig, DocNode *canon)
{
	Slot		slots[] = {
		{"field", false, false, NULL},
		{"interval", false, false, NULL},
		{"language", false, false, NULL},
		{"track", false, false, NULL},
	};
	char	   *v;
	char	   *c;

	/* JSON may write a parameterless modify as true */
	if (event->children == NIL)
	{
		check_empty(event);
		return;
	}
	match_slots(event, slots, lengthof(slots));

	if (slots[0].node && (v = leaf_text(slots[0].node))[0] != '\0')
	{
		c = parse_field_list(v, slots[0].node, event, trig);
		node_add(canon, "field", c, false);
		trig->has_md_filter = true;
	}
	if (slots[1].node && (v = leaf_text(slots[1].node))[0] != '\0')
	{
		c = parse_interval_list(v, slots[1].node, event, trig);
		if (c != NULL)
		{
			node_add(canon, "interval", c, false);
			trig->has_md_filter = true;
		}
	}
	if (slots[2].node && (v = leaf_text(slots[2].node))[0] != '\0')
	{
		c = parse_simple_list(v, slots[2].node, event, false,
							  &trig->md_languages);
		node_add(canon, "language", c, false);
		trig->has_md_filter = true;
	}
	if (slots[3].node && (v = leaf_text(slots[3].node))[0] != '\0')
	{
		c = parse_simple_list(v, slots[3].node, event, true,
							  &trig->md_tracks);
		node_add(canon, "track", c, false);
		trig->has_md_filter = true;
	}
}

/*
 * parse_job_siblings
 *		placeholder, filter and contentFilters next to a job event
 *		(slots[0..2]), appended to canon (the <job> element) in that order.
 */
static void
parse_job_siblings(const DocNode *res, Slot *slots, NotifyTrigger *trig,
				   DocNode *canon)
{
	ListCell   *lc;

	if (slots[0].node != NULL)
	{
		trig->placeholder = parse_bool_value(slots[0].node, res);
		node_add(canon, "placeholder", trig->placeholder ? "true" : "false",
				 false);
	}

	if (slots[1].node != NULL)
	{
		const DocNode *filter = slots[1].node;
		Slot		fslots[] = {
			{"type", false, true, NULL},
			{"step", false, false, NULL},
			{"jobdata", false, true, NULL},
		};
		DocNode    *cfilter = node_add(canon, "filter", NULL, false);

		match_slots(filter, fslots, lengthof(fslots));

		foreach(lc, filter->children)
		{
			DocNode    *child = (DocNode *) lfirst(lc);
			char	   *type;

			if (strcmp(child->name, "type") != 0)
				continue;
			type = leaf_text(child);
			if (!matches_charset(type, "_", true))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid job type \"%s\" for %s", type,
								where(child, filter)),
						 errdetail("A job type such as PLACEHOLDER_IMPORT has letters, digits and \"_\".")));
			trig->job_types = lappend(trig->job_types, type);
			node_add(cfilter, "type", type, false);
		}

		if (fslots[1].node != NULL)
		{
			char	   *step = leaf_text(fslots[1].node);
			int			n;

			if (!parse_uint(step, &n))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value \"%s\" for %s", step,
								where(fslots[1].node, filter)),
						 errdetail("A step is a non-negative integer.")));
			trig->job_step = n;
			node_add(cfilter, "step", psprintf("%d", n), false);
		}

		foreach(lc, filter->children)
		{
			DocNode    *child = (DocNode *) lfirst(lc);
			Slot		jslots[] = {
				{"key", false, false, NULL},
				{"value", false, false, NULL},
				{"key-regex", false, false, NULL},
				{"value-regex", false, false, NULL},
			};
			NotifyJobData *jd;
			DocNode    *cjd;
			bool		plain;
			bool		regex;

			if (strcmp(child->name, "jobdata") != 0)
				continue;
			match_slots(child, jslots, lengthof(jslots));
			plain = (jslots[0].node && jslots[1].node &&
					 !jslots[2].node && !jslots[3].node);
			regex = (!jslots[0].node && !jslots[1].node &&
					 jslots[2].node && jslots[3].node);
			if (!plain && !regex)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid <jobdata> in <filter>"),
						 errdetail("A <jobdata> holds either <key> and <value>, or <key-regex> and <value-regex>.")));

			jd = palloc0(sizeof(NotifyJobData));
			jd->is_regex = regex;
			cjd = node_add(cfilter, "jobdata", NULL, false);
			if (plain)
			{
				jd->key = leaf_text(jslots[0].node);
				jd->value = leaf_text(jslots[1].node);
				if (jd->key[0] == '\0')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("empty element <key> in <jobdata>")));
				node_add(cjd, "key", jd->key, false);
				node_add(cjd, "value", jd->value, false);
			}
			else
			{
				jd->key = leaf_text(jslots[2].node);
				jd->value = leaf_text(jslots[3].node);
				check_regex(jd->key, jslots[2].node, child);
				check_regex(jd->value, jslots[3].node, child);
				node_add(cjd, "key-regex", jd->key, false);
				node_add(cjd, "value-regex", jd->value, false);
			}
			trig->job_data = lappend(trig->job_data, jd);
		}
	}

	if (slots[2].node != NULL)
	{
		const DocNode *cf = slots[2].node;
		Slot		cslots[] = {{"contentFilter", false, true, NULL}};
		DocNode    *ccf = node_add(canon, "contentFilters", NULL, false);

		match_slots(cf, cslots, lengthof(cslots));
		if (cslots[0].node == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("missing element <contentFilter> in <contentFilters>")));
		foreach(lc, cf->children)
		{
			DocNode    *child = (DocNode *) lfirst(lc);
			char	   *name = leaf_text(child);
			ListCell   *lc2;
			int			i;

			for (i = 0; content_filter_names[i] != NULL; i++)
			{
				if (strcmp(content_filter_names[i], name) == 0)
					break;
			}
			if (content_filter_names[i] == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid content filter \"%s\" for %s", name,
								where(child, cf)),
						 errdetail("Valid content filters are jobId, jobState, user, startTime, jobType, jobData, errorMessage, itemId, totalSteps and currentStep.")));
			foreach(lc2, trig->content_filters)
			{
				if (strcmp((char *) lfirst(lc2), name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("duplicate content filter \"%s\" in <contentFilters>",
									name)));
			}
			trig->content_filters = lappend(trig->content_filters, name);
			node_add(ccf, "contentFilter", name, false);
		}
	}
}

/*
 * parse_trigger
 *		<trigger> holds one resource element, which holds one event element
 *		plus the parameters allowed next to it.  Fills def->trigger, checks
 *		that the trigger belongs to def->resource and returns the canonical
 *		<trigger> element.
 */
static DocNode *
parse_trigger(const DocNode *trigger, NotifyDefinition *def)
{
	NotifyTrigger *trig = &def->trigger;
	const DocNode *res = NULL;
	const DocNode *event = NULL;
	const TriggerElement *te = NULL;
	const char *event_name;
	DocNode    *canon = node_new("trigger", NULL, false);
	DocNode    *cres;
	DocNode    *cevent;
	Slot		sib[] = {
		{"placeholder", false, false, NULL},
		{"filter", false, false, NULL},
		{"contentFilters", false, false, NULL},
	};
	Slot		storage_slot = {"storage", false, false, NULL};
	StringInfoData valid;
	ListCell   *lc;
	int			i;

	/* the resource element */
	foreach(lc, trigger->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
			unexpected_child(trigger, child, NULL);
		te = NULL;
		for (i = 0; i < lengthof(trigger_elements); i++)
		{
			if (strcmp(trigger_elements[i].name, child->name) == 0)
				te = &trigger_elements[i];
		}
		if (te == NULL)
			unexpected_child(trigger, child,
							 "A trigger holds one of " TRIGGER_ELEMENT_LIST ".");
		if (res != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("more than one trigger in <trigger>"),
					 errdetail("Found <%s> and <%s>; a notification has exactly one trigger.",
							   res->name, child->name)));
		res = child;
	}
	check_no_text(trigger);
	if (res == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing resource element in <trigger>"),
				 errdetail("A trigger holds one of " TRIGGER_ELEMENT_LIST ".")));
	for (i = 0; i < lengthof(trigger_elements); i++)
	{
		if (strcmp(trigger_elements[i].name, res->name) == 0)
			te = &trigger_elements[i];
	}

	/* list of what may appear inside the resource element, for messages */
	initStringInfo(&valid);
	appendStringInfo(&valid, "Element <%s> holds one event: ", res->name);
	for (i = 0; te->events[i] != NULL; i++)
	{
		bool		last = (te->events[i + 1] == NULL &&
							strcmp(te->name, "collection") != 0);

		if (i > 0)
			appendStringInfoString(&valid, last ? " or " : ", ");
		appendStringInfoString(&valid, te->events[i]);
	}
	if (strcmp(te->name, "collection") == 0)
		appendStringInfoString(&valid, " or metadata");
	if (te->siblings == TS_JOB)
		appendStringInfoString(&valid, "; next to it placeholder, filter and contentFilters");
	if (te->siblings == TS_FILE)
		appendStringInfoString(&valid, "; next to it storage");
	appendStringInfoChar(&valid, '.');

	/* the event element and its siblings */
	foreach(lc, res->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);
		bool		is_event = false;

		if (child->is_attr)
			unexpected_child(res, child, valid.data);
		for (i = 0; te->events[i] != NULL; i++)
		{
			if (strcmp(te->events[i], child->name) == 0)
				is_event = true;
		}
		if ((strcmp(te->name, "collection") == 0 &&
			 strcmp(child->name, "metadata") == 0) ||
			(strcmp(te->name, "quota") == 0 &&
			 strcmp(child->name, "created") == 0))
			is_event = true;

		if (is_event)
		{
			if (event != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("more than one event in <%s>", res->name),
						 errdetail("Found <%s> and <%s>; a trigger has exactly one event.",
								   event->name, child->name)));
			event = child;
			continue;
		}

		if (te->siblings == TS_JOB)
		{
			for (i = 0; i < lengthof(sib); i++)
			{
				if (strcmp(sib[i].name, child->name) == 0)
					break;
			}
			if (i < lengthof(sib))
			{
				if (sib[i].node != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("duplicate element <%s> in <%s>",
									child->name, res->name)));
				sib[i].node = child;
				continue;
			}
		}
		if (te->siblings == TS_FILE && strcmp(child->name, "storage") == 0)
		{
			if (storage_slot.node != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate element <storage> in <file>")));
			storage_slot.node = child;
			continue;
		}
		unexpected_child(res, child, valid.data);
	}
	check_no_text(res);
	if (event == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing event element in <%s>", res->name),
				 errdetail_internal("%s", valid.data)));

	/* the event name, and whether the notification's resource fits */
	if (strcmp(event->name, "metadata") == 0)
		event_name = "collection.metadata.modify";
	else if (strcmp(event->name, "created") == 0)
		event_name = "quota.create";
	else
		event_name = psprintf("%s.%s", res->name, event->name);
	if (te->resource != def->resource)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("trigger \"%s\" does not belong to resource \"%s\"",
						event_name, resource_name(def->resource)),
				 errhint("Create it as a notification of resource \"%s\".",
						 resource_name(te->resource))));
	trig->event = pstrdup(event_name);

	/* canonical tree and parameters */
	cres = node_add(canon, res->name, NULL, false);
	if (strcmp(event->name, "metadata") == 0)
	{
		Slot		mslots[] = {{"modify", false, false, NULL}};
		DocNode    *cmeta = node_add(cres, "metadata", NULL, false);

		match_slots(event, mslots, lengthof(mslots));
		if (mslots[0].node == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("missing element <modify> in <metadata>")));
		cevent = node_add(cmeta, "modify", NULL, false);
		parse_md_params(mslots[0].node, trig, cevent);
	}
	else
	{
		cevent = node_add(cres,
						  strcmp(event->name, "created") == 0 ?
						  "create" : event->name,
						  NULL, false);
		if (te->md_event != NULL && strcmp(te->md_event, event->name) == 0)
			parse_md_params(event, trig, cevent);
		else
			check_empty(event);
	}

	if (te->siblings == TS_JOB)
		parse_job_siblings(res, sib, trig, cres);
	if (storage_slot.node != NULL)
	{
		char	   *storage = leaf_text(storage_slot.node);

		if (!matches_charset(storage, "_-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid storage id \"%s\" for %s", storage,
							where(storage_slot.node, res)),
					 errdetail("A storage id such as VX-2 has letters, digits, \"_\" and \"-\".")));
		trig->file_storage = storage;
		node_add(cres, "storage", storage, false);
	}
	return canon;
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

	match_slots(doc, slots, lengthof(slots));
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

	canon = node_new("NotificationDocument", NULL, false);
	canon->children = lappend(canon->children,
							  parse_action(slots[0].node, &def->action));
	canon->children = lappend(canon->children,
							  parse_trigger(slots[1].node, def));
	def->doc = canon;

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
							 definition_mask_url(a->url));
			break;
		case NA_SQS:
			appendStringInfo(&buf, "sqs %s at %s", a->sqs_queue,
							 definition_mask_url(a->sqs_endpoint));
			if (a->sqs_region != NULL)
				extras = lappend(extras, psprintf("region %s", a->sqs_region));
			if (a->sqs_access_key != NULL)
				extras = lappend(extras,
								 psprintf("access key %s, secret ***",
										  mask_access_key(a->sqs_access_key)));
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
