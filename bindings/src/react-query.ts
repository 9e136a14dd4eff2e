// TanStack Query helpers: query and mutation options keyed by procedure name and input, with
// the procedure's output and typed error.
import {
  queryOptions as tanstackQueryOptions,
  mutationOptions as tanstackMutationOptions,
} from "@tanstack/react-query";

import type { Client, ErrorOf, InputArgs, InputOf, NamesOf, OutputOf, ProcedureMap } from "./client";
import type { RpcError } from "./client";

export function createQueryHelpers<P extends ProcedureMap>(client: Client<P>) {
  /** `[name]` for a procedure without input, `[name, input]` otherwise; invalidating `[name]` covers all inputs. */
  function queryKey<N extends NamesOf<P, "query">>(name: N, ...[input]: InputArgs<InputOf<P, N>>) {
    return (input === undefined ? [name] : [name, input]) as readonly [N] | readonly [N, InputOf<P, N>];
  }

  function queryOptions<N extends NamesOf<P, "query">>(name: N, ...args: InputArgs<InputOf<P, N>>) {
    const [input] = args;
    return tanstackQueryOptions<OutputOf<P, N>, RpcError<ErrorOf<P, N>>>({
      queryKey: queryKey(name, ...args),
      queryFn: ({ signal }) => client.call("query", name, input, { signal }) as Promise<OutputOf<P, N>>,
    });
  }

  function mutationOptions<N extends NamesOf<P, "mutation">>(name: N) {
    return tanstackMutationOptions<OutputOf<P, N>, RpcError<ErrorOf<P, N>>, InputOf<P, N>>({
      mutationKey: [name],
      mutationFn: (input) => client.call("mutation", name, input) as Promise<OutputOf<P, N>>,
    });
  }

  return { queryKey, queryOptions, mutationOptions };
}
