// Generated from the server's procedures by isthmus-rpc. Do not edit.
/* eslint-disable */

/** Every procedure of the server: its kind, input (`void`: called without one), output and error. */
export type Procedures = {
	"auth.login": { kind: "mutation"; input: Login; output: Viewer; error: LoginError | AuthError };
	"auth.logout": { kind: "mutation"; input: void; output: null; error: AuthError };
	"auth.me": { kind: "query"; input: void; output: Viewer | null; error: AuthError };
	"newsletter.stats": { kind: "query"; input: void; output: NewsletterStats; error: StatsError | AuthError };
	"newsletter.subscribe": { kind: "mutation"; input: Subscribe; output: Subscriber; error: SubscribeError | AuthError };
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
	"system.cacheStats": { kind: "query"; input: void; output: CacheStats; error: AuthError };
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

/**  A post with its markdown, for the editor. */
export type Draft = {
	id: number,
	title: string,
	slug: string,
	body: string,
	published: boolean,
	tags: string[],
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

/**  A reader who signed up for the newsletter. */
export type Subscriber = {
	id: number,
	email: string,
	name: string,
	subscribedAt: string,
};

/**  One page of subscribers, newest first, and how many there are in all. */
export type SubscriberPage = {
	items: Subscriber[],
	total: number,
};

export type SubscribersError = Never;

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
