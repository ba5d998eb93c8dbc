/*-------------------------------------------------------------------------
 *
 * text_escape.c
 *	  Showing a user-supplied value inside a message.
 *
 * notify_quote_value() is the one place where a value from user input is
 * made fit for an error message: the first NOTIFY_QUOTE_MAX_CHARS
 * characters are kept and "..." marks that more followed; CR, LF and TAB
 * become \r, \n and \t, every other C0 control character, DEL and any
 * byte that does not start a valid character of the database encoding
 * become \xNN, and in UTF-8 the C1 control characters become \uNNNN.  In
 * an SQL_ASCII database the value is read as UTF-8, so a byte that is not
 * part of a UTF-8 character is shown as \xNN there too.  Everything else,
 * backslashes included, is shown as is,
 * so an ordinary value reads the same in the message as in the input.
 * The caller adds the quotes ("%s" or <%s>) and masks credentials before
 * the call: truncation must never show what masking would hide, so the
 * value is masked whole, then cut.
 *
 * notify.quote_value(text) makes the same helper available to the SQL
 * functions of the extension script, for their own messages.
 *
 * notify_xml_escape_char() is the one XML escaper; its rules and flags
 * are listed in text_escape.h.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/text_escape.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "common/text_escape.h"

PG_FUNCTION_INFO_V1(notify_ext_quote_value);

/*
 * notify_quote_value
 *		Printable, bounded form of s for a message (see the file banner).
 *
 * s is a NUL-terminated string in the database encoding; NULL gives "".
 * Returns a palloc'd string in CurrentMemoryContext that is valid in the
 * database encoding, holds no C0 control character or DEL (nor, in UTF-8,
 * a C1 one) and shows at most NOTIFY_QUOTE_MAX_CHARS characters of s
 * (each in at most six bytes), followed by "..." when s was longer.
 * Never errors out except on running out of memory.
 */
char *
notify_quote_value(const char *s)
{
	StringInfoData buf;
	int			encoding = GetDatabaseEncoding();
	int			remaining;
	int			nchars = 0;

	/* SQL_ASCII says nothing about the bytes: UTF-8 is the best guess */
	if (encoding == PG_SQL_ASCII)
		encoding = PG_UTF8;

	initStringInfo(&buf);
	if (s == NULL)
		return buf.data;

	remaining = strlen(s);
	while (remaining > 0)
	{
		unsigned char c = (unsigned char) *s;
		int			l;

		if (nchars == NOTIFY_QUOTE_MAX_CHARS)
		{
			appendStringInfoString(&buf, "...");
			break;
		}
		nchars++;

		if (c == '\r')
			appendStringInfoString(&buf, "\\r");
		else if (c == '\n')
			appendStringInfoString(&buf, "\\n");
		else if (c == '\t')
			appendStringInfoString(&buf, "\\t");
		else if (c < 0x20 || c == 0x7F)
			appendStringInfo(&buf, "\\x%02X", (unsigned int) c);
		else if (c < 0x80)
			appendStringInfoChar(&buf, (char) c);
		else
		{
			l = pg_encoding_verifymbchar(encoding, s, remaining);
			if (l <= 0)
			{
				/* not a character of the database encoding: show the byte */
				appendStringInfo(&buf, "\\x%02X", (unsigned int) c);
				l = 1;
			}
			else if (encoding == PG_UTF8 && l == 2 && c == 0xC2 &&
					 (unsigned char) s[1] < 0xA0)
			{
				/* U+0080 to U+009F, the C1 control characters */
				appendStringInfo(&buf, "\\u%04X", (unsigned int) (unsigned char) s[1]);
			}
			else
				appendBinaryStringInfo(&buf, s, l);
			s += l;
			remaining -= l;
			continue;
		}
		s++;
		remaining--;
	}
	return buf.data;
}

/*
 * notify_ext_quote_value
 *		notify.quote_value(value text) returns text
 *
 * SQL face of notify_quote_value(), for the messages of the extension's
 * SQL functions.  Declared STRICT.
 */
Datum
notify_ext_quote_value(PG_FUNCTION_ARGS)
{
	char	   *value = text_to_cstring(PG_GETARG_TEXT_PP(0));

	PG_RETURN_TEXT_P(cstring_to_text(notify_quote_value(value)));
}

/*
 * notify_xml_escape_char
 *		Append one character, code point cp whose len bytes are at bytes,
 *		to buf as XML: escaped by the common rules and the flags of
 *		text_escape.h, or left out (NOTIFY_XML_DROP_NONCHAR), or as is.
 *
 * A caller walking bytes rather than characters may pass each byte with
 * len 1 and cp set to the byte: only ASCII characters are ever escaped,
 * and without NOTIFY_XML_DROP_NONCHAR every other byte is copied.
 */
void
notify_xml_escape_char(StringInfo buf, pg_wchar cp, const char *bytes,
					   int len, int flags)
{
	switch (cp)
	{
		case '&':
			appendStringInfoString(buf, "&amp;");
			return;
		case '<':
			appendStringInfoString(buf, "&lt;");
			return;
		case '>':
			appendStringInfoString(buf, "&gt;");
			return;
		case '\r':
			appendStringInfoString(buf, "&#13;");
			return;
		case '"':
			if (flags & NOTIFY_XML_QUOT)
			{
				appendStringInfoString(buf, "&quot;");
				return;
			}
			break;
		case '\'':
			if (flags & NOTIFY_XML_APOS)
			{
				appendStringInfoString(buf, "&apos;");
				return;
			}
			break;
		case '\t':
			if (flags & NOTIFY_XML_TAB_LF)
			{
				appendStringInfoString(buf, "&#9;");
				return;
			}
			break;
		case '\n':
			if (flags & NOTIFY_XML_TAB_LF)
			{
				appendStringInfoString(buf, "&#10;");
				return;
			}
			break;
		default:
			/* XML 1.0 Char production; surrogates never decode here */
			if ((flags & NOTIFY_XML_DROP_NONCHAR) &&
				((cp < 0x20 && cp != '\t' && cp != '\n') ||
				 cp == 0xFFFE || cp == 0xFFFF))
				return;
			break;
	}
	appendBinaryStringInfo(buf, bytes, len);
}
