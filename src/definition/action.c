/*-------------------------------------------------------------------------
 *
 * action.c
 *	  Validate the <action> element of a NotificationDocument.
 *
 * defn_parse_action() is called by definition_parse() (parse.c)
 * with the document's <action> element.  It accepts exactly one of <http>,
 * <sqs>, <sns>, <function> and <channel>, fills the NotifyAction and returns the
 * canonical <action> element, built from scratch: the synchronous and
 * group attributes first, then the kind's elements in the order of its
 * slot table below, defaults made explicit (synchronous="false",
 * contentType text/plain) and values in one spelling.  Vidispine's <ejb>,
 * <jms> and <javascript> are ERRCODE_FEATURE_NOT_SUPPORTED with a
 * hint naming the replacement.
 *
 * Like the rest of the parser it is pure (no catalog access, no I/O):
 * whether a <function> exists is the caller's check.  Errors are
 * ereport(ERROR) naming the element and the value at fault; credentials
 * never reach a message (URLs are masked as user:***@host, <secret> is
 * never shown, access keys only by their first four characters).  The
 * shared tree and value helpers come from definition_internal.h.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/action.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/formatting.h"
#include "utils/varlena.h"

#include "definition/definition.h"
#include "definition/definition_internal.h"
#include "common/text_escape.h"

/*---- Limits ----*/

#define MAX_RETRY			100
#define MAX_TIMEOUT_S		86400
#define MAX_GROUP_LEN		63
#define MAX_QUEUE_LEN		80
#define MAX_ALIAS_LEN		63
#define MAX_ACCESS_KEY_LEN	128
#define MAX_QUEUE_URL_LEN	1024
#define MAX_ROLE_LEN		2048

/*---- Local helpers ----*/

static void parse_common(const DocNode *kind, Slot *slots, NotifyAction *act,
						 DocNode *canon);
static void parse_retry(const DocNode *kind, const Slot *slot,
						NotifyAction *act, DocNode *canon);
static void parse_content_type(const DocNode *kind, const Slot *slot,
							   NotifyAction *act, DocNode *canon);
static DocNode *parse_http(const DocNode *kind, NotifyAction *act);
static char *aws_region_of_host(const char *host, const char *service);
static char *parse_aws_endpoint(const DocNode *kind, const Slot *slot,
								NotifyAction *act, DocNode *canon);
static void parse_aws_region(const DocNode *kind, const Slot *slot,
							 const char *derived, NotifyAction *act,
							 DocNode *canon);
static void parse_aws_credentials(const DocNode *kind, const Slot *slots,
								  NotifyAction *act, DocNode *canon);
