/*-------------------------------------------------------------------------
 *
 * signing.c
 *	  Standard Webhooks signatures (standardwebhooks.com) of HTTP requests.
 *
 * A notification named a signing secret with notify.set_signing; its
 * requests carry webhook-id (the event id), webhook-timestamp (Unix seconds
 * when the request is started) and webhook-signature: "v1," followed by the
 * base64 of HMAC-SHA256 over "<id>.<timestamp>.<body>", keyed with the
 * bytes of the secret ("whsec_" and base64, as the specification writes
 * secrets).  While a secret is being rotated out (notify.set_signing_secret
 * with previous_secret), the header carries both signatures, the current
 * one first, separated by a space; a receiver holding either secret
 * verifies.
 *
 * HMAC is PostgreSQL's own (common/hmac.h, OpenSSL underneath).  In the
 * backend its contexts belong to CurrentResourceOwner, which the delivery
 * worker has none of between transactions (it sends with no transaction
 * open): a short-lived resource owner then holds them.  Keys are wiped
 * after use; no secret ever enters a message.
 *
 * Copyright (c) 2026, notify_ext developers
 *
 * IDENTIFICATION
 *	  src/transport/signing.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/resowner.h"

#include "transport/signing.h"

#define WEBHOOK_SECRET_PREFIX	"whsec_"

static bool sign_one(StringInfo out, const char *secret, const char *message,
					 size_t len, char **error);

/*
 * sign_one
 *		Append "v1,<base64 signature>" of message (len bytes) with the key
 *		of secret to out.
 *
 * Returns false with *error (palloc'd, without the secret) when the secret
 * cannot be decoded or HMAC fails.  Needs a resource owner (see the file
 * comment).  The decoded key is wiped.
 */
static bool
sign_one(StringInfo out, const char *secret, const char *message, size_t len,
		 char **error)
{
	const char *b64 = secret;
	int			b64len;
	int			keymax;
	int			keylen;
	uint8	   *key;
	uint8		mac[PG_SHA256_DIGEST_LENGTH];
	char		enc[PG_SHA256_DIGEST_LENGTH * 2 + 4];
	int			enclen;
	pg_hmac_ctx *ctx;
	bool		ok;

	if (strncmp(b64, WEBHOOK_SECRET_PREFIX, strlen(WEBHOOK_SECRET_PREFIX)) == 0)
		b64 += strlen(WEBHOOK_SECRET_PREFIX);
	b64len = strlen(b64);
	keymax = pg_b64_dec_len(b64len);
	key = palloc(keymax + 1);
	keylen = pg_b64_decode(b64, b64len, (char *) key, keymax);
	if (keylen <= 0)
	{
		explicit_bzero(key, keymax + 1);
		pfree(key);
		*error = pstrdup("the signing secret is not valid base64");
		return false;
	}

	ctx = pg_hmac_create(PG_SHA256);
	if (ctx == NULL)
	{
		explicit_bzero(key, keymax + 1);
		pfree(key);
		*error = pstrdup("could not create an HMAC context: out of memory");
		return false;
	}
	ok = (pg_hmac_init(ctx, key, keylen) == 0 &&
		  pg_hmac_update(ctx, (const uint8 *) message, len) == 0 &&
		  pg_hmac_final(ctx, mac, sizeof(mac)) == 0);
	if (!ok)
		*error = psprintf("could not compute HMAC-SHA256: %s",
						  pg_hmac_error(ctx));
	pg_hmac_free(ctx);
	explicit_bzero(key, keymax + 1);
	pfree(key);
	if (!ok)
		return false;

	enclen = pg_b64_encode((const char *) mac, sizeof(mac), enc, sizeof(enc) - 1);
	explicit_bzero(mac, sizeof(mac));
	if (enclen < 0)
	{
		*error = pstrdup("could not encode the signature");
		return false;
	}
	enc[enclen] = '\0';
	if (out->len > 0)
		appendStringInfoChar(out, ' ');
	appendStringInfo(out, "v1,%s", enc);
	return true;
}

/*
 * webhook_signature
 *		The webhook-signature header value of a request: the signature with
 *		secret, followed by the one with previous when it is not NULL.
 *
 * msg_id is the webhook-id, timestamp the webhook-timestamp; body (len
 * bytes) is signed as sent.  Returns the value palloc'd in
 * CurrentMemoryContext, or NULL with *error palloc'd there (never holding
 * a secret).  Works with or without a transaction.  ERRORs only when out
 * of memory.
 */
char *
webhook_signature(const char *secret, const char *previous,
				  const char *msg_id, int64 timestamp, const char *body,
				  size_t len, char **error)
{
	StringInfoData message;
	StringInfoData out;
	ResourceOwner save_owner = CurrentResourceOwner;
	ResourceOwner volatile own = NULL;
	volatile bool ok = false;

	*error = NULL;
	initStringInfo(&message);
	appendStringInfo(&message, "%s." INT64_FORMAT ".", msg_id, timestamp);
	if (len > 0)
		appendBinaryStringInfo(&message, body, (int) len);
	initStringInfo(&out);

	if (CurrentResourceOwner == NULL)
	{
		own = ResourceOwnerCreate(NULL, "notify_ext webhook signing");
		CurrentResourceOwner = own;
	}
	PG_TRY();
	{
		ok = sign_one(&out, secret, message.data, message.len, error) &&
			(previous == NULL ||
			 sign_one(&out, previous, message.data, message.len, error));
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save_owner;
		if (own != NULL)
		{
			ResourceOwnerRelease(own, RESOURCE_RELEASE_BEFORE_LOCKS, false, true);
			ResourceOwnerRelease(own, RESOURCE_RELEASE_LOCKS, false, true);
			ResourceOwnerRelease(own, RESOURCE_RELEASE_AFTER_LOCKS, false, true);
			ResourceOwnerDelete(own);
		}
	}
	PG_END_TRY();

	pfree(message.data);
	if (!ok)
	{
		pfree(out.data);
		return NULL;
	}
	return out.data;
}
