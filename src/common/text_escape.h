/*-------------------------------------------------------------------------
 *
 * text_escape.h
 *	  Showing a user-supplied value inside a message.
 *
 * Every error message, detail or hint that repeats a value from user input
 * (a document's element names and values, a URL, an id, a payload key)
 * passes it through notify_quote_value() first, so that a message is
 * bounded in length and holds no line break or other control character
 * that could forge a log line.  The rules are in text_escape.c.
 *
 * It also holds the one XML escaper, notify_xml_escape_char(), used by
 * the stored NotificationDocument (definition/notification_document.c)
 * and by the XML body of an event (encode/encode.c); the flags below name
 * what each of them needs beyond the common rules.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/text_escape.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_TEXT_ESCAPE_H
#define NOTIFY_TEXT_ESCAPE_H

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

/* Characters of a value shown in a message before it is cut off */
#define NOTIFY_QUOTE_MAX_CHARS	100

extern char *notify_quote_value(const char *s);

/*
 * XML escaping.  Always: & < > as &amp; &lt; &gt;, and CR as &#13; (a
 * literal CR would be read back as LF).  The flags add:
 */
#define NOTIFY_XML_QUOT			0x01	/* " as &quot; */
#define NOTIFY_XML_APOS			0x02	/* ' as &apos; */
#define NOTIFY_XML_TAB_LF		0x04	/* TAB, LF as &#9; &#10; (attribute
										 * values, which a parser would
										 * normalize to spaces) */
#define NOTIFY_XML_DROP_NONCHAR 0x08	/* leave out what XML 1.0's Char
										 * production excludes */

/* a stored NotificationDocument's element text and attribute values */
#define NOTIFY_XML_DOC_TEXT		0
#define NOTIFY_XML_DOC_ATTR		(NOTIFY_XML_QUOT | NOTIFY_XML_TAB_LF)
/* character data of an event's XML body */
#define NOTIFY_XML_BODY			(NOTIFY_XML_QUOT | NOTIFY_XML_APOS | \
								 NOTIFY_XML_DROP_NONCHAR)

extern void notify_xml_escape_char(StringInfo buf, pg_wchar cp,
								   const char *bytes, int len, int flags);

#endif							/* NOTIFY_TEXT_ESCAPE_H */
