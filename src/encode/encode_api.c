/*-------------------------------------------------------------------------
 *
 * encode_api.c
 *	  notify.encode_event: the delivery worker's encoder, callable from SQL.
 *
 * A private function (granted to nobody) so that the body of every content
 * type can be checked from a regression test exactly as the worker sends
 * it.  Kept apart from encode.c, whose json-c headers clash with
 * utils/builtins.h.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/encode/encode_api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "common/text_escape.h"
#include "encode/encode.h"

PG_FUNCTION_INFO_V1(notify_ext_encode_event);

/*
 * notify_ext_encode_event
 *		notify.encode_event(payload text, content_type text) returns bytea
 *
 * The body encode_body() makes of an outbox payload, exactly as the
 * delivery worker sends it.  content_type is text/plain, application/xml
 * application/json, application/x-s3-event+json or
 * application/x-minio-event+json (any case); anything else is
 * ERRCODE_INVALID_PARAMETER_VALUE.  A malformed payload is an ERROR, as in
 * the worker.  The result is bytea because a body is UTF-8 whatever the
 * database encoding.  Declared STRICT.
 */
Datum
notify_ext_encode_event(PG_FUNCTION_ARGS)
{
	char	   *payload = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *ctname = text_to_cstring(PG_GETARG_TEXT_PP(1));
	NotifyContentType ct;
	char	   *body;
	size_t		len;
	bytea	   *result;

	ct = content_type_lookup(ctname);
	if ((int) ct < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid content type \"%s\"",
						notify_quote_value(ctname)),
				 errhint("Supported content types are text/plain, application/xml, application/json, application/x-s3-event+json and application/x-minio-event+json.")));

	body = encode_body(payload, ct, &len);
	result = (bytea *) palloc(VARHDRSZ + len);
	SET_VARSIZE(result, VARHDRSZ + len);
	memcpy(VARDATA(result), body, len);
	PG_RETURN_BYTEA_P(result);
}
