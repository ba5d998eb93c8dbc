/*-------------------------------------------------------------------------
 *
 * aws.c
 *	  Reading AWS's answers, for the SQS/SNS transport (sqs.c) and the S3
 *	  ingest poller alike: the error code and message of a non-2xx answer
 *	  in any of the shapes AWS and its emulators use (JSON protocol
 *	  __type/message, XML Code/Message of S3 and the Query protocol, the
 *	  x-amzn-query-error header), throttling codes, and error text made
 *	  safe for a message with the secret key masked.
 *
 * Every json-c object made here is released before return; results are
 * palloc'd in CurrentMemoryContext.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/aws.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "lib/stringinfo.h"

#include "transport/aws.h"
#include "transport/http_internal.h"

/*
 * aws_json_string
 *		The string member name of a parsed JSON object, or NULL (also for
 *		a NULL obj or one that is not an object).
 */
const char *
aws_json_string(struct json_object *obj, const char *name)
{
	struct json_object *v;

	if (obj == NULL || !json_object_is_type(obj, json_type_object) ||
		!json_object_object_get_ex(obj, name, &v) ||
		!json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/*
 * aws_xml_tag
 *		The text of the first <tag>...</tag> in s, palloc'd, or NULL.
 */
char *
aws_xml_tag(const char *s, const char *tag)
{
	char	   *open = psprintf("<%s>", tag);
	char	   *close = psprintf("</%s>", tag);
	const char *b = strstr(s, open);
	const char *e;
	char	   *result = NULL;

	if (b != NULL)
	{
		b += strlen(open);
		e = strstr(b, close);
		if (e != NULL)
			result = pnstrdup(b, e - b);
	}
	pfree(open);
	pfree(close);
	return result;
}

/*
 * aws_error_of
 *		AWS's error code and message of a non-2xx answer with body (NUL-
 *		terminated) and x-amzn-query-error header value query_error (or
 *		NULL): the JSON body's __type (after its '#') and message (or
 *		Message), else the XML body's Code and Message, else the code of
 *		x-amzn-query-error.  Either result may be NULL; both palloc'd.
 */
void
aws_error_of(const char *body, const char *query_error, char **code,
			 char **message)
{
	struct json_object *j = json_tokener_parse(body);
	const char *type = aws_json_string(j, "__type");
	const char *msg = aws_json_string(j, "message");

	if (msg == NULL)
		msg = aws_json_string(j, "Message");
	*code = NULL;
	*message = msg ? pstrdup(msg) : NULL;
	if (type != NULL)
		*code = pstrdup(strchr(type, '#') ? strchr(type, '#') + 1 : type);
	if (j != NULL)
		json_object_put(j);
	if (*code == NULL)
		*code = aws_xml_tag(body, "Code");
	if (*message == NULL)
		*message = aws_xml_tag(body, "Message");
	if (*code == NULL && query_error != NULL)
		*code = pnstrdup(query_error, strcspn(query_error, ";"));
}

/*
 * aws_is_throttling
 *		Is code one of AWS's throttling error codes?
 */
bool
aws_is_throttling(const char *code)
{
	return code != NULL &&
		(strcmp(code, "ThrottlingException") == 0 ||
		 strcmp(code, "RequestThrottled") == 0 ||
		 strcmp(code, "Throttling") == 0 ||
		 strcmp(code, "TooManyRequestsException") == 0);
}

/*
 * aws_clean
 *		s as safe message text (no control characters, valid in the
 *		database encoding) with secret masked, palloc'd in
 *		CurrentMemoryContext.
 */
char *
aws_clean(const char *s, const char *secret)
{
	StringInfoData buf;

	initStringInfo(&buf);
	http_append_clean(&buf, s, strlen(s));
	return http_mask(buf.data, secret);
}
