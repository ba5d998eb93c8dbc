/*-------------------------------------------------------------------------
 *
 * encode.h
 *	  Message bodies: an event's multi-map in one of the three content
 *	  types of a Vidispine notification action.
 *
 * The byte-exact formats are described in the banner of encode.c.  The
 * encoders are pure: no catalog access and no I/O.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/encode/encode.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_ENCODE_H
#define NOTIFY_ENCODE_H

#include "definition/definition.h"

extern char *encode_body(const char *payload, NotifyContentType ct,
						 size_t *len);

#endif							/* NOTIFY_ENCODE_H */
