/*-------------------------------------------------------------------------
 *
 * s3_configuration.h
 *	  S3 bucket notification configurations (NotificationConfiguration
 *	  XML) and the S3 event names of file events.
 *
 * Pure: no catalog access, no I/O.  The SQL side (sql/notify_ext.sql,
 * notify.put_bucket_notification) stores what these functions validate.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/s3_configuration.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_S3_CONFIGURATION_H
#define NOTIFY_S3_CONFIGURATION_H

#include "nodes/pg_list.h"

#include "definition/definition.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* The destination kinds of a NotificationConfiguration */
typedef enum S3DestinationKind
{
	S3D_QUEUE,					/* <QueueConfiguration><Queue> */
	S3D_TOPIC,					/* <TopicConfiguration><Topic> */
	S3D_FUNCTION				/* <CloudFunctionConfiguration><CloudFunction> */
} S3DestinationKind;

/* One configuration of a NotificationConfiguration */
typedef struct S3ConfigEntry
{
	S3DestinationKind kind;
	char	   *id;				/* given, or "Config-<position>" */
	char	   *arn;
	List	   *events;			/* char *, "s3:ObjectCreated:*", ... */
	char	   *prefix;			/* FilterRule value as written, or NULL */
	char	   *suffix;
} S3ConfigEntry;

/*
 * What capture needs of a notification made from a bucket configuration:
 * the event message's configurationId, bucket and region, and the key
 * filters (decoded: raw key characters).
 */
typedef struct S3Target
{
	char	   *configuration_id;
	char	   *bucket;
	char	   *region;
	char	   *prefix;			/* "" = none */
	char	   *suffix;
} S3Target;

extern const char *s3_event_name_of(NotifyEvent ev);
extern bool s3_event_pattern_matches(const char *pattern, const char *name);
extern List *s3_configuration_parse(const char *text, int len);
extern char *s3_configuration_to_xml(List *entries);
extern char *s3_filter_decode(const char *value);

#endif							/* NOTIFY_S3_CONFIGURATION_H */
