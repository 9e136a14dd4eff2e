// Progressive enhancement of a plain `<form method="post" action={…}>` that posts to a
// mutation: without JavaScript the browser posts and the server redirects back; with it,
// this hook posts the same form data through the client, keeps the page, and exposes the
// pending state, the typed result and the per-field errors.
import { useState, type FormEvent } from "react";

import type { Client, ErrorOf, InputOf, NamesOf, OutputOf, ProcedureMap, RpcError } from "./client";

type State<O, E> =
  | { status: "idle" }
  | { status: "pending" }
  | { status: "success"; result: O }
  | { status: "error"; error: RpcError<E> };

/** Input field names of a mutation, checked by the compiler: `field("email")`. */
type FieldName<I> = [I] extends [void] ? never : keyof I & string;

export function useFormAction<P extends ProcedureMap, N extends NamesOf<P, "mutation">>(
  client: Client<P>,
  name: N,
  options: { onSuccess?: (result: OutputOf<P, N>) => void } = {},
) {
  const [state, setState] = useState<State<OutputOf<P, N>, ErrorOf<P, N>>>({ status: "idle" });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setState({ status: "pending" });
    client.submitForm(name, new FormData(event.currentTarget)).then(
      (result) => {
        setState({ status: "success", result });
        options.onSuccess?.(result);
      },
      (error: RpcError<ErrorOf<P, N>>) => setState({ status: "error", error }),
    );
  };

  const error = state.status === "error" ? state.error : undefined;
  return {
    /** Spread on the `<form>`: works with and without JavaScript. */
    formProps: { action: client.actionUrl(name), method: "post", onSubmit } as const,
    /** Spread on an input: its `name`, checked against the mutation's input type. */
    field: (field: FieldName<InputOf<P, N>>) => ({ name: field }),
    pending: state.status === "pending",
    result: state.status === "success" ? state.result : undefined,
    error,
    /** Per-field messages of a 422 (`{ email: ["…"] }`), if that is what failed. */
    fieldErrors: error?.fieldErrors ?? {},
  };
}
