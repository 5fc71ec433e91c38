//! Errors: malformed input is an [`Error`] with a stable [`ErrorCode`]; a denial is never an error.

use std::fmt;

/// The stable, machine-readable code of an [`Error`]. The JS layer puts
/// [`ErrorCode::as_str`] on the thrown `Error` as its `code` property.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The policy (claim sets, plans, tiers) is malformed or names an unknown claim.
    InvalidPolicy,
    /// The entitlement document is malformed (bad JSON, a known field of the wrong type, a bad date).
    InvalidEntitlement,
    /// The request is malformed (missing entity id, bad country code, bad time, bad license).
    InvalidRequest,
    /// Claim rules apply and the entity type can be neither read nor derived from the id.
    InvalidEntityId,
    /// A permission scope is malformed (unknown role, empty key, conflicting roles...).
    InvalidScope,
    /// A token cannot be decoded (not a Momento token, bad base64 or JSON, a bad `p` claim).
    MalformedToken,
    /// A JWT's `exp` (with the leeway) has passed.
    TokenExpired,
    /// A JWT's `nbf` (with the leeway) has not come yet.
    TokenNotYetValid,
    /// A JWT's signature does not verify with the configured key.
    BadSignature,
    /// No configured key fits the token (its `kid`, or its algorithm's key type).
    UnknownKey,
    /// The token's `alg` is not one the verifier was configured with.
    AlgorithmNotAllowed,
    /// The token's `iss` is not the configured issuer.
    WrongIssuer,
    /// The token's `aud` does not hold the configured audience.
    WrongAudience,
    /// A key or verifier configuration is unusable.
    InvalidKey,
    /// A manifest is malformed (the message names the line).
    InvalidManifest,
    /// A manifest had video and none of it is within the cap.
    NothingPlayable,
    /// An argument is missing or not one of the accepted values.
    InvalidArgument,
}

impl ErrorCode {
    /// The code as it appears in JS (`err.code`) and in test vectors.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidPolicy => "INVALID_POLICY",
            Self::InvalidEntitlement => "INVALID_ENTITLEMENT",
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::InvalidEntityId => "INVALID_ENTITY_ID",
            Self::InvalidScope => "INVALID_SCOPE",
            Self::MalformedToken => "MALFORMED_TOKEN",
            Self::TokenExpired => "TOKEN_EXPIRED",
            Self::TokenNotYetValid => "TOKEN_NOT_YET_VALID",
            Self::BadSignature => "BAD_SIGNATURE",
            Self::UnknownKey => "UNKNOWN_KEY",
            Self::AlgorithmNotAllowed => "ALGORITHM_NOT_ALLOWED",
            Self::WrongIssuer => "WRONG_ISSUER",
            Self::WrongAudience => "WRONG_AUDIENCE",
            Self::InvalidKey => "INVALID_KEY",
            Self::InvalidManifest => "INVALID_MANIFEST",
            Self::NothingPlayable => "NOTHING_PLAYABLE",
            Self::InvalidArgument => "INVALID_ARGUMENT",
        }
    }
}

/// Malformed input. The message names the offending field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    code: ErrorCode,
    message: String,
}

impl Error {
    /// An error with `code` and a message naming the field.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// An `INVALID_POLICY` error.
    pub fn policy(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidPolicy, message)
    }

    /// An `INVALID_ENTITLEMENT` error.
    pub fn entitlement(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidEntitlement, message)
    }

    /// An `INVALID_REQUEST` error.
    pub fn request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The human-readable message, naming the field.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `prefix: ` in front of its message (a batch index, a field path).
    #[must_use]
    pub fn context(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
