/*-------------------------------------------------------------------------
 *
 * payload.c
 *	  The event's multi-map: the payload of an outbox row.
 *
 * A payload is a JSON object with one array of strings per key, keys in
 * output order: {"itemId":["VX-1"],"action":["CREATE"]}.  A key may have
 * no value ([]) or many.  The encoders (encode/) read it back to write the
 * delivered body.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/payload.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/json.h"

#include "capture/capture_internal.h"

/* Open key's array: the caller appends its values and the closing "]" */
static void
payload_key(StringInfo buf, const char *key)
{
	appendStringInfoChar(buf, buf->len == 0 ? '{' : ',');
	escape_json(buf, key);
	appendStringInfoString(buf, ":[");
}

/*
 * payload_add
 *		Add key with one value; a NULL value gives the key no value.
 */
void
payload_add(StringInfo buf, const char *key, const char *value)
{
	payload_key(buf, key);
	if (value)
		escape_json(buf, value);
	appendStringInfoChar(buf, ']');
}

/*
 * payload_add_list
 *		Add key with a list of values (char *), in order.
 */
void
payload_add_list(StringInfo buf, const char *key, List *values)
{
	ListCell   *lc;

	payload_key(buf, key);
	foreach(lc, values)
	{
		if (lc != list_head(values))
			appendStringInfoChar(buf, ',');
		escape_json(buf, (const char *) lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

/*
 * payload_finish
 *		Close the object ("{}" if no key was added) and return its text.
 */
char *
payload_finish(StringInfo buf)
{
	appendStringInfoChar(buf, buf->len == 0 ? '{' : '}');
	if (buf->len == 1)
		appendStringInfoChar(buf, '}');
	return buf->data;
}