static DocNode *parse_sqs(const DocNode *kind, NotifyAction *act);
static DocNode *parse_sns(const DocNode *kind, NotifyAction *act);
static DocNode *parse_function(const DocNode *kind, NotifyAction *act);
static DocNode *parse_channel(const DocNode *kind, NotifyAction *act);


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
		act->synchronous = defn_parse_bool_value(slots[0].node, kind);
	defn_node_add(canon, "synchronous", act->synchronous ? "true" : "false", true);

	act->group = NULL;
	if (slots[1].node != NULL)
	{
		char	   *g = defn_leaf_text(slots[1].node);

		if (strlen(g) > MAX_GROUP_LEN || !defn_matches_charset(g, "_.-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid thread group \"%s\" for %s",
							notify_quote_value(g), defn_where(slots[1].node, kind)),
					 errdetail("A group name has 1 to %d letters, digits, \"_\", \".\" or \"-\".",
							   MAX_GROUP_LEN)));
		act->group = g;
		defn_node_add(canon, "group", g, true);
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
	v = defn_leaf_text(slot->node);
	if (!defn_parse_uint(v, &n) || n > MAX_RETRY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value \"%s\" for %s", notify_quote_value(v),
						defn_where(slot->node, kind)),
				 errdetail("The number of retries is an integer from 0 to %d.",
						   MAX_RETRY)));
	act->retry = n;
	defn_node_add(canon, "retry", psprintf("%d", n), false);
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
		char	   *v = defn_leaf_text(slot->node);
		int			ct = content_type_lookup(v);

		if (ct >= 0)
			act->content_type = (NotifyContentType) ct;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", notify_quote_value(v),
							defn_where(slot->node, kind)),
					 errdetail("Supported content types are text/plain, application/xml, application/json, application/x-s3-event+json and application/x-minio-event+json.")));
	}
	defn_node_add(canon, "contentType", content_type_name(act->content_type), false);
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
	DocNode    *canon = defn_node_new("http", NULL, false);
	char	   *url;

	defn_match_slots(kind, slots, lengthof(slots));
	act->kind = NA_HTTP;
	parse_common(kind, slots, act, canon);

	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <url> in <http>")));
	url = defn_leaf_text(slots[2].node);
	if (url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("empty element <url> in <http>")));
	(void) defn_check_url(url, slots[2].node, kind, false);

	/*
	 * The password of the URL is a secret: the canonical document holds
	 * the URL, in libcurl's spelling, with "***" in its place, and the
	 * caller stores the password apart (definition_set_secrets puts it
	 * back).
	 */
	act->url = definition_url_set_password(url, NULL, &act->url_password);
	defn_node_add(canon, "url",
				  act->url_password == NULL ? url :
				  definition_url_set_password(url, NOTIFY_SECRET_MASK, NULL),
				  false);

	act->put = false;
	if (slots[3].node != NULL)
	{
		char	   *m = defn_leaf_text(slots[3].node);

		if (pg_strcasecmp(m, "POST") == 0)
			act->put = false;
		else if (pg_strcasecmp(m, "PUT") == 0)
			act->put = true;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", notify_quote_value(m),
							defn_where(slots[3].node, kind)),
					 errdetail("Supported methods are POST and PUT.")));
		defn_node_add(canon, "method", act->put ? "PUT" : "POST", false);
	}

	act->timeout_s = DEFAULT_TIMEOUT_S;
	if (slots[4].node != NULL)
	{
		char	   *t = defn_leaf_text(slots[4].node);
		int			n;

		if (pg_strcasecmp(t, "none") == 0)
		{
			act->timeout_s = 0;
			defn_node_add(canon, "timeout", "none", false);
		}
		else if (defn_parse_uint(t, &n) && n <= MAX_TIMEOUT_S)
		{
			act->timeout_s = n;
			defn_node_add(canon, "timeout", psprintf("%d", n), false);
		}
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", notify_quote_value(t),
							defn_where(slots[4].node, kind)),
					 errdetail("The timeout is a number of seconds from 0 to %d, or \"none\"; 0 and \"none\" mean no timeout.",
							   MAX_TIMEOUT_S)));
	}

	act->retry = DEFAULT_RETRY;
	parse_retry(kind, &slots[5], act, canon);
	parse_content_type(kind, &slots[6], act, canon);
	return canon;
}

/*
 * aws_region_of_host
 *		"eu-west-1" for <service>.eu-west-1.amazonaws.com (or
 *		.amazonaws.com.cn), service being "sqs" or "sns"; otherwise NULL.
 */
static char *
aws_region_of_host(const char *host, const char *service)
{
	char	   *h = asc_tolower(host, strlen(host));
	const char *suffixes[] = {".amazonaws.com", ".amazonaws.com.cn"};
	size_t		pl = strlen(service) + 1;
	int			i;

	if (strncmp(h, service, pl - 1) != 0 || h[pl - 1] != '.')
		return NULL;
	for (i = 0; i < lengthof(suffixes); i++)
	{
		size_t		hl = strlen(h);
		size_t		sl = strlen(suffixes[i]);
		char	   *region;

		if (hl <= pl + sl || strcmp(h + hl - sl, suffixes[i]) != 0)
			continue;
		region = pnstrdup(h + pl, hl - pl - sl);
		if (defn_matches_charset(region, "-", true))
			return region;
	}
	return NULL;
}

/*
 * parse_aws_endpoint
 *		<endpoint> of <sqs> or <sns>: a host name, or an http(s)://host[:port]
 *		URL.  Sets act->sqs_endpoint and returns the host (palloc'd).
 */
