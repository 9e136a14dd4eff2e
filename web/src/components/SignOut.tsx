import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";

import { client, rq } from "../rpc";

/** Ends the session (the server removes the cookie). A plain form, so it works without
 * JavaScript too; with it, the page stays and the cached data of the session is dropped. */
export function SignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = async (event: React.FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    await client.mutation("auth.logout");
    queryClient.setQueryData(rq.queryKey("auth.me"), null);
    // Whatever was read as the viewer is read again, anonymously.
    void queryClient.invalidateQueries();
    await navigate({ to: "/" });
  };
  return (
    <form
      method="post"
      action={client.actionUrl("auth.logout")}
      onSubmit={(event) => void signOut(event)}
      className="inline"
    >
      <button type="submit" className="link-button">
        Sign out
      </button>
    </form>
  );
}
