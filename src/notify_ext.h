/*-------------------------------------------------------------------------
 *
 * notify_ext.h
 *	  Names and catalog facts shared across notify_ext's C files.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/notify_ext.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_EXT_H
#define NOTIFY_EXT_H

#define NOTIFY_SCHEMA			"notify"
#define NOTIFY_DEFINITIONS		"notification"
#define NOTIFY_OUTBOX			"outbox"
#define NOTIFY_CHANGE_SET_SEQ	"change_set_id_seq"

/*
 * Catalog facts about the installed extension in the current database,
 * looked up once per backend and forgotten when the definitions table is
 * invalidated (which DROP/CREATE EXTENSION does).
 */
/*
 * The search_path of everything notify_ext runs as a privileged role on its
 * own account: the definition API's functions (SET search_path), the
 * worker's statements and the lookup of a <function> action's name.
 */
#define NOTIFY_SAFE_SEARCH_PATH	"pg_catalog, pg_temp"

typedef struct NotifyCatalog
{
	bool		valid;
	Oid			schema;			/* InvalidOid: extension not installed */
	Oid			definitions;	/* notify.notification */
	Oid			outbox;			/* notify.outbox */
	Oid			change_set_seq; /* notify.change_set_id_seq */
	Oid			outbox_id_seq;	/* identity sequence of notify.outbox.id */
	Oid			owner;			/* owner of notify.outbox: capture runs as it */
} NotifyCatalog;

/* catalog.c */
extern const NotifyCatalog *notify_catalog(void);
extern uint64 notify_catalog_generation(void);
extern bool notify_role_may_call(Oid fn, Oid role);

#endif							/* NOTIFY_EXT_H */