static char *
parse_aws_endpoint(const DocNode *kind, const Slot *slot, NotifyAction *act,
				   DocNode *canon)
{
	char	   *endpoint;
	char	   *host;

	if (slot->node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <endpoint> in <%s>", kind->name)));
	endpoint = defn_leaf_text(slot->node);
	if (strstr(endpoint, "://") != NULL)
		host = defn_check_url(endpoint, slot->node, kind, true);
	else
	{
		const char *p;
		bool		ok = strlen(endpoint) <= 253 &&
			defn_matches_charset(endpoint, ".-", true) &&
			endpoint[0] != '.' && endpoint[strlen(endpoint) - 1] != '.';

		for (p = endpoint; ok && *p; p++)
		{
			if (p[0] == '.' && p[1] == '.')
				ok = false;
		}
		if (!ok)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s endpoint \"%s\" for %s",
							strcmp(kind->name, "sns") == 0 ? "SNS" : "SQS",
							defn_show_url(endpoint),
							defn_where(slot->node, kind)),
					 errdetail("An endpoint is a host name such as %s.eu-west-1.amazonaws.com or an http(s)://host[:port] URL.",
							   kind->name)));
		host = endpoint;
	}
	act->sqs_endpoint = endpoint;
	defn_node_add(canon, "endpoint", endpoint, false);
	return host;
}

/*
 * parse_aws_region
 *		Optional <region>; must agree with the region derived from the
 *		endpoint host or topic ARN (derived, or NULL).  Sets act->sqs_region.
 */
static void
parse_aws_region(const DocNode *kind, const Slot *slot, const char *derived,
				 NotifyAction *act, DocNode *canon)
{
	act->sqs_region = derived ? pstrdup(derived) : NULL;
	if (slot->node != NULL)
	{
		char	   *region = defn_leaf_text(slot->node);

		if (strlen(region) > 32 || !defn_matches_charset(region, "-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid region \"%s\" for %s",
							notify_quote_value(region),
							defn_where(slot->node, kind)),
					 errdetail("A region name such as eu-west-1 has letters, digits and \"-\".")));
		if (derived != NULL && strcmp(derived, region) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("region \"%s\" does not match %s endpoint \"%s\"",
							notify_quote_value(region),
							strcmp(kind->name, "sns") == 0 ? "SNS" : "SQS",
							defn_show_url(act->sqs_endpoint)),
					 errdetail("The endpoint is in region \"%s\".",
							   notify_quote_value(derived))));
		act->sqs_region = region;
		defn_node_add(canon, "region", region, false);
	}
}

/*
 * parse_aws_credentials
 *		<accessKey> and <secret> of <sqs> or <sns> (slots[0], slots[1]),
 *		then the role elements <roleArn>, <roleSessionName>,
 *		<roleExternalId> (slots[2..4]), which are kept but never used to
 *		assume a role.  Without <accessKey>, <secret> is the alias of a row
 *		of notify.aws_credential.  Secret values never appear in messages.
 */
static void
parse_aws_credentials(const DocNode *kind, const Slot *slots,
					  NotifyAction *act, DocNode *canon)
{
	const char *role_names[] = {"roleArn", "roleSessionName", "roleExternalId"};
	char	  **role_fields[] = {&act->aws_role_arn, &act->aws_role_session,
	&act->aws_role_external_id};
	int			i;

	act->sqs_access_key = NULL;
	act->sqs_secret = NULL;
	if (slots[0].node != NULL)
	{
		char	   *key = defn_leaf_text(slots[0].node);

		if (strlen(key) > MAX_ACCESS_KEY_LEN || !defn_matches_charset(key, "", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid access key \"%s\" for %s",
							notify_quote_value(defn_mask_access_key(key)),
							defn_where(slots[0].node, kind)),
					 errdetail("An AWS access key id has 1 to %d letters and digits.",
							   MAX_ACCESS_KEY_LEN)));
		if (slots[1].node == NULL || defn_is_blank(slots[1].node->text))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("element <accessKey> in <%s> requires a <secret>",
							kind->name),
					 errdetail("With <accessKey>, <secret> holds the AWS secret access key.")));
		act->sqs_access_key = key;
		defn_node_add(canon, "accessKey", key, false);
	}
	if (slots[1].node != NULL)
	{
		char	   *secret = defn_leaf_text(slots[1].node);

		if (act->sqs_access_key != NULL)
		{
			const char *p;

			for (p = secret; *p; p++)
			{
				if ((unsigned char) *p <= ' ')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("invalid secret key in <secret> of <%s>",
									kind->name),
							 errdetail("A secret access key contains no white space or control characters.")));
			}
		}
		else if (strlen(secret) > MAX_ALIAS_LEN ||
				 !defn_matches_charset(secret, "_.-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid credential alias in <secret> of <%s>",
							kind->name),
					 errdetail("Without <accessKey>, <secret> names a credential stored with notify.set_aws_credential: 1 to %d letters, digits, \"_\", \".\" or \"-\".",
							   MAX_ALIAS_LEN)));
		act->sqs_secret = secret;
		/* a secret key is stored apart, like a URL password */
		defn_node_add(canon, "secret",
					  act->sqs_access_key != NULL ? NOTIFY_SECRET_MASK : secret,
					  false);
	}

	for (i = 0; i < lengthof(role_names); i++)
	{
		char	   *v;

		*role_fields[i] = NULL;
		if (slots[2 + i].node == NULL)
			continue;
		v = defn_leaf_text(slots[2 + i].node);
		if (strlen(v) > MAX_ROLE_LEN || !defn_matches_charset(v, "_.-:/+=,@", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value \"%s\" for %s", notify_quote_value(v),
							defn_where(slots[2 + i].node, kind)),
					 errdetail("A role value has 1 to %d letters, digits or characters of \"_.-:/+=,@\".",
							   MAX_ROLE_LEN)));
		*role_fields[i] = v;
		defn_node_add(canon, role_names[i], v, false);
	}
}

