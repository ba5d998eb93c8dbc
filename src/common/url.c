/*-------------------------------------------------------------------------
 *
 * url.c
 *	  URLs of actions: one libcurl (CURLU) parse, one credential masking.
 *
 * notify_url_parse() reads a URL with libcurl's URL API, the parser that
 * will later send to it, and returns its parts; the caller decides what
 * is acceptable and how to say so (the definition's checks in
 * definition/node.c).  notify_url_set_password() reads and replaces the
 * password of the user information, also through libcurl.
 * notify_url_mask() is the one masking of URL credentials: the password
 * of the user information becomes "***".  None of them puts the URL into
 * a message.  Every CURLU handle and every libcurl string is freed on
 * every path, ERRORs included.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/url.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "common/url.h"

/*
 * url_handle
 *		A new CURLU handle; ERRCODE_OUT_OF_MEMORY when libcurl has none.
 */
static CURLU *
url_handle(void)
{
	CURLU	   *h = curl_url();

	if (h == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return h;
}

/*
 * url_part
 *		palloc'd copy of one part of a parsed URL, or NULL when the URL has
 *		none; *rc (when not NULL) gets libcurl's answer.
 */
static char *
url_part(CURLU *h, CURLUPart what, CURLUcode *rc)
{
	char	   *part = NULL;
	char	   *result = NULL;
	CURLUcode	r;

	r = curl_url_get(h, what, &part, 0);
	if (rc)
		*rc = r;
	if (r == CURLUE_OK && part != NULL)
		result = pstrdup(part);
	curl_free(part);
	return result;
}

/*
 * notify_url_parse
 *		Parse url with libcurl, any scheme accepted (CURLU_NON_SUPPORT_SCHEME),
 *		and fill *parts.
 *
 * Returns libcurl's result: CURLUE_OK, or the code of the reason it could
 * not parse the URL (CURLUE_BAD_PORT_NUMBER, ...; curl_url_strerror()
 * names it), and then *parts is left zeroed.  Only out of memory ERRORs.
 */
CURLUcode
notify_url_parse(const char *url, NotifyUrl *parts)
{
	CURLU	   *volatile h = url_handle();
	volatile CURLUcode rc;

	memset(parts, 0, sizeof(NotifyUrl));
	PG_TRY();
	{
		CURLUcode	prc;
		char	   *s;

		rc = curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME);
		if (rc == CURLUE_OK)
		{
			s = url_part(h, CURLUPART_SCHEME, NULL);
			parts->scheme = s ? s : pstrdup("");
			s = url_part(h, CURLUPART_HOST, NULL);
			parts->host = s ? s : pstrdup("");
			parts->port = url_part(h, CURLUPART_PORT, NULL);
			(void) url_part(h, CURLUPART_USER, &prc);
			parts->has_user = (prc == CURLUE_OK);
			s = url_part(h, CURLUPART_PATH, NULL);
			parts->path = s ? s : pstrdup("");
			(void) url_part(h, CURLUPART_QUERY, &prc);
			parts->has_query = (prc == CURLUE_OK);
			(void) url_part(h, CURLUPART_FRAGMENT, &prc);
			parts->has_fragment = (prc == CURLUE_OK);
		}
	}
	PG_FINALLY();
	{
		curl_url_cleanup(h);
	}
	PG_END_TRY();
	return rc;
}

/*
 * notify_url_set_password
 *		Read, and optionally replace, the password of a URL's user
 *		information with libcurl's URL parser, the one that will send it.
 *
 * *old_password (when old_password is not NULL) is set to the URL's
 * password as written (URL-encoded), palloc'd, or NULL when it has none.
 * When the URL has a password, *result is the URL in libcurl's spelling
 * (which also turns "http:/u:p@h/" into "http://u:p@h/", so that
 * notify_url_mask finds the password), with `password` in its place when
 * that is not NULL; a URL without a password is returned as is.  Returns
 * false, with *result NULL, when libcurl cannot parse the URL or refuses
 * the new password.
 */
bool
notify_url_set_password(const char *url, const char *password,
						char **old_password, char **result)
{
	CURLU	   *volatile h;
	volatile bool ok = true;

	*result = NULL;
	if (old_password)
		*old_password = NULL;
	h = url_handle();
	PG_TRY();
	{
		char	   *part = NULL;

		if (curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK)
			ok = false;
		else if (curl_url_get(h, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK && part != NULL)
		{
			if (old_password)
				*old_password = pstrdup(part);
			curl_free(part);
			part = NULL;
			if ((password != NULL &&
				 curl_url_set(h, CURLUPART_PASSWORD, password, 0) != CURLUE_OK) ||
				curl_url_get(h, CURLUPART_URL, &part, 0) != CURLUE_OK)
				ok = false;
			else
			{
				*result = pstrdup(part);
				curl_free(part);
			}
		}
		if (ok && *result == NULL)
			*result = pstrdup(url);
	}
	PG_FINALLY();
	{
		curl_url_cleanup(h);
	}
	PG_END_TRY();
	if (!ok && old_password && *old_password)
	{
		pfree(*old_password);
		*old_password = NULL;
	}
	return ok;
}

/*
 * notify_url_mask
 *		Copy of url with its password replaced by "***"
 *		(http://user:***@host/...); palloc'd.
 *
 * The user information starts after "://" (or at the start of the text)
 * and ends at an '@' found as `how` says (url.h): everything between its
 * first ':' and that '@' is hidden.  Without such an '@', or without a
 * ':' before it, the result is a plain copy.  NOTIFY_MASK_WIDE may hide
 * more than needed, never less.
 */
char *
notify_url_mask(const char *url, NotifyUrlMask how)
{
	const char *start = strstr(url, "://");
	const char *at = NULL;
	const char *colon;
	StringInfoData buf;

	start = start ? start + 3 : url;
	if (how == NOTIFY_MASK_WIDE)
		at = strrchr(url, '@');
	else
	{
		const char *p;

		for (p = start; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		{
			if (*p == '@')
				at = p;
		}
	}
	if (at == NULL || at < start)
		return pstrdup(url);
	colon = memchr(start, ':', at - start);
	if (colon == NULL)
		return pstrdup(url);

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, url, colon + 1 - url);
	appendStringInfoString(&buf, "***");
	appendStringInfoString(&buf, at);
	return buf.data;
}
