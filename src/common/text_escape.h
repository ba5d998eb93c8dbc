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
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/text_escape.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_TEXT_ESCAPE_H
#define NOTIFY_TEXT_ESCAPE_H

/* Characters of a value shown in a message before it is cut off */
#define NOTIFY_QUOTE_MAX_CHARS	100

extern char *notify_quote_value(const char *s);

#endif							/* NOTIFY_TEXT_ESCAPE_H */