/*
 * parse_sqs
 *		<sqs synchronous group><endpoint/><queue/><region/><accessKey/>
 *		<secret/><roleArn/><roleSessionName/><roleExternalId/>
 *		<messageGroupId/><retry/><contentType/></sqs>
 *
 * <queue> is a queue name or a queue URL (http(s)://host/account/name).
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
		{"roleArn", false, false, NULL},
		{"roleSessionName", false, false, NULL},
		{"roleExternalId", false, false, NULL},
		{"messageGroupId", false, false, NULL},
		{"retry", false, false, NULL},
		{"contentType", false, false, NULL},
	};
	DocNode    *canon = defn_node_new("sqs", NULL, false);
	char	   *host;
	char	   *queue;

	defn_match_slots(kind, slots, lengthof(slots));
	act->kind = NA_SQS;
	parse_common(kind, slots, act, canon);

	host = parse_aws_endpoint(kind, &slots[2], act, canon);

	if (slots[3].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <queue> in <sqs>")));
	queue = defn_leaf_text(slots[3].node);
	if (strstr(queue, "://") != NULL)
	{
		const char *name = strrchr(queue, '/');

		(void) defn_check_url(queue, slots[3].node, kind, false);
		if (strlen(queue) > MAX_QUEUE_URL_LEN || name == NULL || name[1] == '\0' ||
			strchr(queue, '?') != NULL || strchr(queue, '#') != NULL ||
			strchr(queue, '@') != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid queue URL \"%s\" for %s",
							defn_show_url(queue),
							defn_where(slots[3].node, kind)),
					 errdetail("A queue URL is http(s)://host[:port]/account/name, with no user information, query or fragment, at most %d bytes.",
							   MAX_QUEUE_URL_LEN)));
	}
	else
	{
		size_t		qlen = strlen(queue);
		char	   *base = queue;

		if (qlen > 5 && strcmp(queue + qlen - 5, ".fifo") == 0)
			base = pnstrdup(queue, qlen - 5);
		if (qlen > MAX_QUEUE_LEN || !defn_matches_charset(base, "_-", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid queue name \"%s\" for %s",
							notify_quote_value(queue),
							defn_where(slots[3].node, kind)),
					 errdetail("A queue name has 1 to %d letters, digits, \"_\" or \"-\", optionally ending in \".fifo\"; a queue URL is http(s)://host[:port]/account/name.",
							   MAX_QUEUE_LEN)));
	}
	act->sqs_queue = queue;
	defn_node_add(canon, "queue", queue, false);

	parse_aws_region(kind, &slots[4], aws_region_of_host(host, "sqs"), act,
					 canon);
	parse_aws_credentials(kind, &slots[5], act, canon);

	act->sqs_group_id = NULL;
	if (slots[10].node != NULL)
	{
		char	   *g = defn_leaf_text(slots[10].node);

		if (strlen(g) > 128 || !defn_matches_charset(g, "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", true))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid message group id \"%s\" for %s",
							notify_quote_value(g),
							defn_where(slots[10].node, kind)),
					 errdetail("A message group id has 1 to 128 letters, digits or punctuation characters.")));
		act->sqs_group_id = g;
		defn_node_add(canon, "messageGroupId", g, false);
	}

	act->retry = DEFAULT_RETRY;
	parse_retry(kind, &slots[11], act, canon);
	parse_content_type(kind, &slots[12], act, canon);
	return canon;
}

/*
 * parse_sns
 *		<sns synchronous group><endpoint/><topic/><region/><accessKey/>
 *		<secret/><roleArn/><roleSessionName/><roleExternalId/><retry/>
 *		<contentType/></sns>
 *
 * <topic> is a topic ARN, arn:<partition>:sns:<region>:<account>:<name>;
 * the region comes from the endpoint host, else from the ARN.
 */
