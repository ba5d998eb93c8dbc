/*-------------------------------------------------------------------------
 *
 * delivery_site.h
 *	  Is this database the one that delivers?  (notify.delivery_site)
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/delivery/delivery_site.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DELIVERY_SITE_H
#define NOTIFY_DELIVERY_SITE_H

extern bool delivery_site_paused(const char *database_name);
extern bool delivery_objects_current(void);

#endif							/* NOTIFY_DELIVERY_SITE_H */
