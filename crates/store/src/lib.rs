//! The storage traits of `applinks-core`, implemented once over SQLite and PostgreSQL.
//!
//! [`Database`] talks to either backend through sqlx's `Any` driver with the same SQL: portable
//! column types (TEXT ids, BIGINT epoch seconds, BIGINT 0/1 flags) and `$n` placeholders, which
//! both backends accept. It holds no business rules; those live in `applinks-core` and the
//! server. [`migrate`] brings a database to the current schema and is safe to run from several
//! nodes at once.

mod audit;
mod consumers;
mod database;
mod held_tokens;
mod links;
mod migrate;
mod nonces;
mod providers;
mod sessions;
mod settings;
mod status;
mod tokens;
mod users;

pub use database::{Backend, Database};
pub use migrate::MIGRATIONS;
