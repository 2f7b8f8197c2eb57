//! The audit log: who changed what in the link configuration, when, and what it was before
//! and after.

use crate::clock::UnixTime;

/// One administrative change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened.
    pub at: UnixTime,
    /// Who made it (a user name, or `system`).
    pub actor: String,
    /// What was done, as a short verb phrase (`link.create`, `consumer.delete`, …).
    pub action: String,
    /// What it was done to (a link id, a consumer key).
    pub target: String,
    /// The state before, as JSON, when there was one.
    pub before: Option<String>,
    /// The state after, as JSON, when there is one.
    pub after: Option<String>,
}
