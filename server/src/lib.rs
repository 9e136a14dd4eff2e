//! Isthmus server: the procedure layer (`rpc`), and the example application built on it.

pub mod bindings;
pub mod configuration;
pub mod context;
pub mod procedures;
pub mod rpc;
pub mod startup;
pub mod telemetry;
