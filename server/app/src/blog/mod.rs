//! The example's domain logic beside its procedures: passwords, sessions, markdown, the demo
//! content, and email (the provider and the outbox). Replaced with the example (see "Start your own app" in the README).

pub mod email;
pub mod markdown;
pub mod outbox;
pub mod password;
pub mod seed;
pub mod session;
pub mod token;
