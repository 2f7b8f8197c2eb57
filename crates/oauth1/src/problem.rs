//! The `oauth_problem` vocabulary (the OAuth Problem Reporting extension, as the Atlassian
//! products answer it; SPEC §4): what went wrong with a signed request, its HTTP status, and
//! how it is written in a `WWW-Authenticate` header and a form-encoded body.
//!
//! A problem names a category, never a cause: no base string, secret or internal detail is
//! ever part of it, so it is safe to send to any caller.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::authorization::parse_auth_params;
use crate::encoding::{parse_form, percent_encode};

/// Why a signed request was refused, with the wire names of the Problem Reporting extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Error)]
#[error("oauth_problem={}", self.as_str())]
pub enum Problem {
    /// A required parameter is missing (400).
    ParameterAbsent,
    /// A parameter is malformed, repeated or too large (400).
    ParameterRejected,
    /// The timestamp is outside the accepted window (400).
    TimestampRefused,
    /// The signature method is unknown, or not the one this consumer may use (400).
    SignatureMethodRejected,
    /// `oauth_version` is present and is not `1.0` (400).
    VersionRejected,
    /// The nonce was already used with this timestamp (401).
    NonceUsed,
    /// The token has expired (401).
    TokenExpired,
    /// The token was revoked by its user or an administrator (401).
    TokenRevoked,
    /// The token is unknown or not valid for this request (401).
    TokenRejected,
    /// The request token was already exchanged (401).
    TokenUsed,
    /// The signature does not verify (401).
    SignatureInvalid,
    /// No consumer has this key (401).
    ConsumerKeyUnknown,
    /// The consumer or user may not do this (401).
    PermissionDenied,
    /// The user denied the authorisation (503, as the reference products answer it).
    UserRefused,
}

impl Problem {
    /// Every problem, in the order of the list in SPEC §4.
    pub const ALL: [Problem; 14] = [
        Problem::ParameterAbsent,
        Problem::ParameterRejected,
        Problem::TimestampRefused,
        Problem::SignatureMethodRejected,
        Problem::VersionRejected,
        Problem::NonceUsed,
        Problem::TokenExpired,
        Problem::TokenRevoked,
        Problem::TokenRejected,
        Problem::TokenUsed,
        Problem::SignatureInvalid,
        Problem::ConsumerKeyUnknown,
        Problem::PermissionDenied,
        Problem::UserRefused,
    ];

    /// The wire name, as in `oauth_problem=signature_invalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::ParameterAbsent => "parameter_absent",
            Problem::ParameterRejected => "parameter_rejected",
            Problem::TimestampRefused => "timestamp_refused",
            Problem::SignatureMethodRejected => "signature_method_rejected",
            Problem::VersionRejected => "version_rejected",
            Problem::NonceUsed => "nonce_used",
            Problem::TokenExpired => "token_expired",
            Problem::TokenRevoked => "token_revoked",
            Problem::TokenRejected => "token_rejected",
            Problem::TokenUsed => "token_used",
            Problem::SignatureInvalid => "signature_invalid",
            Problem::ConsumerKeyUnknown => "consumer_key_unknown",
            Problem::PermissionDenied => "permission_denied",
            Problem::UserRefused => "user_refused",
        }
    }

    /// The HTTP status the reference products answer with: 400 for malformed requests, 401
    /// for refused credentials, 503 for a user's refusal.
    pub fn status(self) -> u16 {
        match self {
            Problem::ParameterAbsent
            | Problem::ParameterRejected
            | Problem::TimestampRefused
            | Problem::SignatureMethodRejected
            | Problem::VersionRejected => 400,
            Problem::UserRefused => 503,
            _ => 401,
        }
    }

    /// The `WWW-Authenticate` header value for this problem alone; see
    /// [`ProblemReport::www_authenticate`] for one with details.
    pub fn www_authenticate(self, realm: &str) -> String {
        ProblemReport::new(self).www_authenticate(realm)
    }

    /// The form-encoded body for this problem alone, e.g. `oauth_problem=nonce_used`.
    pub fn form_body(self) -> String {
        ProblemReport::new(self).form_body()
    }
}

