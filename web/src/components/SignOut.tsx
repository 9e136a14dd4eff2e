import { useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";

import { client } from "../rpc";

/** Ends the session; the cookie is removed by the server. */
export function SignOut() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = async () => {
    await client.mutation("auth.logout");
    queryClient.clear();
    await navigate({ to: "/" });
  };
  return (
    <button type="button" className="link-button" onClick={() => void signOut()}>
      Sign out
    </button>
  );
}
