/*-------------------------------------------------------------------------
 *
 * notification_document.h
 *	  Private interface of the NotificationDocument readers and writers.
 *
 * notification_document.c decides the spelling of a document and calls
 * the reader of notification_xml.c or notification_json.c; the writers
 * (document_to_xml, document_to_json) are declared in definition.h.
 * Only these three files include this header.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/notification_document.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_NOTIFICATION_DOCUMENT_H
#define NOTIFY_NOTIFICATION_DOCUMENT_H

#include <libxml/tree.h>

#include "definition/definition.h"

/* Deepest element nesting accepted in either spelling */
#define DOC_MAX_DEPTH	32

/* notification_document.c */
extern char *document_utf8_to_server(const char *s, int len);

/* notification_xml.c, notification_json.c: text from its first '<' or '{' */
extern DocNode *document_read_xml(const char *text, int len);

/* notification_xml.c: the one hardened way XML input is read */
extern void notify_xml_parse(const char *text, int len, const char *what,
							 bool keep_blanks,
							 void (*use_root) (xmlNodePtr root, void *arg),
							 void *arg);
extern DocNode *document_read_json(const char *text, int len);

#endif							/* NOTIFY_NOTIFICATION_DOCUMENT_H */
