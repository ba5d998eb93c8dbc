/*-------------------------------------------------------------------------
 *
 * s3_event.c
 *	  S3 event messages: the body of content types
 *	  application/x-s3-event+json (AWS) and application/x-minio-event+json
 *	  (MinIO), made of the payload capture writes for them.
 *
 * Input: the outbox payload multi-map (see encode.c), parsed.  Capture
 * (src/capture/file.c) writes for a file event one value for each of
 * eventName (AWS spelling, "ObjectCreated:Put"), eventTime, principalId,
 * ownerId, sourceIPAddress, requestId, hostId, awsRegion, configurationId,
 * bucket, key (the raw path), sequencer, and size and eTag when known
 * (no value otherwise).  The test event a bucket configuration sends when
 * it is saved has Event ("s3:TestEvent"), Time, Bucket, RequestId and
 * HostId instead.  Other keys are ignored; a missing key is an empty
 * string.
 *
 * Output, UTF-8 JSON without whitespace:
 *
 * AWS:   {"Records":[{"eventVersion":"2.1","eventSource":"aws:s3",
 *	 "awsRegion":..,"eventTime":..,"eventName":..,"userIdentity":
 *	 {"principalId":..},"requestParameters":{"sourceIPAddress":..},
 *	 "responseElements":{"x-amz-request-id":..,"x-amz-id-2":..},"s3":
 *	 {"s3SchemaVersion":"1.0","configurationId":..,"bucket":{"name":..,
 *	 "ownerIdentity":{"principalId":..},"arn":"arn:aws:s3:::<bucket>"},
 *	 "object":{"key":..,"size":N,"eTag":..,"sequencer":..}}}]}
 *	 The key is form-URL-encoded: A-Z a-z 0-9 - _ . ~ and / as they are, a
 *	 space as +, every other byte of its UTF-8 as %XX (upper case).  size
 *	 (a JSON number) and eTag are left out when unknown (delete, lost).
 *	 No versionId: storages are not versioned buckets.
 *
 * MinIO: {"EventName":"s3:<name>","Key":"<bucket>/<raw key>","Records":
 *	 [record]}, the record as above but eventVersion "2.0", eventSource
 *	 "minio:s3", eventName with its "s3:" prefix, requestParameters also
 *	 with principalId and region, responseElements also with
 *	 x-minio-deployment-id (the host id), the key escaped as Go's
 *	 url.QueryEscape does (/ too), and a "source" object {host, port,
 *	 userAgent}.
 *
 * Test event (both): {"Service":"Amazon S3","Event":"s3:TestEvent",
 *	 "Time":..,"Bucket":..,"RequestId":..,"HostId":..}.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/encode/s3_event.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <json-c/json_object.h>

#include "lib/stringinfo.h"

#include "encode/encode.h"

/*
 * field
 *		The first value of key in the payload root, or "" when the key is
 *		missing or has no value.  ERRORs when it is not a string array.
 */
static const char *
field(struct json_object *root, const char *key)
{
	struct json_object *values;
	struct json_object *v;

	if (!json_object_object_get_ex(root, key, &values))
		return "";
	if (!json_object_is_type(values, json_type_array))
		elog(ERROR, "malformed notification payload: the value of key \"%s\" is not an array",
			 key);
	if (json_object_array_length(values) == 0)
		return "";
	v = json_object_array_get_idx(values, 0);
	if (v == NULL || !json_object_is_type(v, json_type_string))
		elog(ERROR, "malformed notification payload: element 0 of key \"%s\" is not a string",
			 key);
	return json_object_get_string(v);
}

/* Append "name":"value" (value escaped), preceded by a comma unless first */
static void
member(StringInfo buf, bool first, const char *name, const char *value)
{
	if (!first)
		appendStringInfoChar(buf, ',');
	appendStringInfo(buf, "\"%s\":", name);
	encode_json_string(buf, value, strlen(value));
}

/*
 * append_key
 *		Append the object key form-URL-encoded, as a JSON string: the bytes
 *		of the unreserved characters (and "/" unless go_style) as they are,
 *		a space as "+", every other byte as %XX.
 */
static void
append_key(StringInfo buf, const char *key, bool go_style)
{
	const unsigned char *s = (const unsigned char *) key;

	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		unsigned char c = *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			c == '~' || (c == '/' && !go_style))
			appendStringInfoChar(buf, (char) c);
		else if (c == ' ')
			appendStringInfoChar(buf, '+');
		else
			appendStringInfo(buf, "%%%02X", (unsigned int) c);
	}
	appendStringInfoChar(buf, '"');
}

/* Is s a non-empty run of decimal digits (a size we may write as a number)? */
static bool
is_digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 19)
		return false;
	for (; *s; s++)
	{
		if (*s < '0' || *s > '9')
			return false;
	}
	return true;
}

