/*-------------------------------------------------------------------------
 *
 * outbox.h
 *	  The durable outbox: one row per (event, matching notification).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/outbox.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_OUTBOX_H
#define NOTIFY_OUTBOX_H

extern void outbox_insert(const char *notification_id, const char *resource,
						  const char *event, const char *entity_id,
						  const char *payload, const char *lane);

#endif							/* NOTIFY_OUTBOX_H */
