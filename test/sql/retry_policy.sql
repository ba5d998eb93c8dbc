--
-- retry_policy: the one retry policy of delivery (src/delivery/retry.c),
-- driven through notify.retry_decision with a fixed "now" and jitter:
--  - delivered stays delivered; a refusal is never retried;
--  - no answer, and answers 5xx, 429, 408, are retried; other answers fail;
--  - an event has 1 + retry attempts after its last redeliver; synchronous
--    actions are never retried;
--  - the delay is backoff_base * 2^(attempt-1), capped at backoff_max,
--    jittered into its upper half; a longer Retry-After is honoured up to
--    backoff_max.
--
SET timezone = 'UTC';

-- arguments: outcome, status, retry_after_ms, attempt, attempts_base, retry,
-- synchronous, backoff_base_ms, backoff_max_ms, now, jitter
CREATE FUNCTION pg_temp.decide(outcome text, status int DEFAULT 0,
	retry_after_ms int DEFAULT -1, attempt int DEFAULT 1,
	attempts_base int DEFAULT 0, retry int DEFAULT 3,
	synchronous boolean DEFAULT false, jitter float8 DEFAULT 0,
	backoff_max_ms int DEFAULT 300000)
RETURNS text LANGUAGE sql AS $$
	SELECT d.verdict || COALESCE(' after ' ||
		(d.next_attempt_at - '2026-01-01 00:00:00+00'::timestamptz)::text, '')
	  FROM notify.retry_decision(outcome, status, retry_after_ms, attempt,
		attempts_base, retry, synchronous, 1000, backoff_max_ms,
		'2026-01-01 00:00:00+00', jitter) d
$$;

-- what happened decides whether trying again can help
SELECT pg_temp.decide('delivered', 200) AS delivered,
	pg_temp.decide('refused') AS refused,
	pg_temp.decide('no_answer') AS no_answer,
	pg_temp.decide('no_answer', 503) AS no_answer_with_status;

-- answers: 5xx, 429, 408 (and no status) are retried, the others fail
SELECT s AS status, pg_temp.decide('answered', s) AS decision
  FROM unnest(ARRAY[500, 502, 503, 599, 429, 408, 0,
					100, 301, 304, 400, 401, 404, 409, 410, 422]) s;

-- the budget: 1 + retry attempts after the last redeliver (attempts_base)
SELECT a AS attempt, b AS attempts_base,
	pg_temp.decide('no_answer', attempt => a, attempts_base => b) AS decision
  FROM (VALUES (1, 0), (3, 0), (4, 0), (5, 2), (6, 2)) v(a, b);
SELECT pg_temp.decide('no_answer', retry => 0) AS no_retries,
	pg_temp.decide('no_answer', synchronous => true) AS synchronous;

-- the delay: exponential, capped, jittered into its upper half
SELECT a AS attempt, pg_temp.decide('no_answer', attempt => a, retry => 100,
		jitter => 0) AS lowest,
	pg_temp.decide('no_answer', attempt => a, retry => 100,
		jitter => 0.5) AS middle,
	pg_temp.decide('no_answer', attempt => a, retry => 100,
		jitter => 1) AS highest
  FROM unnest(ARRAY[1, 2, 3, 9, 10, 30]) a;

-- Retry-After: honoured when longer than the backoff, up to backoff_max
SELECT pg_temp.decide('answered', 503, retry_after_ms => 100) AS shorter,
	pg_temp.decide('answered', 503, retry_after_ms => 10000) AS longer,
	pg_temp.decide('answered', 429, retry_after_ms => 900000) AS capped,
	pg_temp.decide('answered', 404, retry_after_ms => 10000) AS not_retried;

-- bad input
SELECT pg_temp.decide('lost');
SELECT pg_temp.decide('no_answer', jitter => 1.5);
-- nothing granted to anybody
SELECT has_function_privilege('notify_admin',
	'notify.retry_decision(text, integer, integer, integer, integer, integer, boolean, integer, integer, timestamptz, double precision)',
	'EXECUTE') AS admin_may_call;
