// Generated from the server's procedures by isthmus-rpc. Do not edit.
/* eslint-disable */

/** Every procedure of the server: its kind, input (`void`: called without one), output and error. */
export type Procedures = {
	"auth.login": { kind: "mutation"; input: Login; output: Viewer; error: LoginError | AuthError };
	"auth.logout": { kind: "mutation"; input: void; output: null; error: AuthError };
	"auth.me": { kind: "query"; input: void; output: Viewer | null; error: AuthError };
	"newsletter.confirm": { kind: "mutation"; input: Confirm; output: Confirmed; error: ConfirmError | AuthError };
	"newsletter.delivery": { kind: "query"; input: void; output: Delivery; error: DeliveryError | AuthError };
	"newsletter.refreshDelivery": { kind: "mutation"; input: void; output: Delivery; error: DeliveryError | AuthError };
	"newsletter.stats": { kind: "query"; input: void; output: NewsletterStats; error: StatsError | AuthError };
	"newsletter.subscribe": { kind: "mutation"; input: Subscribe; output: PendingConfirmation; error: SubscribeError | AuthError };
	"newsletter.watchStats": { kind: "subscription"; input: void; output: NewsletterStats; error: StatsError | AuthError };
	"posts.bySlug": { kind: "query"; input: BySlug; output: PostDetail; error: PostsError | AuthError };
	"posts.create": { kind: "mutation"; input: PostInput; output: OwnPost; error: PostsError | AuthError };
	"posts.delete": { kind: "mutation"; input: PostId; output: null; error: PostsError | AuthError };
	"posts.draft": { kind: "query"; input: PostId; output: Draft; error: PostsError | AuthError };
	"posts.list": { kind: "query"; input: ListPosts; output: PostPage; error: PostsError | AuthError };
	"posts.mine": { kind: "query"; input: void; output: OwnPost[]; error: PostsError | AuthError };
	"posts.preview": { kind: "mutation"; input: PreviewInput; output: Preview; error: PostsError | AuthError };
	"posts.publish": { kind: "mutation"; input: PostId; output: OwnPost; error: PostsError | AuthError };
	"posts.unpublish": { kind: "mutation"; input: PostId; output: OwnPost; error: PostsError | AuthError };
	"posts.update": { kind: "mutation"; input: UpdatePost; output: OwnPost; error: PostsError | AuthError };
	"subscribers.list": { kind: "query"; input: ListSubscribers; output: SubscriberPage; error: SubscribersError | AuthError };
	"system.cacheStats": { kind: "query"; input: void; output: SystemCacheStats; error: AuthError };
};

/**  Why a call about the caller's identity failed. */
export type AuthError = 
/**  No one is signed in (401). */
{ code: "UNAUTHENTICATED" };

/**  Who wrote a post. */
export type AuthorRef = {
	id: number,
	name: string,
};

