import { useQuery } from "@tanstack/react-query";
import { createFileRoute } from "@tanstack/react-router";

import { EditPost } from "../../components/PostEditor";
import { rq } from "../../rpc";

export const Route = createFileRoute("/dashboard/$id")({ component: Edit });

function Edit() {
  const id = Number(Route.useParams().id);
  const draft = useQuery({ ...rq.queryOptions("posts.draft", { id }), retry: false });
  if (draft.error)
    return (
      <p role="alert">
        {draft.error.status === 403 ? "This post is another author’s." : "This post could not be loaded."}
      </p>
    );
  return draft.data ? <EditPost key={draft.data.id} draft={draft.data} /> : <p className="muted">Loading…</p>;
}
