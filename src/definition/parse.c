/*-------------------------------------------------------------------------
 *
 * parse.c
 *	  Validate a NotificationDocument and turn it into a NotifyDefinition
 *	  with a canonical document tree: entry point and shared helpers.
 *
 * definition_parse() reads the text with document_read() (notification_document.c),
 * checks every element against the action and trigger reference and
 * fills a NotifyDefinition.  The <action> element is validated in
 * action.c and the <trigger> element in trigger.c;
 * this file holds the entry point, the tree and value helpers both use
 * (declared in definition_internal.h), credential masking and the
 * one-line summary; the names of resources, events, action kinds and
 * content types are in names.c.  It is pure: no
 * catalog access and no I/O, so the cache, the SQL API and the tests can
 * all call it; checks that need the catalog (does the <function> exist?)
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

#include <curl/curl.h>
#include <limits.h>
#include <math.h>

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"
#include "utils/builtins.h"

#include "definition/definition.h"
#include "definition/definition_internal.h"
#include "guc.h"
#include "common/text_escape.h"

/*---- Local helpers ----*/

static char *join_names(const Slot *slots, int nslots);
static void report_bad_port(const char *url, const DocNode *node,
							const DocNode *parent) pg_attribute_noreturn();
static void append_list(StringInfo buf, List *strings, const char *sep);


/*---- Credentials ----*/

/*
 * mask_userinfo
 *		Copy of url with everything between the first ':' after `start` and
 *		`at` (the '@' closing the user information) replaced by "***"; a
 *		plain copy when there is no '@' or no ':' before it.  palloc'd.
 */
static char *
mask_userinfo(const char *url, const char *start, const char *at)
{
	const char *colon;
	StringInfoData buf;

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

/* Where the authority of a URL starts: after "://", or the whole string */
static const char *
authority_start(const char *url)
{
	const char *start = strstr(url, "://");

	return start ? start + 3 : url;
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
	const char *start = authority_start(url);
	const char *p;
	const char *at = NULL;

	for (p = start; *p && *p != '/' && *p != '?' && *p != '#'; p++)
	{
		if (*p == '@')
			at = p;
	}
	return mask_userinfo(url, start, at);
}

/*
 * definition_url_set_password
 *		Read, and optionally replace, the password of a URL's user
 *		information with libcurl's URL parser, the one that will send it.
 *
 * *old_password (when old_password is not NULL) is set to the URL's
 * password as written (URL-encoded), palloc'd, or NULL when it has none.
 * When the URL has a password, the result is the URL in libcurl's
 * spelling (which also turns "http:/u:p@h/" into "http://u:p@h/", so that
 * definition_mask_url finds the password), with `password` in its place
 * when that is not NULL; a URL without a password is returned as is.
 * ERRCODE_INVALID_PARAMETER_VALUE if libcurl cannot parse the URL, whose
 * text is then not shown.  The CURLU handle is freed on every path.
 */
char *
definition_url_set_password(const char *url, const char *password,
							char **old_password)
{
	CURLU	   *volatile h;
	char	   *volatile result = NULL;

	if (old_password)
		*old_password = NULL;
	h = curl_url();
	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	PG_TRY();
	{
		char	   *part = NULL;

		if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid URL in an <http> action")));
		if (curl_url_get(h, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK && part != NULL)
		{
			if (old_password)
				*old_password = pstrdup(part);
			curl_free(part);
			part = NULL;
			if ((password != NULL &&
				 curl_url_set(h, CURLUPART_PASSWORD, password, 0) != CURLUE_OK) ||
				curl_url_get(h, CURLUPART_URL, &part, 0) != CURLUE_OK)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid URL in an <http> action")));
			result = pstrdup(part);
			curl_free(part);
		}
		if (result == NULL)
			result = pstrdup(url);
	}
	PG_FINALLY();
	{
		curl_url_cleanup(h);
	}
	PG_END_TRY();
	return result;
}

/*
 * definition_set_secrets
 *		Put the credentials stored apart back into a definition parsed from
 *		its stored (masked) document: the URL password of an <http> action,
 *		the secret key of an <sqs> action with <accessKey>.  NULL leaves a
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
	if (a->kind == NA_SQS && sqs_secret != NULL && a->sqs_access_key != NULL)
		a->sqs_secret = pstrdup(sqs_secret);
}

/*
 * mask_url_loose
 *		Masking for URLs that failed validation, used in error messages:
 *		everything between the first ':' after the scheme and the last '@'
 *		is hidden, even when a password holds a '/' that puts the '@'
 *		outside the authority.  May hide more than needed, never less.
 */
char *
defn_mask_url_loose(const char *url)
{
	return mask_userinfo(url, authority_start(url), strrchr(url, '@'));
}

/*
 * mask_access_key
 *		First four characters of an access key followed by "***".
 */
char *
defn_mask_access_key(const char *key)
{
	return psprintf("%.4s***", key);
}

/*
 * show_url
 *		A URL that failed validation as shown in a message: loosely masked
 *		first, then made printable and cut by notify_quote_value(), so that
 *		the cut never uncovers part of a password.
 */
char *
defn_show_url(const char *url)
{
	return notify_quote_value(defn_mask_url_loose(url));
}


/*---- Tree helpers ----*/

/*
 * node_new / node_add
 *		Build the canonical tree; strings are copied, text may be NULL.
 *		node_add appends the new node to parent and returns it.
 */
DocNode *
defn_node_new(const char *name, const char *text, bool is_attr)
{
	DocNode    *node = palloc0(sizeof(DocNode));

	node->name = pstrdup(name);
	node->text = text ? pstrdup(text) : NULL;
	node->is_attr = is_attr;
	return node;
}

DocNode *
defn_node_add(DocNode *parent, const char *name, const char *text, bool is_attr)
{
	DocNode    *node = defn_node_new(name, text, is_attr);

	parent->children = lappend(parent->children, node);
	return node;
}

/*
 * trim_copy
 *		palloc'd copy of s without leading and trailing XML white space;
 *		"" for NULL.
 */
char *
defn_trim_copy(const char *s)
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
bool
defn_is_blank(const char *s)
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
char *
defn_where(const DocNode *node, const DocNode *parent)
{
	if (node->is_attr)
		return psprintf("attribute \"%s\" of <%s>",
						notify_quote_value(node->name),
						notify_quote_value(parent->name));
	return psprintf("<%s> in <%s>", notify_quote_value(node->name),
					notify_quote_value(parent->name));
}

/*
 * check_no_text
 *		An element that holds elements must not hold text.  The text itself
 *		is not shown: it might be a misplaced credential.
 */
void
defn_check_no_text(const DocNode *node)
{
	if (!defn_is_blank(node->text))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected text in <%s>", notify_quote_value(node->name)),
				 errdetail("Element <%s> holds elements, not text.",
						   notify_quote_value(node->name))));
}