/// The wire name was not one of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("unknown oauth_problem")]
pub struct UnknownProblem;

impl FromStr for Problem {
    type Err = UnknownProblem;

    /// Reads a wire name, for a client interpreting a remote's refusal.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Problem::ALL
            .into_iter()
            .find(|problem| problem.as_str() == name)
            .ok_or(UnknownProblem)
    }
}

/// A [`Problem`] with the optional details of the Problem Reporting extension that help a
/// client fix its request: which parameters were absent, and which timestamps are accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProblemReport {
    problem: Problem,
    parameters_absent: Vec<String>,
    acceptable_timestamps: Option<(u64, u64)>,
}

impl ProblemReport {
    /// A report of `problem` with no details.
    pub fn new(problem: Problem) -> Self {
        Self {
            problem,
            parameters_absent: Vec::new(),
            acceptable_timestamps: None,
        }
    }

    /// A `parameter_absent` report naming the missing parameters.
    pub fn parameters_absent<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            parameters_absent: names.into_iter().map(Into::into).collect(),
            ..Self::new(Problem::ParameterAbsent)
        }
    }

    /// A `timestamp_refused` report with the accepted range, inclusive, in Unix seconds.
    pub fn timestamp_refused(earliest: u64, latest: u64) -> Self {
        Self {
            acceptable_timestamps: Some((earliest, latest)),
            ..Self::new(Problem::TimestampRefused)
        }
    }

    /// The problem reported.
    pub fn problem(&self) -> Problem {
        self.problem
    }

    /// The HTTP status to answer with.
    pub fn status(&self) -> u16 {
        self.problem.status()
    }

    /// The names in `oauth_parameters_absent`, if any.
    pub fn absent_parameters(&self) -> &[String] {
        &self.parameters_absent
    }

    /// The range in `oauth_acceptable_timestamps`, if known.
    pub fn acceptable_timestamps(&self) -> Option<(u64, u64)> {
        self.acceptable_timestamps
    }

    /// The `WWW-Authenticate` header value:
    /// `OAuth realm="<realm>", oauth_problem="<name>"` and any details, each value
    /// percent-encoded as `Authorization` values are (RFC 5849 §3.5.1).
    pub fn www_authenticate(&self, realm: &str) -> String {
        let mut header = format!("OAuth realm=\"{}\"", quote_escape(realm));
        for (name, value) in self.details() {
            header.push_str(&format!(", {name}=\"{}\"", percent_encode(&value)));
        }
        header
    }

    /// The same details as a form-encoded body, as the reference products send beside the
    /// header: `oauth_problem=parameter_absent&oauth_parameters_absent=oauth_nonce`.
    pub fn form_body(&self) -> String {
        self.details()
            .into_iter()
            .map(|(name, value)| format!("{name}={}", percent_encode(&value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// Reads a report from a form-encoded body, for a client interpreting a remote's answer.
    /// `None` when the body holds no known `oauth_problem`.
    pub fn from_form_body(body: &str) -> Option<Self> {
        Self::from_pairs(parse_form(body).ok()?)
    }

    /// Reads a report from a `WWW-Authenticate: OAuth ...` header value. `None` when the value
    /// is not an OAuth challenge or holds no known `oauth_problem`.
    pub fn from_www_authenticate(value: &str) -> Option<Self> {
        Self::from_pairs(parse_auth_params(value).ok()??)
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> Option<Self> {
        let value = |wanted: &str| {
            pairs
                .iter()
                .find(|(name, _)| name == wanted)
                .map(|(_, value)| value.as_str())
        };
        let mut report = Self::new(value("oauth_problem")?.parse().ok()?);
        if let Some(absent) = value("oauth_parameters_absent") {
            report.parameters_absent = absent.split('&').map(str::to_owned).collect();
        }
        report.acceptable_timestamps = value("oauth_acceptable_timestamps")
            .and_then(|range| range.split_once('-'))
            .and_then(|(low, high)| Some((low.parse().ok()?, high.parse().ok()?)));
        Some(report)
    }

    fn details(&self) -> Vec<(&'static str, String)> {
        let mut details = vec![("oauth_problem", self.problem.as_str().to_owned())];
        if !self.parameters_absent.is_empty() {
            // The extension lists absent parameters joined by `&`, which the encoding of the
            // value then escapes.
            details.push(("oauth_parameters_absent", self.parameters_absent.join("&")));
        }
        if let Some((earliest, latest)) = self.acceptable_timestamps {
            details.push((
                "oauth_acceptable_timestamps",
                format!("{earliest}-{latest}"),
            ));
        }
        details
    }
}

impl From<Problem> for ProblemReport {
    fn from(problem: Problem) -> Self {
        Self::new(problem)
    }
}

impl fmt::Display for ProblemReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.form_body())
    }
}

impl std::error::Error for ProblemReport {}

/// The realm is a quoted-string (RFC 7235 §2.1), so a quote or backslash in it is escaped.
fn quote_escape(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_spec() {
        let bad_request = [
            "parameter_absent",
            "parameter_rejected",
            "timestamp_refused",
            "signature_method_rejected",
            "version_rejected",
        ];
        for problem in Problem::ALL {
            let expected = match problem.as_str() {
                name if bad_request.contains(&name) => 400,
                "user_refused" => 503,
                _ => 401,
            };
            assert_eq!(problem.status(), expected, "{problem:?}");
        }
    }

    #[test]
    fn wire_names_round_trip() {
        for problem in Problem::ALL {
            assert_eq!(problem.as_str().parse::<Problem>(), Ok(problem));
        }
        assert_eq!("nope".parse::<Problem>(), Err(UnknownProblem));
    }

    #[test]
    fn header_and_body_for_a_plain_problem() {
        let problem = Problem::SignatureInvalid;
        assert_eq!(
            problem.www_authenticate("https://jira.example.com"),
            "OAuth realm=\"https://jira.example.com\", oauth_problem=\"signature_invalid\""
        );
        assert_eq!(problem.form_body(), "oauth_problem=signature_invalid");
        assert_eq!(problem.to_string(), "oauth_problem=signature_invalid");
    }

    #[test]
    fn absent_parameters_are_listed() {
        let report = ProblemReport::parameters_absent(["oauth_nonce", "oauth_timestamp"]);
        assert_eq!(report.status(), 400);
        assert_eq!(
            report.www_authenticate("r"),
            "OAuth realm=\"r\", oauth_problem=\"parameter_absent\", \
             oauth_parameters_absent=\"oauth_nonce%26oauth_timestamp\""
        );
        assert_eq!(
            report.form_body(),
            "oauth_problem=parameter_absent&oauth_parameters_absent=oauth_nonce%26oauth_timestamp"
        );
    }

    #[test]
    fn realm_quotes_are_escaped() {
        let header = Problem::NonceUsed.www_authenticate("a\"b\\c");
        assert!(
            header.starts_with("OAuth realm=\"a\\\"b\\\\c\""),
            "{header}"
        );
    }

    #[test]
    fn reports_are_read_back_from_either_form() {
        let report = ProblemReport::timestamp_refused(100, 700);
        let from_body = ProblemReport::from_form_body(&report.form_body());
        let from_header = ProblemReport::from_www_authenticate(&report.www_authenticate("x"));
        assert_eq!(from_body.as_ref(), Some(&report));
        assert_eq!(from_header.as_ref(), Some(&report));

        let absent = ProblemReport::parameters_absent(["oauth_token"]);
        assert_eq!(
            ProblemReport::from_form_body(&absent.form_body()),
            Some(absent)
        );
        assert_eq!(ProblemReport::from_form_body("oauth_problem=bogus"), None);
        assert_eq!(
            ProblemReport::from_www_authenticate("Basic realm=\"x\""),
            None
        );
    }
}
