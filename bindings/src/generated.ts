// Generated from the server's procedures by isthmus-rpc. Do not edit.
/* eslint-disable */

/** Every procedure of the server: its kind, input (`void`: called without one), output and error. */
export type Procedures = {
	"newsletter.stats": { kind: "query"; input: void; output: NewsletterStats; error: StatsError };
	"newsletter.subscribe": { kind: "mutation"; input: Subscribe; output: Subscriber; error: SubscribeError };
	"newsletter.watchStats": { kind: "subscription"; input: void; output: NewsletterStats; error: StatsError };
	"system.cacheStats": { kind: "query"; input: void; output: CacheStats; error: never };
};

/**  Hit and miss counts since start-up. */
export type CacheStats = {
	/**  Reads answered from a stored result (fresh or stale) or a shared computation. */
	hits: number,
	/**  Reads that ran the procedure. */
	misses: number,
	/**  Background refreshes of stale results. */
	refreshes: number,
};

/**  The error type of procedures that cannot fail and of contexts that never reject. */
export type Never = never;

export type NewsletterStats = {
	subscriberCount: number,
};

/**
 *  Errors of the protocol itself, raised before or around a procedure call. Every
 *  procedure can answer with one of these, so the client types include it.
 */
export type ProtocolError = 
/**  The input is not JSON. */
{ code: "MALFORMED_JSON"; message: string } | 
/**  The input is JSON but not of the procedure's input type. */
{ code: "INVALID_INPUT"; path: string; message: string } | 
/**  The input nests arrays and objects deeper than the configured limit. */
{ code: "TOO_DEEP"; limit: number } | { code: "UNKNOWN_PROCEDURE"; name: string } | 
/**  A query or subscription was posted, or a mutation was fetched with GET. */
{ code: "METHOD_NOT_ALLOWED"; name: string; kind: string; allowed: string } | { code: "UNSUPPORTED_MEDIA_TYPE"; expected: string } | { code: "PAYLOAD_TOO_LARGE"; limit: number } | { code: "BATCH_TOO_LARGE"; limit: number } | 
/**  A mutation posted from an origin that may not post (or, for a form, from no origin). */
{ code: "CROSS_ORIGIN"; origin: string } | 
/**  Too many calls; retry after `retryAfter` seconds (also in the `Retry-After` header). */
{ code: "RATE_LIMITED"; retryAfter: number } | 
/**
 *  The input has the right type but breaks the validation rules declared on it
 *  (`rpc::Valid`): messages per field path.
 */
{ code: "VALIDATION"; fields: { [key in string]: string[] } } | 
/**  Subscriptions stream over their own connection and cannot be part of a batch. */
{ code: "NOT_BATCHABLE"; name: string };

/**  Counting failed: an internal error, details logged. */
export type StatsError = Never;

/**
 *  Checked by the procedure layer before `subscribe` runs (`rpc::Valid`): a failed rule
 *  answers 422 with its message under the field's name, for JSON calls and form posts alike.
 */
export type Subscribe = {
	email: string,
	name: string,
};

export type SubscribeError = { code: "ALREADY_SUBSCRIBED"; email: string };

/**  A reader who signed up for the newsletter. */
export type Subscriber = {
	id: number,
	email: string,
	name: string,
	subscribedAt: string,
};
