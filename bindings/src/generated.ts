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
