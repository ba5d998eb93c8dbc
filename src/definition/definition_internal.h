/*-------------------------------------------------------------------------
 *
 * definition_internal.h
 *	  Private interface between the three files that validate a
 *	  NotificationDocument.
 *
 * parse.c holds the entry point and the summary and calls action.c
 * (validates <action>) and trigger.c (validates <trigger>); the tree and
 * value helpers below, in node.c, serve all three and call none of them.
 * The helpers share one convention: they ereport(ERROR) with
 * ERRCODE_INVALID_PARAMETER_VALUE (unless stated otherwise) naming the
 * element at fault, they allocate in CurrentMemoryContext, and they never
 * put credentials into a message.  Only these four files include this
 * header, with the document readers (notification_xml.c,
 * notification_json.c) for the node constructor; everything else uses
 * definition.h.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/definition_internal.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DEFINITION_INTERNAL_H
#define NOTIFY_DEFINITION_INTERNAL_H

#include "definition/definition.h"

/* Defaults of an action, also set by definition_parse() before parsing */
#define DEFAULT_RETRY		3
#define DEFAULT_TIMEOUT_S	30

/*
 * One expected child of an element.  defn_match_slots() fills node with the
 * first child of that name; repeatable children are walked by the caller.
 */
typedef struct Slot
{
	const char *name;
	bool		attr;			/* XML attribute; a plain key in JSON */
	bool		repeat;			/* may occur more than once */
	DocNode    *node;
} Slot;

/* node.c: credentials in messages */
extern char *defn_mask_access_key(const char *key);
extern char *defn_show_url(const char *url);

/* node.c: tree helpers */
extern DocNode *defn_node_new(const char *name, const char *text, bool is_attr);
extern DocNode *defn_node_add(DocNode *parent, const char *name, const char *text,
						 bool is_attr);
extern char *defn_trim_copy(const char *s);
extern bool defn_is_blank(const char *s);
extern char *defn_where(const DocNode *node, const DocNode *parent);
extern void defn_check_no_text(const DocNode *node);
extern void defn_unexpected_child(const DocNode *parent, const DocNode *child,
							 const char *detail) pg_attribute_noreturn();
extern void defn_match_slots(const DocNode *parent, Slot *slots, int nslots);
extern char *defn_leaf_text(const DocNode *node);
extern void defn_check_empty(const DocNode *node);

/* node.c: value checks */
extern bool defn_parse_uint(const char *s, int *result);
extern bool defn_matches_charset(const char *s, const char *extra, bool alnum);
extern bool defn_parse_bool_value(const DocNode *node, const DocNode *parent);
extern char *defn_check_url(const char *url, const DocNode *node,
					   const DocNode *parent, bool endpoint);
extern void defn_check_regex(const char *re, const DocNode *node,
						const DocNode *parent);

/* action.c */
extern DocNode *defn_parse_action(const DocNode *action, NotifyAction *act);

/* trigger.c */
extern DocNode *defn_parse_trigger(const DocNode *trigger, NotifyDefinition *def);

#endif							/* NOTIFY_DEFINITION_INTERNAL_H */
