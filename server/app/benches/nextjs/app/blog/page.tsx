import { BLOG_METADATA, BlogIndex, newestPosts } from "../../lib/posts";

// Rendered at every request, its query run at every request: the Next.js figure.
export const dynamic = "force-dynamic";
export const metadata = BLOG_METADATA;

export default async function Blog() {
  return <BlogIndex rows={await newestPosts()} />;
}
