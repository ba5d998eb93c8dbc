/*-------------------------------------------------------------------------
 *
 * guc.h
 *	  notify_ext.* configuration parameters.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/guc.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_GUC_H
#define NOTIFY_GUC_H

extern int	notify_ext_max_document_size;

extern void notify_ext_guc_init(void);

#endif							/* NOTIFY_GUC_H */
