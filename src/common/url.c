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
 * of the user information (or all of it, when it is a user name alone)
 * becomes "***".  None of them puts the URL into
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
 *		none; *rc (when not NULL) gets libcurl's answer.  flags go to
 *		curl_url_get (CURLU_URLDECODE); wipe: libcurl's copy is zeroed
 *		before it is freed (a password).
 */
static char *
url_part(CURLU *h, CURLUPart what, unsigned int flags, bool wipe,
		 CURLUcode *rc)
{
	char	   *part = NULL;
	char	   *volatile result = NULL;
	CURLUcode	r;

	r = curl_url_get(h, what, &part, flags);
	if (rc)
		*rc = r;
	PG_TRY();
	{
		if (r == CURLUE_OK && part != NULL)
			result = pstrdup(part);
	}
	PG_FINALLY();
	{
		if (wipe && part != NULL)
			explicit_bzero(part, strlen(part));
		curl_free(part);
	}
	PG_END_TRY();
	return result;
}

/*
 * contains_nocase
 *		Does s (len bytes) contain needle, in any case?
 */
static bool
contains_nocase(const char *s, size_t len, const char *needle)
{
	size_t		n = strlen(needle);
	size_t		i;

	for (i = 0; i + n <= len; i++)
	{
		if (pg_strncasecmp(s + i, needle, n) == 0)
			return true;
	}
	return false;
}

/*
 * notify_url_parse
 *		Parse url with libcurl, any scheme accepted (CURLU_NON_SUPPORT_SCHEME),
 *		and fill *parts: notify_url_parse_with(url, NOTIFY_URL_ANY_SCHEME).
 */
CURLUcode
notify_url_parse(const char *url, NotifyUrl *parts)
{
	return notify_url_parse_with(url, NOTIFY_URL_ANY_SCHEME, parts);
}

/*
 * notify_url_parse_with
 *		Parse url with libcurl as options (NOTIFY_URL_*, url.h) say, and
 *		fill *parts.
 *
 * Returns libcurl's result: CURLUE_OK, or the code of the reason it could
 * not parse the URL (CURLUE_BAD_PORT_NUMBER, ...; curl_url_strerror()
 * names it), and then *parts is left zeroed (a password read is wiped).
 * With NOTIFY_URL_PASSWORD, the caller wipes the passwords with
 * notify_url_wipe(); libcurl's own copies are wiped here.  Only out of
 * memory ERRORs.
 */