/* The test event (see the file banner) */
static void
encode_test_event(struct json_object *root, StringInfo buf)
{
	appendStringInfoString(buf, "{\"Service\":\"Amazon S3\"");
	member(buf, false, "Event", field(root, "Event"));
	member(buf, false, "Time", field(root, "Time"));
	member(buf, false, "Bucket", field(root, "Bucket"));
	member(buf, false, "RequestId", field(root, "RequestId"));
	member(buf, false, "HostId", field(root, "HostId"));
	appendStringInfoChar(buf, '}');
}

/* One event record (see the file banner) */
static void
encode_record(struct json_object *root, bool minio, StringInfo buf)
{
	const char *name = field(root, "eventName");
	const char *principal = field(root, "principalId");
	const char *region = field(root, "awsRegion");
	const char *ip = field(root, "sourceIPAddress");
	const char *bucket = field(root, "bucket");
	const char *size = field(root, "size");
	const char *etag = field(root, "eTag");
	char	   *arn;

	appendStringInfoChar(buf, '{');
	member(buf, true, "eventVersion", minio ? "2.0" : "2.1");
	member(buf, false, "eventSource", minio ? "minio:s3" : "aws:s3");
	member(buf, false, "awsRegion", region);
	member(buf, false, "eventTime", field(root, "eventTime"));
	member(buf, false, "eventName", minio ? psprintf("s3:%s", name) : name);

	appendStringInfoString(buf, ",\"userIdentity\":{");
	member(buf, true, "principalId", principal);
	appendStringInfoString(buf, "},\"requestParameters\":{");
	if (minio)
	{
		member(buf, true, "principalId", principal);
		member(buf, false, "region", region);
		member(buf, false, "sourceIPAddress", ip);
	}
	else
		member(buf, true, "sourceIPAddress", ip);
	appendStringInfoString(buf, "},\"responseElements\":{");
	member(buf, true, "x-amz-request-id", field(root, "requestId"));
	member(buf, false, "x-amz-id-2", field(root, "hostId"));
	if (minio)
		member(buf, false, "x-minio-deployment-id", field(root, "hostId"));

	appendStringInfoString(buf, "},\"s3\":{");
	member(buf, true, "s3SchemaVersion", "1.0");
	member(buf, false, "configurationId", field(root, "configurationId"));
	appendStringInfoString(buf, ",\"bucket\":{");
	member(buf, true, "name", bucket);
	appendStringInfoString(buf, ",\"ownerIdentity\":{");
	member(buf, true, "principalId", field(root, "ownerId"));
	appendStringInfoChar(buf, '}');
	arn = psprintf("arn:aws:s3:::%s", bucket);
	member(buf, false, "arn", arn);
	pfree(arn);
	appendStringInfoString(buf, "},\"object\":{\"key\":");
	append_key(buf, field(root, "key"), minio);
	if (is_digits(size))
		appendStringInfo(buf, ",\"size\":%s", size);
	if (*etag)
		member(buf, false, "eTag", etag);
	member(buf, false, "sequencer", field(root, "sequencer"));
	appendStringInfoString(buf, "}}");

	if (minio)
	{
		appendStringInfoString(buf, ",\"source\":{");
		member(buf, true, "host", ip);
		member(buf, false, "port", "");
		member(buf, false, "userAgent", "notify_ext");
		appendStringInfoChar(buf, '}');
	}
	appendStringInfoChar(buf, '}');
}

/*
 * encode_s3_document
 *		Append the S3 event message of the parsed payload root in content
 *		type ct (NCT_S3_EVENT or NCT_MINIO_EVENT) to buf.  ERRORs on a
 *		malformed payload; the caller owns root.
 */
void
encode_s3_document(struct json_object *root, NotifyContentType ct,
				   StringInfo buf)
{
	bool		minio = (ct == NCT_MINIO_EVENT);

	Assert(NCT_IS_S3(ct));
	if (!json_object_is_type(root, json_type_object))
		elog(ERROR, "malformed notification payload: not a JSON object");

	if (strcmp(field(root, "Event"), "s3:TestEvent") == 0)
	{
		encode_test_event(root, buf);
		return;
	}
	if (minio)
	{
		char	   *name = psprintf("s3:%s", field(root, "eventName"));
		char	   *key = psprintf("%s/%s", field(root, "bucket"), field(root, "key"));

		appendStringInfoChar(buf, '{');
		member(buf, true, "EventName", name);
		member(buf, false, "Key", key);
		appendStringInfoString(buf, ",\"Records\":[");
	}
	else
		appendStringInfoString(buf, "{\"Records\":[");
	encode_record(root, minio, buf);
	appendStringInfoString(buf, "]}");
}
