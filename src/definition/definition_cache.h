/*-------------------------------------------------------------------------
 *
 * definition_cache.h
 *	  Per-backend cache of parsed notification definitions.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/definition_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_DEFINITION_CACHE_H
#define NOTIFY_DEFINITION_CACHE_H

#include "definition/definition.h"
#include "definition/s3_configuration.h"

/*
 * Lock tag of strict delivery lanes: an advisory tag with field1 the
 * database, field2 this class ("NtfL"), field3 the lane's key and field4
 * NOTIFY_LANE_LOCK_KIND.  SQL's advisory lock functions only make field4
 * 1 or 2, so no session can take (and hold) a lane lock from SQL.
 */
#define NOTIFY_LANE_LOCK_CLASS	0x4e74664c
#define NOTIFY_LANE_LOCK_KIND	0x4e78

typedef struct CachedNotification
{
	char	   *id;
	char	   *entity_id;		/* NULL: resource-wide */
	Oid			owner;			/* role that created it; in-database actions run as it */
	bool		endpoint_ordering;	/* one delivery lane per endpoint */
	NotifyDefinition *def;

	/*
	 * Delivery lane: "g:<group>", "u:<endpoint>" (endpoint ordering) or
	 * "e:<endpoint>" completed by the entity of each event (per_entity).
	 * Strict lanes (group, endpoint) are serialised at capture by a
	 * transaction-level lock on lane_lock_key (see NOTIFY_LANE_LOCK_KIND), so that their outbox ids
	 * follow commit order.
	 */
	char	   *lane_prefix;
	bool		lane_per_entity;
	int32		lane_lock_key;
	uint64		lane_prefix_hash;	/* notify_lane_prefix_hash(lane_prefix) */

	/* made by a bucket notification configuration, else NULL */
	S3Target   *s3;
} CachedNotification;

extern List *definition_cache_match(NotifyResource resource, const char *event);
extern CachedNotification *definition_cache_get(const char *id);
extern uint64 definition_cache_generation(void);
extern uint64 notify_lane_prefix_hash(const char *lane_prefix);
extern int64 notify_lane(uint64 prefix_hash, bool per_entity,
						 const char *resource, const char *entity_id);
extern CachedNotification *definition_cache_refresh(const char *id);

/* aws_credential.c */
extern bool definition_aws_credential(const char *alias, Oid owner,
									  char **access_key, char **secret_key,
									  char **region);

#endif							/* NOTIFY_DEFINITION_CACHE_H */
