/*-------------------------------------------------------------------------
 *
 * encode.c
 *	  Turn an event's multi-map into the body of a notification message.
 *
 * Input.  The payload stored in notify.outbox is a JSON object whose values
 * are arrays of strings, keys in output order:
 *
 *		{"itemId":["VX-1"],"tags":["news","sport"],"empty":[]}
 *
 * It is converted from the database encoding to UTF-8 first, then parsed
 * with json-c (which keeps the keys in insertion order).  Anything else
 * (not an object, a value that is not an array, an element that is not a
 * string, trailing garbage) is a bug in the capture code and raises
 * elog(ERROR).  In an SQL_ASCII database nothing says what the bytes of a
 * value are, so they are not converted but read as UTF-8: a byte sequence
 * that is not valid UTF-8 is replaced, as described below, and never
 * makes the event fail.
 *
 * Output, byte for byte; every body is UTF-8:
 *
 * text/plain: one row per key, in payload order.  A row is the key followed
 *	 by each of its values, separated by one TAB, and ends with CR LF; a key
 *	 without values is the key alone followed by CR LF.  An empty payload
 *	 gives an empty body.  Limitation: a TAB, CR or LF inside a key or a
 *	 value cannot be represented, each such character is replaced by one
 *	 space.  A byte sequence that is not valid UTF-8 becomes U+FFFD; other
 *	 characters pass unchanged.
 *
 * application/xml: the declaration <?xml version="1.0" encoding="UTF-8"?>
 *	 and one LF, then <SimpleMetadataDocument xmlns="(vidispine ns)">, one
 *	 <field><key>K</key><value>V</value></field> per value (a key with several
 *	 values repeats the field; a key without values gives one field with an
 *	 empty <value></value>), then </SimpleMetadataDocument>, without any
 *	 other whitespace and without a final newline.  Text escapes & < > " '
 *	 as &amp; &lt; &gt; &quot; &apos;, and CR as &#13; (a literal CR would be
 *	 turned into LF by every XML parser).  Characters XML 1.0 does not allow
 *	 (control characters other than TAB, LF and CR, U+FFFE, U+FFFF) are
 *	 dropped; a byte that is not valid UTF-8 becomes U+FFFD.
 *
 * application/json: {"field":[{"key":"K","value":"V"},...]} with the same
 *	 repetition rule as XML ({"key":"K","value":""} for a key without
 *	 values) and no whitespace.  Strings escape " and \ with a backslash,
 *	 BS FF LF CR TAB as \b \f \n \r \t, other control characters as \u00XX;
 *	 a byte that is not valid UTF-8 becomes U+FFFD.
 *
 * application/x-s3-event+json, application/x-minio-event+json: S3 event
 *	 messages, see s3_event.c.
 *
 * Memory: the json-c objects are malloc'd by json-c and live only inside
 * encode_body, freed on the normal and the error path (PG_FINALLY).  The
 * result is palloc'd in CurrentMemoryContext.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/encode/encode.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include <json-c/json_object.h>
#include <json-c/json_object_iterator.h>
#include <json-c/json_tokener.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "encode/encode.h"
#include "common/text_escape.h"

/* U+FFFD REPLACEMENT CHARACTER, in UTF-8 */
#define UTF8_REPLACEMENT	"\xEF\xBF\xBD"

/*---- Local function declarations ----*/

static void encode_document(struct json_object *root, NotifyContentType ct,
							StringInfo buf);
static const char *payload_value(struct json_object *values, size_t i,
								 const char *key, size_t *len);
static void append_text(StringInfo buf, const char *s, size_t len);
static void append_xml(StringInfo buf, const char *s, size_t len);
static void append_json(StringInfo buf, const char *s, size_t len);
static void append_field(StringInfo buf, NotifyContentType ct, bool first,
						 const char *key, size_t keylen,
						 const char *value, size_t valuelen);

/*
 * encode_body
 *		Encode a payload multi-map (see the file banner) as content type ct.
 *
 * payload is the outbox payload text in the database encoding.  Returns the
 * body palloc'd in CurrentMemoryContext, NUL-terminated for convenience,
 * and stores its length (without the NUL) in *len.  A malformed payload
 * raises elog(ERROR) (json-c 0.16 reports running out of memory as a parse
 * error, so that is where it ends up too).  No json-c object survives
 * either path.
 */
