import { BLOG_METADATA, BlogIndex, newestPosts } from "../../lib/posts";

// The page's HTML kept for a minute: what Isthmus's page cache does.
export const revalidate = 60;
export const metadata = BLOG_METADATA;

export default async function Blog() {
  return <BlogIndex rows={await newestPosts()} />;
}