export type BySlug = {
	slug: string,
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

/**  The token from the confirmation link. */
export type Confirm = {
	token: string,
};

export type ConfirmError = 
/**  No sign-up waits for this token: mistyped, or already used. */
{ code: "UNKNOWN_TOKEN" } | 
/**  The link is older than 48 hours: sign up again for a new one. */
{ code: "EXPIRED" };

export type Confirmed = {
	email: string,
	name: string,
};

/**  The email provider's figures, or that there is none (emails go to the log). */
export type Delivery = { kind: "provider"; sent: number; bounced: number } | { kind: "noProvider" };

export type DeliveryError = 
/**  The provider did not answer in time, or said it cannot now: try again later. */
{ code: "PROVIDER_UNAVAILABLE" };

/**  A post with its markdown, for the editor. */
export type Draft = {
	id: number,
	title: string,
	slug: string,
	body: string,
	published: boolean,
	tags: string[],
};

/**
 *  Figures of the client since start-up: cached reads (hits, misses, refreshes), requests
 *  sent and calls failed.
 */
export type FetchStats = {
	/**  Cached reads answered from a stored answer (fresh or stale) or a shared request. */
	hits: number,
	/**  Cached reads that made a request. */
	misses: number,
	/**  Background refreshes of stale answers. */
	refreshes: number,
	/**  Requests sent upstream, cached or not, retries included. */
	requests: number,
	/**  Calls that ended in an error. */
	failures: number,
};

export type ListPosts = {
	/**  How many posts, 1 to 100 (default 20). */
	take?: number | null,
	/**  The `next` of the previous page. */
	after?: string | null,
	/**  Only posts with this tag. */
	tag?: string | null,
};

export type ListSubscribers = {
	/**  How many, 1 to 100 (default 50). */
	take?: number | null,
	/**  How many to pass over, newest first. */
	skip?: number | null,
};

export type Login = {
	email: string,
	password: string,
};

export type LoginError = 
/**
 *  The email and password do not match an author, or the account is locked after repeated
 *  failures: the same answer, after the same work, whether or not the email exists.
 */
{ code: "INVALID_CREDENTIALS" };

/**  The error type of procedures that cannot fail and of contexts that never reject. */
export type Never = never;

export type NewsletterStats = {
	/**  Confirmed readers. */
	subscriberCount: number,
};

/**  A post as its author sees it in the dashboard. */
export type OwnPost = {
	id: number,
	title: string,
	slug: string,
	published: boolean,
	publishedAt: string | null,
	updatedAt: string,
	tags: string[],
};

/**  A sign-up waiting for its reader: the confirmation email is on its way. */
export type PendingConfirmation = {
	email: string,
	name: string,
};

/**  A published post with its body rendered to sanitized HTML. */
export type PostDetail = {
	id: number,
	title: string,
	slug: string,
	publishedAt: string,
	/**  The start of the text, for the page's description. */
	excerpt: string,
	html: string,
	tags: string[],
	author: AuthorRef,
};

export type PostId = {
	id: number,
};

/**  What an author writes; checked before the procedure runs. */
export type PostInput = {
	title: string,
	slug: string,
	body: string,
	/**  Tag names; a comma-separated string from a form is split. */
	tags?: string[],
};

/**  One page of posts, newest first, and the cursor of the next (`null` on the last page). */
export type PostPage = {
	items: PostSummary[],
	next: string | null,
};

/**  A post in a list: never its body. */
export type PostSummary = {
	id: number,
	title: string,
	slug: string,
	/**  ISO 8601, UTC. */
	publishedAt: string,
	excerpt: string,
	tags: string[],
	author: AuthorRef,
};

export type PostsError = 
/**  No published post has this slug, or no post this id. */
{ code: "NOT_FOUND" } | 
/**  The post is another author's (403). */
{ code: "FORBIDDEN" } | 
/**  The `after` cursor is not one this server handed out. */
{ code: "INVALID_CURSOR" } | 
/**  A rule that needs the database failed: messages per field, like a validation error. */
{ code: "INVALID"; fields: { [key in string]: string[] } };

/**  A draft's body as readers would see it. */
export type Preview = {
	html: string,
};

export type PreviewInput = {
	body: string,
};

/**  What a signed-in user may do. */
export type Role = "AUTHOR" | "ADMIN";

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

/**
 *  A reader who signed up for the newsletter. Counted once confirmed (double opt-in): the sign-up mails a link with
 *  a single-use token, of which only the SHA-256 is kept.
 */
export type Subscriber = {
	id: number,
	email: string,
	name: string,
	subscribedAt: string,
	confirmedAt: string | null,
};

/**  One page of subscribers, newest first, and how many there are in all. */
export type SubscriberPage = {
	items: Subscriber[],
	total: number,
};

export type SubscribersError = Never;

/**
 *  The result cache's figures (query results), and beside them the upstream cache's (answers
 *  of external services, `fetch` with `revalidate`).
 */
export type SystemCacheStats = {
	upstream: FetchStats,
} & CacheStats;

/**  A post's id and its new content, on the wire side by side (`{ id, title, … }`). */
export type UpdatePost = {
	id: number,
} & PostInput;

/**  A signed-in user as procedures and pages see them. */
export type Viewer = {
	id: number,
	name: string,
	email: string,
	role: Role,
};
