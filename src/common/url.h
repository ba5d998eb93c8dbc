/*-------------------------------------------------------------------------
 *
 * url.h
 *	  URLs of actions: one libcurl (CURLU) parse, one credential masking.
 *
 * Every URL notify_ext sends to goes through libcurl, so every check of a
 * URL asks libcurl's own parser (notify_url_parse) rather than a second
 * one that could read the text differently.  A URL shown anywhere (a
 * summary, an error message) passes notify_url_mask first.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/common/url.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef NOTIFY_URL_H
#define NOTIFY_URL_H

#include <curl/curl.h>

/* The parts of a URL as libcurl reads them; strings palloc'd */
typedef struct NotifyUrl
{
	char	   *scheme;			/* as libcurl spells it (lower case) */
	char	   *host;			/* as written, "" when none */
	char	   *port;			/* as written, or NULL when none */
	bool		has_user;		/* user information present */
	char	   *user;			/* its user name as written, or NULL */
	char	   *path;			/* "" when none */
	bool		has_query;
	bool		has_fragment;
	char	   *password;		/* NOTIFY_URL_PASSWORD: as written, or NULL */
	char	   *password_decoded;	/* NOTIFY_URL_PASSWORD: percent-decoded,
									 * or NULL */
} NotifyUrl;

/* Options of notify_url_parse_with (bits) */
#define NOTIFY_URL_ANY_SCHEME	0x01	/* accept schemes libcurl cannot
										 * send to (CURLU_NON_SUPPORT_SCHEME) */
#define NOTIFY_URL_NEED_HOST	0x02	/* no host part: fail with
										 * libcurl's code (CURLUE_NO_HOST) */
#define NOTIFY_URL_DECODE_HOST	0x04	/* host percent-decoded */
#define NOTIFY_URL_PASSWORD		0x08	/* fill password, password_decoded;
										 * wipe with notify_url_wipe */

/*
 * How notify_url_mask finds the end of the user information: in a URL
 * that passed validation, the '@' that closes it lies inside the
 * authority; in one that did not, a password may hold a '/' that puts the
 * '@' after it, so everything up to the last '@' is hidden.
 */
typedef enum NotifyUrlMask
{
	NOTIFY_MASK_AUTHORITY,		/* validated URL: the authority's last '@' */
	NOTIFY_MASK_WIDE			/* any text: the string's last '@' */
} NotifyUrlMask;

extern CURLUcode notify_url_parse(const char *url, NotifyUrl *parts);
extern CURLUcode notify_url_parse_with(const char *url, int options,
									   NotifyUrl *parts);
extern void notify_url_wipe(NotifyUrl *parts);
extern void notify_url_free(NotifyUrl *parts);
extern bool notify_url_set_password(const char *url, const char *password,
									char **old_password, char **result);
extern char *notify_url_mask(const char *url, NotifyUrlMask how);
extern char *notify_form_decode(const char *s, int len, bool strict, int *outlen);

#endif							/* NOTIFY_URL_H */
