/*-------------------------------------------------------------------------
 *
 * encode.h
 *	  Message bodies: an event's multi-map in one of the three content
 *	  types of a Vidispine notification action.
 *
 * The byte-exact formats are described in the banner of encode.c.  The
 * encoders are pure: no catalog access and no I/O.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/encode/encode.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_ENCODE_H
#define NOTIFY_ENCODE_H

#include "lib/stringinfo.h"

#include "definition/definition.h"

extern char *encode_body(const char *payload, NotifyContentType ct,
						 size_t *len);
extern void encode_json_string(StringInfo buf, const char *s, size_t len);

/* s3_event.c: the S3 event message content types */
struct json_object;
extern void encode_s3_document(struct json_object *root, NotifyContentType ct,
							   StringInfo buf);

#endif							/* NOTIFY_ENCODE_H */
