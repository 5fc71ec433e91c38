//! The Axinom DRM license service message (feature `jwt`, the edge module: the communication
//! key is a secret and never ships to players). A JWT signed HS256 with the communication key,
//! header exactly `{"alg":"HS256","typ":"JWT"}`, whose payload entitles the content keys of a
//! title under one usage policy (docs/mosaic.md; Axinom's license service message docs).
//!
//! The payload is written by hand, field by field in the documented order, so that a message is
//! the same bytes whatever serialiser would have been used (the vector in docs/mosaic.md is
//! reproduced byte for byte).

use chrono::{Datelike, TimeZone, Timelike, Utc};
use jwt_compact::alg::{Hs256, Hs256Key};
use jwt_compact::{Algorithm, AlgorithmSignature};

use crate::error::{Error, ErrorCode};
use crate::wire::base64::{self, Alphabet};
use crate::wire::json::write_string;
use crate::wire::time::Millis;

/// `{"alg":"HS256","typ":"JWT"}`, base64url.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// The usage policy's settings per preset, after its `name` (docs/mosaic.md).
fn policy_settings(policy: &str) -> Option<&'static str> {
    Some(match policy {
        "DEFAULT" => concat!(
            r#""fairplay":{"hdcp":"TYPE0"},"#,
            r#""widevine":{"device_security_level":"SW_SECURE_CRYPTO","disable_analog_output":false},"#,
            r#""playready":{"min_device_security_level":2000}"#
        ),
        "DEV" => concat!(
            r#""fairplay":{"hdcp":"NONE"},"#,
            r#""widevine":{"device_security_level":"SW_SECURE_CRYPTO","disable_analog_output":false},"#,
            r#""playready":{"min_device_security_level":150,"play_enablers":["786627D8-C2A6-44BE-8F88-08AE255B01A7"]}"#
        ),
        "STRICT" => concat!(
            r#""fairplay":{"hdcp":"TYPE1_STRICT"},"#,
            r#""widevine":{"device_security_level":"SW_SECURE_CRYPTO","hdcp":"1.0","disable_analog_output":true},"#,
            r#""playready":{"min_device_security_level":2000,"uncompressed_digital_video_opl":300,"analog_video_opl":201}"#
        ),
        _ => return None,
    })
}

/// What a license message says.
pub struct LicenseMessage<'a> {
    /// The content key ids: trimmed, de-duplicated ignoring ASCII case (the first spelling
    /// kept), in order of first occurrence. At least one.
    pub key_ids: &'a [String],
    /// The communication key's id.
    pub com_key_id: &'a str,
    /// The communication key, base64 or base64url, padding optional.
    pub com_key: &'a str,
    /// `DEFAULT`, `DEV` or `STRICT`.
    pub policy: &'a str,
    /// Whether a persistent (offline) license may be issued: the decision's `allowPersistence`.
    pub allow_persistence: bool,
    /// When the message stops being accepted (epoch ms), as the envelope's `expiration_date`.
    pub expires_at: Option<Millis>,
}

fn argument(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::InvalidArgument, message)
}

