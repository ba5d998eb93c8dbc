/*-------------------------------------------------------------------------
 *
 * notification_document.c
 *	  The two spellings of a NotificationDocument, XML and JSON, read into
 *	  and written out of the generic DocNode tree of definition.h.
 *
 * document_read() only decides the spelling and hands the text to the
 * reader of that spelling, in notification_xml.c or notification_json.c
 * with the writer of the same spelling; what the elements mean is
 * parse.c's business.  The readers are built for untrusted input:
 *
 *	- The size limit notify_ext.max_document_size is checked before any
 *	  parser sees the text, and nesting is limited to DOC_MAX_DEPTH levels.
 *	- XML goes through libxml2 inside core's pg_xml_init()/pg_xml_done()
 *	  bracket, with XML_PARSE_NONET and without NOENT, DTDLOAD, DTDATTR or
 *	  DTDVALID.  A document type declaration stops the parser the moment
 *	  it is seen (SAX internalSubset hook), so no entity declaration is
 *	  ever read, let alone expanded or fetched.
 *	- Parser messages are reported without the source excerpt libxml2
 *	  would attach, because that excerpt may hold a URL password or an SQS
 *	  secret from the document.
 *	- JSON is read by json-c in strict mode, and the text it accepted is
 *	  then checked against RFC 8259 for what strict mode still lets
 *	  through (json_check_text): NaN, Infinity and other bare words that
 *	  are not JSON values, raw control characters in strings, \u0000 (which
 *	  json-c silently cuts a key at) and UTF-16 surrogates without their
 *	  pair (which json-c silently replaces).  A key repeated in one object
 *	  is refused like a repeated XML attribute, where json-c would keep the
 *	  last value.
 *	- Names and values from the document are shown in messages through
 *	  notify_quote_value(): bounded in length, control characters escaped.
 *
 * Ownership: libxml2 and json-c allocate with malloc.  Every xmlDoc,
 * parser context, json_tokener and json_object lives only inside one
 * PG_TRY block of this file and is freed on both the normal and the error
 * path.  Strings are copied into palloc memory (converted to the server
 * encoding) before the foreign object is freed; the resulting DocNode tree
 * is palloc'd in the caller's memory context.
 *
 * Output is deterministic: elements and attributes are written in tree
 * order, so the canonical tree built by parse.c always yields
 * byte-identical XML and JSON.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/notification_document.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "definition/notification_document.h"
#include "guc.h"

/*---- Reading ----*/

/*
 * document_read
 *		Parse a NotificationDocument spelled in XML or in JSON.
 *
 * text need not be NUL-terminated; len is its length in bytes.  The first
 * non-blank character decides the spelling: '<' is XML, '{' is JSON; blanks
 * and a UTF-8 byte order mark before it are skipped.
 *
 * Returns the root DocNode, named "NotificationDocument" in both cases,
 * palloc'd in CurrentMemoryContext.  Nothing is validated beyond the form:
 * well-formedness, the XML root element and namespace, no DTD, no mixed
 * content, size and depth limits.  Every failure is an ereport(ERROR):
 * ERRCODE_PROGRAM_LIMIT_EXCEEDED for size and depth,
 * ERRCODE_INVALID_XML_DOCUMENT / ERRCODE_INVALID_XML_CONTENT for XML,
 * ERRCODE_INVALID_JSON_TEXT for JSON, ERRCODE_INVALID_PARAMETER_VALUE when
 * the text is neither.
 */
DocNode *
document_read(const char *text, int len)
{
	int			i = 0;

	if (len > notify_ext_max_document_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("NotificationDocument of %d bytes exceeds the limit of %d bytes",
						len, notify_ext_max_document_size),
				 errhint("The limit is set by \"notify_ext.max_document_size\".")));

	/* skip blanks and a UTF-8 byte order mark */
	while (i < len)
	{
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
			text[i] == '\r')
			i++;
		else if (i + 2 < len && (unsigned char) text[i] == 0xEF &&
				 (unsigned char) text[i + 1] == 0xBB &&
				 (unsigned char) text[i + 2] == 0xBF)
			i += 3;
		else
			break;
	}

	if (i < len && text[i] == '<')
		return document_read_xml(text + i, len - i);
	if (i < len && text[i] == '{')
		return document_read_json(text + i, len - i);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("document is neither XML nor JSON"),
			 errdetail("A NotificationDocument starts with \"<\" in XML or with \"{\" in JSON.")));
	return NULL;				/* keep compiler quiet */
}

/*
 * document_utf8_to_server
 *		Copy len bytes of UTF-8 into a palloc'd, NUL-terminated string in the
 *		server encoding.  Errors out if a character has no equivalent there.
 */
char *
document_utf8_to_server(const char *s, int len)
{
	char	   *copy = pnstrdup(s, len);
	char	   *conv = pg_any_to_server(copy, strlen(copy), PG_UTF8);

	if (conv != copy)
		pfree(copy);
	return conv;
}