static DocNode *
parse_sns(const DocNode *kind, NotifyAction *act)
{
	Slot		slots[] = {
		{"synchronous", true, false, NULL},
		{"group", true, false, NULL},
		{"endpoint", false, false, NULL},
		{"topic", false, false, NULL},
		{"region", false, false, NULL},
		{"accessKey", false, false, NULL},
		{"secret", false, false, NULL},
		{"roleArn", false, false, NULL},
		{"roleSessionName", false, false, NULL},
		{"roleExternalId", false, false, NULL},
		{"retry", false, false, NULL},
		{"contentType", false, false, NULL},
	};
	DocNode    *canon = defn_node_new("sns", NULL, false);
	char	   *host;
	char	   *topic;
	char	   *derived;
	List	   *parts = NIL;
	char	   *copy;
	char	   *tok;
	char	   *save = NULL;

	defn_match_slots(kind, slots, lengthof(slots));
	act->kind = NA_SNS;
	parse_common(kind, slots, act, canon);

	host = parse_aws_endpoint(kind, &slots[2], act, canon);

	if (slots[3].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <topic> in <sns>")));
	topic = defn_leaf_text(slots[3].node);
	copy = pstrdup(topic);
	for (tok = strtok_r(copy, ":", &save); tok; tok = strtok_r(NULL, ":", &save))
		parts = lappend(parts, tok);
	if (strlen(topic) > 256 || strncmp(topic, "arn:", 4) != 0 ||
		list_length(parts) != 6 || strcmp(list_nth(parts, 2), "sns") != 0 ||
		!defn_matches_charset(list_nth(parts, 3), "-", true) ||
		!defn_matches_charset(list_nth(parts, 5), "_-.", true))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid topic ARN \"%s\" for %s",
						notify_quote_value(topic),
						defn_where(slots[3].node, kind)),
				 errdetail("A topic ARN is arn:aws:sns:<region>:<account>:<topic name>.")));
	act->sns_topic = topic;
	defn_node_add(canon, "topic", topic, false);

	derived = aws_region_of_host(host, "sns");
	if (derived != NULL && strcmp(derived, list_nth(parts, 3)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("topic ARN \"%s\" does not match SNS endpoint \"%s\"",
						notify_quote_value(topic), defn_show_url(act->sqs_endpoint)),
				 errdetail("The endpoint is in region \"%s\".",
						   notify_quote_value(derived))));
	if (derived == NULL)
		derived = list_nth(parts, 3);
	parse_aws_region(kind, &slots[4], derived, act, canon);
	parse_aws_credentials(kind, &slots[5], act, canon);

	act->retry = DEFAULT_RETRY;
	parse_retry(kind, &slots[10], act, canon);
	parse_content_type(kind, &slots[11], act, canon);
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
	DocNode    *canon = defn_node_new("function", NULL, false);
	char	   *name;
	char	   *copy;
	List	   *parts;

	defn_match_slots(kind, slots, lengthof(slots));
	act->kind = NA_FUNCTION;
	parse_common(kind, slots, act, canon);

	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <name> in <function>")));
	name = defn_leaf_text(slots[2].node);
	copy = pstrdup(name);
	if (name[0] == '\0' || !SplitIdentifierString(copy, '.', &parts) ||
		list_length(parts) < 1 || list_length(parts) > 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("invalid function name \"%s\" for %s",
						notify_quote_value(name),
						defn_where(slots[2].node, kind)),
				 errdetail("The name is a function name, optionally qualified by its schema, such as public.on_event.")));
	act->function_name = name;
	defn_node_add(canon, "name", name, false);

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
	DocNode    *canon = defn_node_new("channel", NULL, false);
	char	   *name;

	defn_match_slots(kind, slots, lengthof(slots));
	act->kind = NA_CHANNEL;
	parse_common(kind, slots, act, canon);

	if (slots[2].node == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing element <name> in <channel>")));
	name = defn_leaf_text(slots[2].node);
	if (strlen(name) >= NAMEDATALEN || !defn_matches_charset(name, "_$", true) ||
		(name[0] >= '0' && name[0] <= '9') || name[0] == '$')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid channel name \"%s\" for %s",
						notify_quote_value(name),
						defn_where(slots[2].node, kind)),
				 errdetail("A channel name is an identifier of at most %d bytes: a letter or \"_\", then letters, digits, \"_\" or \"$\".",
						   NAMEDATALEN - 1)));
	act->channel = name;
	defn_node_add(canon, "name", name, false);

	act->retry = 0;
	parse_content_type(kind, &slots[3], act, canon);
	return canon;
}

