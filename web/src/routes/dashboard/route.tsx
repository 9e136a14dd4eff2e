import { createFileRoute, redirect } from "@tanstack/react-router";

import { loadQuery } from "@isthmus/bindings/router";

import { rq } from "../../rpc";

// Every dashboard page needs a signed-in author: without a session the server answers a
// redirect to the sign-in page, which comes back here afterwards. (A convenience only: every
// procedure the dashboard calls checks the session itself.)
export const Route = createFileRoute("/dashboard")({
  beforeLoad: async ({ context, location }) => {
    const viewer = await loadQuery(context.queryClient, rq.queryOptions("auth.me"));
    if (!viewer) throw redirect({ to: "/login", search: { next: location.href } });
    return { viewer };
  },
  head: () => ({ meta: [{ title: "Dashboard · Isthmus" }] }),
});