/*
 * unexpected_child
 *		Report child as not allowed in parent; detail may be NULL.
 */
void
defn_unexpected_child(const DocNode *parent, const DocNode *child,
				 const char *detail)
{
	if (child->is_attr)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected attribute \"%s\" on <%s>",
						notify_quote_value(child->name),
						notify_quote_value(parent->name)),
				 detail ? errdetail_internal("%s", detail) : 0));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unexpected element \"%s\" in <%s>",
					notify_quote_value(child->name),
					notify_quote_value(parent->name)),
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
void
defn_match_slots(const DocNode *parent, Slot *slots, int nslots)
{
	ListCell   *lc;

	defn_check_no_text(parent);
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
			defn_unexpected_child(parent, child,
							 psprintf("Element <%s> may hold %s.",
									  notify_quote_value(parent->name),
									  join_names(slots, nslots)));
		if (slot->node != NULL && !slot->repeat)
		{
			if (child->is_attr || slot->node->is_attr)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("duplicate \"%s\" in <%s>",
								notify_quote_value(child->name),
								notify_quote_value(parent->name)),
						 errdetail("\"%s\" is given both as attribute and as element.",
								   notify_quote_value(child->name))));
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("duplicate element <%s> in <%s>",
							notify_quote_value(child->name),
							notify_quote_value(parent->name))));
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
char *
defn_leaf_text(const DocNode *node)
{
	if (node->children != NIL)
		defn_unexpected_child(node, (DocNode *) linitial(node->children),
						 psprintf("Element <%s> holds text only.",
								  notify_quote_value(node->name)));
	return defn_trim_copy(node->text);
}

/*
 * check_empty
 *		An event element must be empty.  JSON may spell empty as "", {},
 *		null or true, so text "true" counts as empty too.
 */
