// TanStack Router helpers: a route's loader declares the queries its page needs. In the
// browser they are fetched (or found in the cache the server's state filled); in a server
// render the Rust server runs them in-process and renders again with their results.
import type { EnsureQueryDataOptions, QueryClient, QueryKey } from "@tanstack/react-query";
import { notFound } from "@tanstack/react-router";

import { RpcError } from "./client";

/**
 * Ensures a query's data for a loader. A procedure that answers 404 (a typed `NOT_FOUND`)
 * makes the route not found: the page answers 404 and renders its `notFoundComponent`.
 */
export async function loadQuery<TQueryFnData, TError, TData, TQueryKey extends QueryKey>(
  queryClient: QueryClient,
  options: EnsureQueryDataOptions<TQueryFnData, TError, TData, TQueryKey>,
): Promise<TData> {
  try {
    return await queryClient.ensureQueryData(options);
  } catch (error) {
    if (error instanceof RpcError && error.status === 404) throw notFound();
    throw error;
  }
}
