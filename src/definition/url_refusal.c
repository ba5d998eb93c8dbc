/*-------------------------------------------------------------------------
 *
 * url_refusal.c
 *	  notify.url_refusal(url): the SSRF guard's verdict on a URL's host
 *	  for SQL definitions that name an endpoint (S3 storage methods).
 *
 * The check is definition_url_check_hook (transport's http_url_refusal,
 * set by _PG_init), the one notify.create_notification applies to an
 * <http> URL: denied_hosts, allowed_hosts and the addresses never
 * connected to, without a name lookup (the connect-time check does that).
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/definition/url_refusal.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "definition/definition.h"

PG_FUNCTION_INFO_V1(notify_ext_url_refusal);

/*
 * notify_ext_url_refusal
 *		SQL notify.url_refusal(url text) RETURNS text (API: private): the
 *		refusal of url's host under the current settings ("host "h" is not
 *		allowed by ..."), or NULL when it passes, only the connect-time
 *		check can decide, or no check is set.  Never quotes the URL.
 *		Declared STRICT.
 */
Datum
notify_ext_url_refusal(PG_FUNCTION_ARGS)
{
	char	   *url = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *refusal = NULL;

	if (definition_url_check_hook != NULL)
		refusal = definition_url_check_hook(url);
	if (refusal == NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(refusal));
}