char *
encode_body(const char *payload, NotifyContentType ct, size_t *len)
{
	const char *utf8;
	size_t		plen;
	size_t		end;
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	StringInfoData buf;

	Assert(payload != NULL && len != NULL);

	/*
	 * Everything below works on UTF-8; a no-op in a UTF-8 database.  In an
	 * SQL_ASCII database the bytes are taken as they are: the appenders
	 * replace whatever is not UTF-8 (pg_server_to_any would instead refuse
	 * the whole payload, and the event would never be delivered).
	 */
	plen = strlen(payload);
	if (plen > (size_t) INT_MAX)
		elog(ERROR, "notification payload is too large to encode");
	if (GetDatabaseEncoding() == PG_SQL_ASCII)
		utf8 = payload;
	else
		utf8 = pg_server_to_any(payload, (int) plen, PG_UTF8);
	if (utf8 != payload)
		plen = strlen(utf8);
	if (plen > (size_t) INT_MAX)
		elog(ERROR, "notification payload is too large to encode");

	/*
	 * Parse.  No ereport can happen while the tokener and the tree are both
	 * alive and unowned, so plain code suffices until the PG_TRY below.
	 */
	tok = json_tokener_new();
	if (tok == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not allocate a JSON parser.")));
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, utf8, (int) plen);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);

	if (jerr != json_tokener_success || root == NULL)
	{
		/* json-c 0.16 has no distinct out-of-memory code */
		if (root != NULL)
			json_object_put(root);
		elog(ERROR, "malformed notification payload: %s",
			 jerr == json_tokener_success ? "not a JSON object" :
			 jerr == json_tokener_continue ? "unexpected end of input" :
			 json_tokener_error_desc(jerr));
	}
	while (end < plen && (utf8[end] == ' ' || utf8[end] == '\t' ||
						  utf8[end] == '\n' || utf8[end] == '\r'))
		end++;
	if (end < plen)
	{
		json_object_put(root);
		elog(ERROR, "malformed notification payload: trailing data after the object");
	}

	initStringInfo(&buf);
	PG_TRY();
	{
		encode_document(root, ct, &buf);
	}
	PG_FINALLY();
	{
		json_object_put(root);
	}
	PG_END_TRY();

	if (utf8 != payload)
		pfree((char *) utf8);

	*len = (size_t) buf.len;
	return buf.data;
}

/*
 * encode_document
 *		Append the whole body for the parsed payload root to buf.
 *
 * May ERROR (malformed payload, out of memory); the caller owns root.
 */
static void
encode_document(struct json_object *root, NotifyContentType ct,
				StringInfo buf)
{
	struct json_object_iterator it;
	struct json_object_iterator end;
	bool		first = true;

	if (NCT_IS_S3(ct))
	{
		encode_s3_document(root, ct, buf);
		return;
	}
	if (!json_object_is_type(root, json_type_object))
		elog(ERROR, "malformed notification payload: not a JSON object");

	switch (ct)
	{
		case NCT_TEXT:
			break;
		case NCT_XML:
			appendStringInfoString(buf,
								   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
								   "<SimpleMetadataDocument xmlns=\"" VIDISPINE_NS "\">");
			break;
		case NCT_JSON:
			appendStringInfoString(buf, "{\"field\":[");
			break;
		default:
			elog(ERROR, "unrecognized notification content type: %d", (int) ct);
	}

	it = json_object_iter_begin(root);
	end = json_object_iter_end(root);
	while (!json_object_iter_equal(&it, &end))
	{
		const char *key = json_object_iter_peek_name(&it);
		struct json_object *values = json_object_iter_peek_value(&it);
		size_t		keylen = strlen(key);
		size_t		n;
		size_t		i;

		if (!json_object_is_type(values, json_type_array))
			elog(ERROR, "malformed notification payload: the value of key \"%s\" is not an array",
				 notify_quote_value(key));
		n = json_object_array_length(values);

		if (ct == NCT_TEXT)
		{
			append_text(buf, key, keylen);
			for (i = 0; i < n; i++)
			{
				const char *v;
				size_t		vlen;

				v = payload_value(values, i, key, &vlen);
				appendStringInfoChar(buf, '\t');
				append_text(buf, v, vlen);
			}
			appendBinaryStringInfo(buf, "\r\n", 2);
		}
		else if (n == 0)
		{
			append_field(buf, ct, first, key, keylen, "", 0);
			first = false;
		}
		else
		{
			for (i = 0; i < n; i++)
			{
				const char *v;
				size_t		vlen;

				v = payload_value(values, i, key, &vlen);
				append_field(buf, ct, first, key, keylen, v, vlen);
				first = false;
			}
		}

		json_object_iter_next(&it);
	}

	if (ct == NCT_XML)
		appendStringInfoString(buf, "</SimpleMetadataDocument>");
	else if (ct == NCT_JSON)
		appendStringInfoString(buf, "]}");
}

/*
 * payload_value
 *		Element i of the value array of key; its length goes to *len.
 *
 * The string belongs to the json-c tree.  ERRORs when it is not a string.
 */
static const char *
payload_value(struct json_object *values, size_t i, const char *key,
			  size_t *len)
{
	struct json_object *v = json_object_array_get_idx(values, i);

	if (v == NULL || !json_object_is_type(v, json_type_string))
		elog(ERROR, "malformed notification payload: element %zu of key \"%s\" is not a string",
			 i, notify_quote_value(key));
	*len = (size_t) json_object_get_string_len(v);
	return json_object_get_string(v);
}

