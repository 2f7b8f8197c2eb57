//! The idle HTTP/1.1 connections the guarded client keeps open between requests, so that the
//! proxy and requests across a link do not pay a TCP connect and TLS handshake each time.
//!
//! The pool never opens a connection itself: every connection in it was opened by the guarded
//! connector (`connect.rs`), which checked the resolved address against the deny-list before
//! dialling it, and a connection is only ever reused for the scheme, host and port it was opened
//! for. Taking a connection from here therefore never bypasses the guard. The TLS settings are
//! the client's own and the same for every request, so they need no place in the key.
//!
//! This is not where a connection's reuse is decided: the response body gives a connection back
//! only after it was read to its end cleanly and the answer did not ask to close.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use tokio::time::Instant;
use url::Url;

use super::AbortOnDrop;

/// How long a connection may wait idle before it is closed rather than reused. Servers commonly
/// close idle connections after 60 seconds or more (5 seconds for some); a connection the server
/// closed sooner is caught by the retry in `Outbound::hop`.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most idle connections kept for one scheme, host and port.
const MAX_IDLE_PER_KEY: usize = 16;

/// The most idle connections kept in all.
const MAX_IDLE: usize = 256;

/// What makes two connections interchangeable.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Key {
    scheme: String,
    host: String,
    port: u16,
}

impl Key {
    /// The key of `url`, an `http` or `https` URL with a host (the caller has checked both).
    pub(super) fn of(url: &Url) -> Self {
        Self {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
            port: url.port_or_known_default().unwrap_or(80),
        }
    }
}

/// One open HTTP/1.1 connection: the handle to send on and the task that drives it, which is
/// aborted, closing the connection, when this is dropped.
pub(super) struct Connection {
    pub(super) sender: SendRequest<Full<Bytes>>,
    pub(super) _driver: AbortOnDrop,
}

struct Idle {
    connection: Connection,
    since: Instant,
}

/// The idle connections, newest last for each key.
#[derive(Default)]
pub(super) struct Pool {
    idle: Mutex<HashMap<Key, Vec<Idle>>>,
}

impl Pool {
    /// The most recently used idle connection for `key` that has not waited too long and that
    /// hyper does not already know to be closed. It may still turn out closed when used.
    pub(super) fn take(&self, key: &Key) -> Option<Connection> {
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let waiting = idle.get_mut(key)?;
        let now = Instant::now();
        let mut found = None;
        while let Some(candidate) = waiting.pop() {
            if now.duration_since(candidate.since) < IDLE_TIMEOUT
                && !candidate.connection.sender.is_closed()
            {
                found = Some(candidate.connection);
                break;
            }
        }
        if waiting.is_empty() {
            idle.remove(key);
        }
        found
    }

    /// Keeps `connection` for the next request to `key`, or closes it when the pool is full.
    pub(super) fn put(&self, key: Key, connection: Connection) {
        let now = Instant::now();
        let mut idle = self
            .idle
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let total: usize = idle.values().map(Vec::len).sum();
        if total >= MAX_IDLE {
            for waiting in idle.values_mut() {
                waiting.retain(|kept| now.duration_since(kept.since) < IDLE_TIMEOUT);
            }
            idle.retain(|_, waiting| !waiting.is_empty());
            if idle.values().map(Vec::len).sum::<usize>() >= MAX_IDLE {
                return;
            }
        }

        let waiting = idle.entry(key).or_default();
        waiting.retain(|kept| now.duration_since(kept.since) < IDLE_TIMEOUT);
        if waiting.len() >= MAX_IDLE_PER_KEY {
            // The oldest is the likeliest to have been closed by the server meanwhile.
            waiting.remove(0);
        }
        waiting.push(Idle {
            connection,
            since: now,
        });
    }
}
