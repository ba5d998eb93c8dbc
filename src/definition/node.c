/*-------------------------------------------------------------------------
 *
 * node.c
 *	  The tree and value helpers of the NotificationDocument validation.
 *
 * action.c and trigger.c validate their elements with these helpers, and
 * parse.c calls those two; this file calls nothing above it (only
 * common/: the URL parse and masking, the quoting of values), so the
 * three files above depend on it and not on each other.  The helpers are
 * declared in definition_internal.h, whose header gives their shared
 * convention: ereport(ERROR) with ERRCODE_INVALID_PARAMETER_VALUE (unless
 * stated otherwise) naming the element at fault, allocation in
 * CurrentMemoryContext, and no credential in any message.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/node.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "catalog/pg_collation.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "regex/regex.h"

#include "definition/definition.h"
#include "definition/definition_internal.h"
#include "common/text_escape.h"
#include "common/url.h"

/*---- Local helpers ----*/

static char *join_names(const Slot *slots, int nslots);
static void report_bad_port(const char *url, const DocNode *node,
							const DocNode *parent) pg_attribute_noreturn();


/*---- Credentials ----*/

/*
 * definition_url_set_password
 *		Read, and optionally replace, the password of an <http> action's
 *		URL: notify_url_set_password() (common/url.c), whose contract this
 *		is, with ERRCODE_INVALID_PARAMETER_VALUE when libcurl cannot parse
 *		the URL; the URL's text is then not shown.
 */
char *
definition_url_set_password(const char *url, const char *password,
							char **old_password)
{
	char	   *result;

	if (!notify_url_set_password(url, password, old_password, &result))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid URL in an <http> action")));
	return result;
}

/*
 * defn_mask_access_key
 *		First four characters of an access key followed by "***".
 */
char *
defn_mask_access_key(const char *key)
{
	return psprintf("%.4s***", key);
}

/*
 * defn_show_url
 *		A URL that failed validation as shown in a message: masked widely
 *		first (NOTIFY_MASK_WIDE), then made printable and cut by
 *		notify_quote_value(), so that the cut never uncovers part of a
 *		password.
 */
char *
defn_show_url(const char *url)
{
	return notify_quote_value(notify_url_mask(url, NOTIFY_MASK_WIDE));
}


/*---- Tree helpers ----*/

/*
 * defn_node_new
 *		Build a node of the canonical tree; strings are copied, text may be
 *		NULL.
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

/*
 * defn_node_add
 *		A new node (as defn_node_new) appended to parent's children.
 */
DocNode *
defn_node_add(DocNode *parent, const char *name, const char *text, bool is_attr)
{
	DocNode    *node = defn_node_new(name, text, is_attr);

	parent->children = lappend(parent->children, node);
	return node;
}

/*
 * defn_trim_copy
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
 * defn_is_blank
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
 * defn_where
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
 * defn_check_no_text
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
 * defn_unexpected_child
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
 * defn_match_slots
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
 * defn_leaf_text
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
 * defn_check_empty
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
 * defn_parse_uint
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
 * defn_matches_charset
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
 * defn_parse_bool_value
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
 * defn_check_url
 *		Validate an http or https URL with libcurl's URL parser
 *		(notify_url_parse); returns its host (palloc'd).  A port, when
 *		given, must be 1 to 65535: libcurl takes port 0 and reads an empty
 *		port ("host:/") as the default one, both refused here.  User
 *		information needs a password (the part kept apart and masked).  For an
 *		<sqs> endpoint (endpoint = true) user information, a path other
 *		than "/", a query and a fragment are refused as well.
 */
char *
defn_check_url(const char *url, const DocNode *node, const DocNode *parent,
			   bool endpoint)
{
	NotifyUrl	u;
	CURLUcode	rc;
	bool		has_password;

	rc = notify_url_parse_with(url, NOTIFY_URL_ANY_SCHEME | NOTIFY_URL_PASSWORD, &u);
	has_password = (u.password != NULL);
	notify_url_wipe(&u);

	/*
	 * "host:8080/hook" or "host/hook": libcurl reads a scheme where there
	 * is none, or none at all, and its message does not say so.
	 */
	if (strstr(url, "://") == NULL &&
		(rc != CURLUE_OK ||
		 (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL \"%s\" for %s has no scheme",
						defn_show_url(url), defn_where(node, parent)),
				 errdetail("A URL starts with http:// or https://, as in http://host[:port]/path.")));
	if (rc == CURLUE_BAD_PORT_NUMBER)
		report_bad_port(url, node, parent);
	if (rc != CURLUE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid URL \"%s\" for %s",
						defn_show_url(url), defn_where(node, parent)),
				 errdetail("%s.", curl_url_strerror(rc))));

	if (strcmp(u.scheme, "http") != 0 && strcmp(u.scheme, "https") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unsupported URL scheme \"%s\" in \"%s\" for %s",
						notify_quote_value(u.scheme), defn_show_url(url),
						defn_where(node, parent)),
				 errdetail("Only http and https URLs are accepted.")));

	if (u.host[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL \"%s\" for %s has no host",
						defn_show_url(url), defn_where(node, parent))));

	if (u.port != NULL && strspn(u.port, "0") == strlen(u.port))
		report_bad_port(url, node, parent);

	/*
	 * User information is a credential; only its password is kept apart
	 * and masked.  So it must have one (libcurl sends a user name alone,
	 * such as a token, as Basic credentials too), and the user name must
	 * not hide part of the password behind an encoded ':' (the receiver
	 * splits the decoded "u:x:pw" at its first ':').
	 */
	if (!endpoint && u.has_user &&
		(!has_password || u.user == NULL ||
		 strstr(u.user, "%3A") != NULL || strstr(u.user, "%3a") != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid user information in URL \"%s\" for %s",
						defn_show_url(url), defn_where(node, parent)),
				 errdetail("User information is written user:password, with no encoded \":\" (%%3A) in the user name."),
				 errhint("A token alone can be written as the password of an empty user name: http://:token@host/.")));
	if (u.port == NULL)
	{
		/*
		 * libcurl ignores a ':' that ends the authority.  The authority
		 * starts after the scheme's ':' and any number of '/' (libcurl reads
		 * "http:/h" and "http:///h" as "http://h").
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

	if (endpoint &&
		(u.has_user || u.has_query || u.has_fragment ||
		 (u.path[0] != '\0' && strcmp(u.path, "/") != 0)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid SQS endpoint \"%s\" for %s",
						defn_show_url(url), defn_where(node, parent)),
				 errdetail("An endpoint URL has the form http(s)://host[:port], without user, path or query.")));

	return u.host;
}

/*
 * defn_check_regex
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
