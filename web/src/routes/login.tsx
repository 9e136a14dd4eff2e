import { useQueryClient } from "@tanstack/react-query";
import { createFileRoute, Link, useNavigate } from "@tanstack/react-router";

import { useFormAction } from "@isthmus/bindings/react-form";

import { FieldErrors } from "../components/FieldErrors";
import { client, rq } from "../rpc";

type LoginSearch = { next?: string };

const SAME_SITE_PATH = /^\/(?![/\\])[^\u0000-\u001f\u007f]*$/;

export const Route = createFileRoute("/login")({
  // Where to go after signing in: a path on this site only (not `//host`, `/\host`, nor with
  // control characters, which URL parsing drops).
  validateSearch: (search: Record<string, unknown>): LoginSearch => ({
    next: typeof search.next === "string" && SAME_SITE_PATH.test(search.next) ? search.next : undefined,
  }),
  head: () => ({ meta: [{ title: "Sign in · Isthmus" }] }),
  component: Login,
});

function Login() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const { next } = Route.useSearch();
  const login = useFormAction(client, "auth.login", {
    fields: {
      email: { type: "email", autoComplete: "username" },
      password: { type: "password", autoComplete: "current-password" },
    },
    onSuccess: (viewer) => {
      queryClient.setQueryData(rq.queryKey("auth.me"), viewer);
      // Whatever was read before the sign-in is read again, as this viewer.
      void queryClient.invalidateQueries();
      void navigate({ href: next ?? "/dashboard" });
    },
  });
  const failure = login.error?.procedureError;
  return (
    <section className="card narrow">
      <h1>Sign in</h1>
      <form {...login.formProps} noValidate className="stack">
        <label>
          Email <input {...login.field("email")} />
        </label>
        <FieldErrors messages={login.fieldErrors.email} />
        <label>
          Password <input {...login.field("password")} />
        </label>
        <FieldErrors messages={login.fieldErrors.password} />
        <button type="submit" disabled={login.pending}>
          Sign in
        </button>
      </form>
      {failure?.code === "INVALID_CREDENTIALS" && <p role="alert">That email and password do not match.</p>}
      {login.error?.status === 429 && !failure && <p role="alert">Too many attempts. Wait a minute.</p>}
      <p id="auth.login" className="form-done">
        You are signed in. <Link to="/dashboard">Go to the dashboard</Link>.
      </p>
    </section>
  );
}
