/*-------------------------------------------------------------------------
 *
 * definition_cache.h
 *	  Per-backend cache of parsed notification definitions.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DEFINITION_CACHE_H
#define NOTIFY_DEFINITION_CACHE_H

#include "definition.h"

typedef struct CachedNotification
{
	char	   *id;
	char	   *entity_id;		/* NULL: resource-wide */
	Oid			owner;			/* role that created it; in-database actions run as it */
	bool		endpoint_ordering;	/* one delivery lane per endpoint */
	NotifyDefinition *def;
} CachedNotification;

extern List *definition_cache_match(NotifyResource resource, const char *event);
extern CachedNotification *definition_cache_get(const char *id);
extern uint64 definition_cache_generation(void);

#endif							/* NOTIFY_DEFINITION_CACHE_H */