/*
 * defn_parse_action
 *		<action> holds exactly one of http, sqs, sns, function, channel.
 *		Vidispine's ejb, jms and javascript have no counterpart here and are
 *		ERRCODE_FEATURE_NOT_SUPPORTED with a hint naming the replacement.
 *		Returns the canonical <action> element.
 */
DocNode *
defn_parse_action(const DocNode *action, NotifyAction *act)
{
	const DocNode *kind = NULL;
	DocNode    *canon = defn_node_new("action", NULL, false);
	ListCell   *lc;

	foreach(lc, action->children)
	{
		DocNode    *child = (DocNode *) lfirst(lc);

		if (child->is_attr)
			defn_unexpected_child(action, child, NULL);
		if (strcmp(child->name, "ejb") == 0 ||
			strcmp(child->name, "javascript") == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("action <%s> is not supported",
							notify_quote_value(child->name)),
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
		if (action_kind_lookup(child->name) < 0)
			defn_unexpected_child(action, child,
							 "An action is one of http, sqs, sns, function and channel.");
		if (kind != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("more than one action in <action>"),
					 errdetail("Found <%s> and <%s>; a notification has exactly one action.",
							   notify_quote_value(kind->name),
							   notify_quote_value(child->name))));
		kind = child;
	}
	defn_check_no_text(action);
	if (kind == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("missing action element in <action>"),
				 errdetail("An action is one of http, sqs, sns, function and channel.")));

	switch ((NotifyActionKind) action_kind_lookup(kind->name))
	{
		case NA_HTTP:
			canon->children = lappend(canon->children, parse_http(kind, act));
			break;
		case NA_SQS:
			canon->children = lappend(canon->children, parse_sqs(kind, act));
			break;
		case NA_FUNCTION:
			canon->children = lappend(canon->children, parse_function(kind, act));
			break;
		case NA_CHANNEL:
			canon->children = lappend(canon->children, parse_channel(kind, act));
			break;
		case NA_SNS:
			canon->children = lappend(canon->children, parse_sns(kind, act));
			break;
	}
	return canon;
}


/*
 * copy_or_null
 *		pstrdup that keeps NULL.
 */
static char *
copy_or_null(const char *s)
{
	return s ? pstrdup(s) : NULL;
}

/*
 * action_copy
 *		Make *dst a deep copy of *src in CurrentMemoryContext: every string
 *		of the action is copied, so the copy outlives the definition cache
 *		(which is rebuilt when definitions change, also within a
 *		transaction).  The one list of an action's strings: a field added
 *		to NotifyAction is added here.
 */
void
action_copy(NotifyAction *dst, const NotifyAction *src)
{
	*dst = *src;
	dst->group = copy_or_null(src->group);
	dst->url = copy_or_null(src->url);
	dst->url_password = copy_or_null(src->url_password);
	dst->signing_alias = copy_or_null(src->signing_alias);
	dst->signing_secret = copy_or_null(src->signing_secret);
	dst->signing_previous = copy_or_null(src->signing_previous);
	dst->sqs_endpoint = copy_or_null(src->sqs_endpoint);
	dst->sqs_queue = copy_or_null(src->sqs_queue);
	dst->sqs_access_key = copy_or_null(src->sqs_access_key);
	dst->sqs_secret = copy_or_null(src->sqs_secret);
	dst->sqs_region = copy_or_null(src->sqs_region);
	dst->sqs_group_id = copy_or_null(src->sqs_group_id);
	dst->aws_role_arn = copy_or_null(src->aws_role_arn);
	dst->aws_role_session = copy_or_null(src->aws_role_session);
	dst->aws_role_external_id = copy_or_null(src->aws_role_external_id);
	dst->sns_topic = copy_or_null(src->sns_topic);
	dst->function_name = copy_or_null(src->function_name);
	dst->channel = copy_or_null(src->channel);
}
