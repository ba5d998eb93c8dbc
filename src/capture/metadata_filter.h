/*-------------------------------------------------------------------------
 *
 * metadata_filter.h
 *	  The field, interval, language and track filters of metadata triggers.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/capture/metadata_filter.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_METADATA_FILTER_H
#define NOTIFY_METADATA_FILTER_H

#include "definition/definition.h"

/* One changed metadata value, as captured */
typedef struct MetadataValue
{
	char	   *name;
	char	   *path;			/* group path "/game/first_half"; NULL = top */
	List	   *values;			/* char * */
	char	   *language;		/* NULL: none */
	char	   *track;			/* NULL: none */
	bool		timed;			/* false: generic (non-timed) value */
	double		start;
	double		end;
} MetadataValue;

/* One output key of a metadata event */
typedef struct MatchedField
{
	char	   *key;
	List	   *values;			/* char * */
} MatchedField;

extern List *metadata_filter_apply(const NotifyTrigger *trigger, List *changes);

#endif							/* NOTIFY_METADATA_FILTER_H */
