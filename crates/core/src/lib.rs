//! The application-links domain, free of HTTP frameworks and SQL.
//!
//! This crate holds what an application link *is*: the identity an application shows to its
//! peers (its [`manifest`]), the [`link`]s to remote applications, the incoming OAuth
//! [`consumer`]s with the rule deciding whom a signed request acts as, the [`token`]s issued to
//! them and those we hold at remote applications ([`held_token`]), replay protection
//! ([`nonce`]), the people who act across links ([`user`]), their sign-in [`session`]s, and
//! the storage traits ([`store`]) that `applinks-store` implements over SQLite and PostgreSQL.
//! Time and randomness come in from outside through [`clock`], so every rule that depends on
//! them is testable without sleeping.
//!
//! It does no I/O of its own; the server crate wires it to the network and the database.

pub mod audit;
pub mod clock;
pub mod consumer;
pub mod held_token;
pub mod link;
pub mod manifest;
pub mod nonce;
pub mod session;
pub mod store;
pub mod token;
pub mod user;