impl LicenseMessage<'_> {
    /// The signed message (a JWT). Errors: `INVALID_ARGUMENT` (no key id, an empty one, an
    /// empty com key id, an unknown policy, an expiry outside the calendar), `INVALID_KEY` (a
    /// communication key that is not base64 or is empty).
    pub fn sign(&self) -> Result<String, Error> {
        let mut ids: Vec<&str> = Vec::with_capacity(self.key_ids.len());
        for (i, id) in self.key_ids.iter().enumerate() {
            let id = id.trim();
            if id.is_empty() {
                return Err(argument(format!("keyIds[{i}]: empty")));
            }
            if !ids.iter().any(|seen| seen.eq_ignore_ascii_case(id)) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(argument("keyIds: at least one content key id"));
        }
        if self.com_key_id.trim().is_empty() {
            return Err(argument("comKeyId: empty"));
        }
        let settings = policy_settings(self.policy)
            .ok_or_else(|| argument("policy: expected DEFAULT, DEV or STRICT"))?;
        let key = base64::decode(self.com_key.trim(), Alphabet::Lenient)
            .filter(|k| !k.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidKey,
                    "comKey: expected the communication key in base64",
                )
            })?;
        let mut payload = String::from(r#"{"version":1,"com_key_id":"#);
        write_string(&mut payload, self.com_key_id);
        payload.push_str(r#","message":{"version":2,"type":"entitlement_message","license":{"allow_persistence":"#);
        payload.push_str(if self.allow_persistence {
            "true"
        } else {
            "false"
        });
        payload.push_str(r#"},"content_keys_source":{"inline":["#);
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                payload.push(',');
            }
            payload.push_str(r#"{"id":"#);
            write_string(&mut payload, id);
            payload.push_str(r#","usage_policy":"Policy A"}"#);
        }
        payload.push_str(r#"]},"content_key_usage_policies":[{"name":"Policy A","#);
        payload.push_str(settings);
        payload.push_str("}]}");
        if let Some(ms) = self.expires_at {
            let when = Utc
                .timestamp_millis_opt(ms)
                .single()
                .filter(|t| (0..=9999).contains(&t.year()))
                .ok_or_else(|| argument("expiresAt: outside the years 0 to 9999"))?;
            payload.push_str(r#","expiration_date":"#);
            // ISO 8601 in UTC with milliseconds, as JS's toISOString writes it.
            let iso = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                when.year(),
                when.month(),
                when.day(),
                when.hour(),
                when.minute(),
                when.second(),
                when.timestamp_subsec_millis()
            );
            write_string(&mut payload, &iso);
        }
        payload.push('}');
        let mut token = String::from(HEADER);
        token.push('.');
        token.push_str(&base64::encode(payload.as_bytes(), true));
        let signature = Hs256.sign(&Hs256Key::from(key.as_slice()), token.as_bytes());
        token.push('.');
        token.push_str(&base64::encode(&signature.as_bytes(), true));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/mosaic.md's vector, computed with an independent JWT library.
    const VECTOR: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ2ZXJzaW9uIjoxLCJjb21fa2V5X2lkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAxIiwibWVzc2FnZSI6eyJ2ZXJzaW9uIjoyLCJ0eXBlIjoiZW50aXRsZW1lbnRfbWVzc2FnZSIsImxpY2Vuc2UiOnsiYWxsb3dfcGVyc2lzdGVuY2UiOmZhbHNlfSwiY29udGVudF9rZXlzX3NvdXJjZSI6eyJpbmxpbmUiOlt7ImlkIjoiNjg5NDVmYzEtMjMzNy00Njg1LThkYWMtMzFjYjgwOGRjNzQ3IiwidXNhZ2VfcG9saWN5IjoiUG9saWN5IEEifSx7ImlkIjoiODU2MzU4YmYtZjQ0Yi00ZjI2LWExOGUtZDQyN2VmNTBhY2MyIiwidXNhZ2VfcG9saWN5IjoiUG9saWN5IEEifV19LCJjb250ZW50X2tleV91c2FnZV9wb2xpY2llcyI6W3sibmFtZSI6IlBvbGljeSBBIiwiZmFpcnBsYXkiOnsiaGRjcCI6IlRZUEUwIn0sIndpZGV2aW5lIjp7ImRldmljZV9zZWN1cml0eV9sZXZlbCI6IlNXX1NFQ1VSRV9DUllQVE8iLCJkaXNhYmxlX2FuYWxvZ19vdXRwdXQiOmZhbHNlfSwicGxheXJlYWR5Ijp7Im1pbl9kZXZpY2Vfc2VjdXJpdHlfbGV2ZWwiOjIwMDB9fV19fQ.sy1L8tsLDonTA6mFT_xucDhQoyB9dRYL6-fbtzz_XUM";

    #[test]
    fn the_reference_vector_byte_for_byte() {
        let ids = [
            "68945fc1-2337-4685-8dac-31cb808dc747".to_owned(),
            " 856358BF-F44B-4F26-A18E-D427EF50ACC2 ".to_owned(), // dropped below: a duplicate
            "856358bf-f44b-4f26-a18e-d427ef50acc2".to_owned(),
        ];
        let message = LicenseMessage {
            key_ids: &[ids[0].clone(), ids[2].clone()],
            com_key_id: "00000000-0000-0000-0000-000000000001",
            com_key: "secret_key",
            policy: "DEFAULT",
            allow_persistence: false,
            expires_at: None,
        };
        assert_eq!(message.sign().unwrap(), VECTOR);
        // The first spelling of a duplicate is kept: here the upper-case one, trimmed.
        let dup = LicenseMessage {
            key_ids: &ids,
            ..message
        };
        assert_ne!(dup.sign().unwrap(), VECTOR);
    }
}
