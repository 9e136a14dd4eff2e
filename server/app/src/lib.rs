//! The example application: its procedures, context, configuration and start-up, on the
//! procedure layer (`isthmus-rpc`, imported as `rpc`).

pub mod bindings;
pub mod blog;
pub mod commands;
pub mod configuration;
pub mod context;
pub mod procedures;
pub mod routes;
pub mod security_headers;
pub mod startup;
pub mod telemetry;
