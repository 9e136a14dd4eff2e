import { unstable_cache } from "next/cache";

import { BLOG_METADATA, BlogIndex, newestPosts } from "../../lib/posts";

// Rendered at every request from cached data: what an uncached Isthmus render does (its
// queries answer from the result cache).
export const dynamic = "force-dynamic";
export const metadata = BLOG_METADATA;

const cachedPosts = unstable_cache(newestPosts, ["posts"], { revalidate: 60, tags: ["posts"] });

export default async function Blog() {
  return <BlogIndex rows={await cachedPosts()} />;
}
