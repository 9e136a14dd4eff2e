//! The example's domain logic beside its procedures: passwords, sessions, markdown and the
//! demo content. Replaced with the example (see "Start your own app" in the README).

pub mod markdown;
pub mod password;
pub mod seed;
pub mod session;