CURLUcode
notify_url_parse_with(const char *url, int options, NotifyUrl *parts)
{
	CURLU	   *volatile h = url_handle();
	volatile CURLUcode rc;

	memset(parts, 0, sizeof(NotifyUrl));
	PG_TRY();
	{
		CURLUcode	prc;
		char	   *s;

		rc = curl_url_set(h, CURLUPART_URL, url,
						  (options & NOTIFY_URL_ANY_SCHEME) ?
						  CURLU_NON_SUPPORT_SCHEME : 0);
		if (rc == CURLUE_OK)
		{
			s = url_part(h, CURLUPART_SCHEME, 0, false, NULL);
			parts->scheme = s ? s : pstrdup("");
			s = url_part(h, CURLUPART_HOST,
						 (options & NOTIFY_URL_DECODE_HOST) ? CURLU_URLDECODE : 0,
						 false, &prc);
			if (prc != CURLUE_OK && (options & NOTIFY_URL_NEED_HOST))
				rc = prc;
			parts->host = s ? s : pstrdup("");
			parts->port = url_part(h, CURLUPART_PORT, 0, false, NULL);
			parts->user = url_part(h, CURLUPART_USER, 0, false, &prc);
			parts->has_user = (prc == CURLUE_OK);
			s = url_part(h, CURLUPART_PATH, 0, false, NULL);
			parts->path = s ? s : pstrdup("");
			(void) url_part(h, CURLUPART_QUERY, 0, false, &prc);
			parts->has_query = (prc == CURLUE_OK);
			(void) url_part(h, CURLUPART_FRAGMENT, 0, false, &prc);
			parts->has_fragment = (prc == CURLUE_OK);
			if (options & NOTIFY_URL_PASSWORD)
			{
				parts->password = url_part(h, CURLUPART_PASSWORD, 0, true,
										   &prc);
				if (prc == CURLUE_OK)
					parts->password_decoded =
						url_part(h, CURLUPART_PASSWORD, CURLU_URLDECODE, true,
								 NULL);
			}
			if (rc != CURLUE_OK)
			{
				notify_url_wipe(parts);
				memset(parts, 0, sizeof(NotifyUrl));
			}
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
 * notify_url_wipe
 *		Zero and free the passwords of *parts (NOTIFY_URL_PASSWORD) and set
 *		them to NULL; the other parts stay.
 */
void
notify_url_wipe(NotifyUrl *parts)
{
	if (parts->password != NULL)
	{
		explicit_bzero(parts->password, strlen(parts->password));
		pfree(parts->password);
	}
	parts->password = NULL;
	if (parts->password_decoded != NULL)
	{
		explicit_bzero(parts->password_decoded,
					   strlen(parts->password_decoded));
		pfree(parts->password_decoded);
	}
	parts->password_decoded = NULL;
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
 * first ':' and that '@' is hidden.  A user name alone (no ':': libcurl
 * sends it as Basic credentials, a token perhaps), or one holding an
 * encoded ':' (%3A), is hidden whole.  Without such an '@' the result is a
 * plain copy.  NOTIFY_MASK_WIDE may hide more than needed, never less.
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

	/*
	 * A user name alone (a token), or one that may hold the start of the
	 * password behind an encoded ':', is hidden whole with the password.
	 */
	if (colon == NULL || contains_nocase(start, colon - start, "%3a"))
		colon = start - 1;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, url, colon + 1 - url);
	appendStringInfoString(&buf, "***");
	appendStringInfoString(&buf, at);
	return buf.data;
}

/*
 * notify_url_free
 *		Wipe the passwords of *parts (notify_url_wipe), free every part and
 *		zero *parts.
 */
void
notify_url_free(NotifyUrl *parts)
{
	notify_url_wipe(parts);
	if (parts->scheme)
		pfree(parts->scheme);
	if (parts->host)
		pfree(parts->host);
	if (parts->port)
		pfree(parts->port);
	if (parts->path)
		pfree(parts->path);
	memset(parts, 0, sizeof(NotifyUrl));
}


/*
 * hex_digit
 *		The value of hex digit c, or -1.
 */
static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * notify_form_decode
 *		Form-URL decoding of len bytes of s, as S3 writes object keys in
 *		event messages and filter values: "+" is a space, "%XX" one byte.
 *		Returns the bytes, palloc'd and NUL-terminated, with their count in
 *		*outlen; the caller checks their encoding.  A "%" not followed by
 *		two hex digits makes the result NULL when strict, and stays as it
 *		is otherwise.  "%00" always makes it NULL (text has no NUL).
 */
char *
notify_form_decode(const char *s, int len, bool strict, int *outlen)
{
	char	   *out = palloc(len + 1);
	int			n = 0;
	int			i;

	for (i = 0; i < len; i++)
	{
		int			hi = -1;
		int			lo = -1;

		if (s[i] == '%' && i + 2 < len)
		{
			hi = hex_digit(s[i + 1]);
			lo = hex_digit(s[i + 2]);
		}
		if (s[i] == '+')
			out[n++] = ' ';
		else if (s[i] == '%' && hi >= 0 && lo >= 0)
		{
			if (hi == 0 && lo == 0)
			{
				pfree(out);
				return NULL;
			}
			out[n++] = (char) (hi * 16 + lo);
			i += 2;
		}
		else if (s[i] == '%' && strict)
		{
			pfree(out);
			return NULL;
		}
		else
			out[n++] = s[i];
	}
	out[n] = '\0';
	*outlen = n;
	return out;
}
