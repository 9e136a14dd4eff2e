// Generated from the server's procedures by isthmus-rpc. Do not edit.
/* eslint-disable */
/**
 *  Errors of the protocol itself, raised before or around a procedure call. Every
 *  procedure can answer with one of these, so the client types include it.
 */
export type ProtocolError = 
/**  The input is not JSON. */
{ code: "MALFORMED_JSON"; 
/**  The parser's complaint, with the position. */
message: string } | 
/**
 *  The body could not be read as its media type says (a broken multipart body, a
 *  connection cut mid-body).
 */
{ code: "MALFORMED_BODY"; 
/**  What could not be read. */
message: string } | 
/**  The input is JSON but not of the procedure's input type. */
{ code: "INVALID_INPUT"; 
/**  Where in the input, as `field.nested[0]` (`.` for the whole input). */
path: string; 
/**  What was expected there. */
message: string } | 
/**  The input nests arrays and objects deeper than the configured limit. */
{ code: "TOO_DEEP"; 
/**  The deepest nesting accepted. */
limit: number } | 
/**  No procedure has this name. */
{ code: "UNKNOWN_PROCEDURE"; 
/**  The name called. */
name: string } | 
/**  A query or subscription was posted, or a mutation was fetched with GET. */
{ code: "METHOD_NOT_ALLOWED"; 
/**  The procedure called. */
name: string; 
/**  What it is: `query`, `mutation` or `subscription`. */
kind: string; 
/**  The method it takes (also in the `Allow` header). */
allowed: string } | 
/**  The body's `Content-Type` is not one the call accepts. */
{ code: "UNSUPPORTED_MEDIA_TYPE"; 
/**  The media type to send. */
expected: string } | 
/**  The body is larger than the server accepts. */
{ code: "PAYLOAD_TOO_LARGE"; 
/**  The largest body accepted, in bytes. */
limit: number } | 
/**  The body did not arrive in time (a stalled upload); the connection is closed. */
{ code: "BODY_TIMEOUT"; 
/**  How long the server waits for a whole body, in seconds. */
seconds: number } | 
/**  A batch holds more calls than the server accepts in one request. */
{ code: "BATCH_TOO_LARGE"; 
/**  The most calls accepted in one batch. */
limit: number } | 
/**  A mutation posted from an origin that may not post (or, for a form, from no origin). */
{ code: "CROSS_ORIGIN"; 
/**  The `Origin` the request came with (`null` or empty when it had none). */
origin: string } | 
/**
 *  The server cannot answer now (its database is unreachable or locked); retry after
 *  `retryAfter` seconds (also in the `Retry-After` header).
 */
{ code: "UNAVAILABLE"; 
/**  Seconds to wait before trying again. */
retryAfter: number } | 
/**  This client already holds as many open subscriptions as the server allows. */
{ code: "TOO_MANY_SUBSCRIPTIONS"; 
/**  Subscriptions one client may hold open. */
limit: number } | 
/**  Too many calls; retry after `retryAfter` seconds (also in the `Retry-After` header). */
{ code: "RATE_LIMITED"; 
/**  Seconds until the next call is accepted. */
retryAfter: number } | 
/**
 *  The input has the right type but breaks the validation rules declared on it
 *  (`Valid<T>`): messages per field path.
 */
{ code: "VALIDATION"; 
/**  Messages per field path. */
fields: { [key in string]: string[] } } | 
/**  Subscriptions stream over their own connection and cannot be part of a batch. */
{ code: "NOT_BATCHABLE"; 
/**  The subscription named in the batch. */
name: string };
