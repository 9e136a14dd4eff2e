import { useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link } from "@tanstack/react-router";

import { useFormAction } from "@isthmus/bindings/react-form";

import { client, rq } from "../../rpc";

type ConfirmSearch = { token?: string };

// The link in the confirmation email. Opening it confirms nothing: link scanners and
// prefetchers only GET. The reader confirms with the button, a form posting the mutation
// (with or without JavaScript).
export const Route = createFileRoute("/newsletter/confirm")({
  validateSearch: (search: Record<string, unknown>): ConfirmSearch => ({
    token: typeof search.token === "string" ? search.token : undefined,
  }),
  head: () => ({
    meta: [{ title: "Confirm your subscription · Isthmus" }, { name: "robots", content: "noindex" }],
  }),
  component: ConfirmSubscription,
});

function ConfirmSubscription() {
  const { token } = Route.useSearch();
  const queryClient = useQueryClient();
  const confirm = useFormAction(client, "newsletter.confirm", {
    fields: { token: { type: "hidden", defaultValue: token ?? "" } },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: rq.queryKey("newsletter.stats") }),
  });
  const failure = confirm.error?.procedureError;
  const signUpAgain = <Link to="/">Sign up again</Link>;
  return (
    <section className="card narrow">
      <h1>Confirm your subscription</h1>
      {!token && <p role="alert">This link is incomplete: open the link from the email again.</p>}
      {token && !confirm.result && (
        <form {...confirm.formProps} className="stack">
          <p>Press the button to receive the Isthmus newsletter.</p>
          <input {...confirm.field("token")} />
          <button type="submit" disabled={confirm.pending}>
            Confirm my subscription
          </button>
        </form>
      )}
      {confirm.result && <p role="status">You are subscribed, {confirm.result.name}. Thank you!</p>}
      {failure?.code === "UNKNOWN_TOKEN" && (
        <p role="alert">This link was used already, or is not valid. {signUpAgain} for a new one.</p>
      )}
      {failure?.code === "EXPIRED" && <p role="alert">This link has expired. {signUpAgain} for a new one.</p>}
      {confirm.error && !failure && Object.keys(confirm.fieldErrors).length === 0 && (
        <p role="alert">Something went wrong: {confirm.error.message}</p>
      )}
      <p id="newsletter.confirm" className="form-done">
        You are subscribed. Thank you!
      </p>
    </section>
  );
}
