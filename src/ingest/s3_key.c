/*-------------------------------------------------------------------------
 *
 * s3_key.c
 *	  Object keys of S3 event messages, as S3 writes them.
 *
 * S3 (and MinIO) put the object key into an event message form-URL-encoded
 * ("red flower+1.jpg" arrives as "red+flower%2B1.jpg"): "+" stands for a
 * space and "%XX" for one byte; the bytes are the key's UTF-8.  This file
 * turns such a key back into text of the database encoding.  Bucket
 * listings (ListObjectsV2 without encoding-type) carry keys as they are
 * and need none of this.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/ingest/s3_key.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/url.h"
#include "ingest/ingest.h"

PG_FUNCTION_INFO_V1(notify_ext_s3_key_decode);

/*
 * s3_key_decode
 *		Decode len bytes of a form-URL-encoded key into a palloc'd,
 *		NUL-terminated string of the database encoding.  A "%" not followed
 *		by two hex digits stays as it is (S3 never writes one).  ERROR
 *		22021 when the decoded bytes are not UTF-8 or a character has no
 *		equivalent in the database encoding; 22021 too for a NUL byte.
 */
char *
s3_key_decode(const char *key, int len)
{
	int			n;
	char	   *raw = notify_form_decode(key, len, false, &n);

	if (raw == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("S3 object key contains a NUL byte")));
	/* validates the UTF-8 and converts it */
	pg_verify_mbstr(PG_UTF8, raw, n, false);
	return (char *) pg_do_encoding_conversion((unsigned char *) raw, n,
											  PG_UTF8, GetDatabaseEncoding());
}

/*
 * notify_ext_s3_key_decode
 *		notify.s3_key_decode(key text) RETURNS text: s3_key_decode of key.
 *		STRICT.
 */
Datum
notify_ext_s3_key_decode(PG_FUNCTION_ARGS)
{
	text	   *key = PG_GETARG_TEXT_PP(0);
	char	   *utf8;
	char	   *decoded;

	/* the key as the message had it: ASCII in practice, UTF-8 in any case */
	utf8 = pg_server_to_any(text_to_cstring(key), VARSIZE_ANY_EXHDR(key), PG_UTF8);
	decoded = s3_key_decode(utf8, strlen(utf8));
	PG_RETURN_TEXT_P(cstring_to_text(decoded));
}