/*
 * append_field
 *		Append one key/value field in XML or JSON.  first is false for every
 *		field after the first one (JSON needs a separating comma).
 */
static void
append_field(StringInfo buf, NotifyContentType ct, bool first,
			 const char *key, size_t keylen,
			 const char *value, size_t valuelen)
{
	if (ct == NCT_XML)
	{
		appendStringInfoString(buf, "<field><key>");
		append_xml(buf, key, keylen);
		appendStringInfoString(buf, "</key><value>");
		append_xml(buf, value, valuelen);
		appendStringInfoString(buf, "</value></field>");
	}
	else
	{
		if (!first)
			appendStringInfoChar(buf, ',');
		appendStringInfoString(buf, "{\"key\":");
		append_json(buf, key, keylen);
		appendStringInfoString(buf, ",\"value\":");
		append_json(buf, value, valuelen);
		appendStringInfoChar(buf, '}');
	}
}

/*
 * utf8_sequence
 *		Length of the valid UTF-8 sequence starting at s[0] (at most len
 *		bytes available), or 0 when s does not start with one.  Sets *cp to
 *		the code point.
 */
static int
utf8_sequence(const unsigned char *s, size_t len, pg_wchar *cp)
{
	int			l;

	if (s[0] < 0x80)
	{
		*cp = s[0];
		return 1;
	}
	l = pg_utf_mblen(s);
	if (l < 2 || (size_t) l > len || !pg_utf8_islegal(s, l))
		return 0;
	*cp = utf8_to_unicode(s);
	return l;
}

/*
 * CodePointEscaper
 *		Appends one valid UTF-8 sequence (code point cp, its l bytes at
 *		bytes) to buf in one body format.
 */
typedef void (*CodePointEscaper) (StringInfo buf, pg_wchar cp,
								  const char *bytes, int l);

/*
 * append_utf8
 *		Append s, len bytes, through escape: the one walk over a value for
 *		every body format.  A byte that does not start a valid UTF-8
 *		sequence (a value of an SQL_ASCII database) becomes U+FFFD
 *		REPLACEMENT CHARACTER, which every format carries as is.
 */
static void
append_utf8(StringInfo buf, const char *s, size_t len, CodePointEscaper escape)
{
	const unsigned char *u = (const unsigned char *) s;
	size_t		i = 0;

	while (i < len)
	{
		pg_wchar	cp;
		int			l = utf8_sequence(u + i, len - i, &cp);

		if (l == 0)
		{
			appendStringInfoString(buf, UTF8_REPLACEMENT);
			i++;
			continue;
		}
		escape(buf, cp, s + i, l);
		i += l;
	}
}

/* text/plain: TAB, CR and LF each become one space */
static void
escape_text(StringInfo buf, pg_wchar cp, const char *bytes, int l)
{
	if (cp == '\t' || cp == '\r' || cp == '\n')
		appendStringInfoChar(buf, ' ');
	else
		appendBinaryStringInfo(buf, bytes, l);
}

/* XML character data (see the file banner): common/'s one XML escaper */
static void
escape_xml(StringInfo buf, pg_wchar cp, const char *bytes, int l)
{
	notify_xml_escape_char(buf, cp, bytes, l, NOTIFY_XML_BODY);
}

/* the inside of a JSON string literal */
static void
escape_json(StringInfo buf, pg_wchar cp, const char *bytes, int l)
{
	switch (cp)
	{
		case '"':
			appendStringInfoString(buf, "\\\"");
			break;
		case '\\':
			appendStringInfoString(buf, "\\\\");
			break;
		case '\b':
			appendStringInfoString(buf, "\\b");
			break;
		case '\f':
			appendStringInfoString(buf, "\\f");
			break;
		case '\n':
			appendStringInfoString(buf, "\\n");
			break;
		case '\r':
			appendStringInfoString(buf, "\\r");
			break;
		case '\t':
			appendStringInfoString(buf, "\\t");
			break;
		default:
			if (cp < 0x20)
				appendStringInfo(buf, "\\u%04x", (unsigned int) cp);
			else
				appendBinaryStringInfo(buf, bytes, l);
			break;
	}
}

/* Append s for text/plain */
static void
append_text(StringInfo buf, const char *s, size_t len)
{
	append_utf8(buf, s, len, escape_text);
}

/* Append s as XML character data */
static void
append_xml(StringInfo buf, const char *s, size_t len)
{
	append_utf8(buf, s, len, escape_xml);
}

/* Append s as a JSON string literal, quotes included */
static void
append_json(StringInfo buf, const char *s, size_t len)
{
	appendStringInfoChar(buf, '"');
	append_utf8(buf, s, len, escape_json);
	appendStringInfoChar(buf, '"');
}

/*
 * encode_json_string
 *		Append s (len bytes of UTF-8) as a JSON string literal, quotes
 *		included, escaped as the application/json body escapes values.
 */
void
encode_json_string(StringInfo buf, const char *s, size_t len)
{
	append_json(buf, s, len);
}