void
defn_check_empty(const DocNode *node)
{
	char	   *text;

	if (node->children != NIL)
		defn_unexpected_child(node, (DocNode *) linitial(node->children),
						 psprintf("Element <%s> is empty.",
								  notify_quote_value(node->name)));
	text = defn_trim_copy(node->text);
	if (text[0] != '\0' && strcmp(text, "true") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unexpected text in <%s>", notify_quote_value(node->name)),
				 errdetail("Element <%s> is empty; in JSON write it as \"\".",
						   notify_quote_value(node->name))));
}


/*---- Value checks ----*/

/*
 * parse_uint
 *		Decimal digits only, value at most INT_MAX.
 */
bool
defn_parse_uint(const char *s, int *result)
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
bool
defn_matches_charset(const char *s, const char *extra, bool alnum)
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
bool
defn_parse_bool_value(const DocNode *node, const DocNode *parent)
{
	char	   *v = defn_leaf_text(node);

	if (pg_strcasecmp(v, "true") == 0)
		return true;
	if (pg_strcasecmp(v, "false") == 0)
		return false;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value \"%s\" for %s", notify_quote_value(v),
					defn_where(node, parent)),
			 errdetail("The value is \"true\" or \"false\".")));
	return false;				/* keep compiler quiet */
}

/*
 * report_bad_port
 *		ERROR for a URL whose port is empty, 0 or above 65535.
 */
static void
report_bad_port(const char *url, const DocNode *node, const DocNode *parent)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid port in URL \"%s\" for %s",
					defn_show_url(url), defn_where(node, parent)),
			 errdetail("A port is a number from 1 to 65535; without one, the scheme's default port is used.")));
}

/*
 * check_url
 *		Validate an http or https URL with libcurl's URL parser; returns its
 *		host (palloc'd).  A port, when given, must be 1 to 65535: libcurl
 *		takes port 0 and reads an empty port ("host:/") as the default one,
 *		both refused here.  For an <sqs> endpoint (endpoint = true) user
 *		information, a path other than "/", a query and a fragment are
 *		refused as well.  The CURLU handle is freed on every path.
 */
char *
defn_check_url(const char *url, const DocNode *node, const DocNode *parent,
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
		if (rc == CURLUE_BAD_PORT_NUMBER)
			report_bad_port(url, node, parent);
		if (rc != CURLUE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid URL \"%s\" for %s",
							defn_show_url(url), defn_where(node, parent)),
					 errdetail("%s.", curl_url_strerror(rc))));

		rc = curl_url_get(h, CURLUPART_SCHEME, &part, 0);
		scheme = pstrdup((rc == CURLUE_OK && part) ? part : "");
		curl_free(part);
		part = NULL;
		if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unsupported URL scheme \"%s\" in \"%s\" for %s",
							notify_quote_value(scheme), defn_show_url(url),
							defn_where(node, parent)),
					 errdetail("Only http and https URLs are accepted.")));

		rc = curl_url_get(h, CURLUPART_HOST, &part, 0);
		host = pstrdup((rc == CURLUE_OK && part) ? part : "");
		curl_free(part);
		part = NULL;
		if (host[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("URL \"%s\" for %s has no host",
							defn_show_url(url), defn_where(node, parent))));

		rc = curl_url_get(h, CURLUPART_PORT, &part, 0);
		if (rc == CURLUE_OK && part != NULL && strspn(part, "0") == strlen(part))
			report_bad_port(url, node, parent);
		curl_free(part);
		part = NULL;
		if (rc == CURLUE_NO_PORT)
		{
			/*
			 * libcurl ignores a ':' that ends the authority.  The authority
			 * starts after the scheme's ':' and any number of '/' (libcurl
			 * reads "http:/h" and "http:///h" as "http://h").
			 */
			const char *start = strchr(url, ':');
			size_t		alen;

			start = start ? start + 1 : url;
			while (*start == '/')
				start++;
			alen = strcspn(start, "/?#");

			if (alen > 0 && start[alen - 1] == ':')
				report_bad_port(url, node, parent);
		}

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
								defn_show_url(url), defn_where(node, parent)),
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
void
defn_check_regex(const char *re, const DocNode *node, const DocNode *parent)
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
					notify_quote_value(re), defn_where(node, parent), errbuf)));
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
