//! Requests: which entity, from where, on what, when.

use crate::country::Country;
use crate::decide::claims::EntityType;
use crate::decide::license::License;
use crate::error::Error;
use crate::wire::json::{self, JsonError, Kind, Reader, MAX_JSON_BYTES};
use crate::wire::time::Millis;

/// One request, borrowing its strings. Build it with [`Request::new`] and the setters, or read
/// an owned one from JSON with [`OwnedRequest::from_json`].
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The entity to play (required, non-empty).
    pub entity_id: &'a str,
    /// The entity's type; when `None`, derived from the id prefix.
    pub entity_type: Option<EntityType>,
    /// Ids of the entity's ancestors (season, series...), checked against `allowed_content`.
    pub ancestors: &'a [Box<str>],
    /// The viewer's country; `None` = unknown.
    pub country: Option<Country>,
    /// The viewer's device class; `None` = unknown.
    pub device: Option<&'a str>,
    /// The instant of the decision.
    pub now: Millis,
    /// Whether a persistent (offline) license is asked for.
    pub allow_persistence: bool,
    /// The entity's licensing windows; `None` = no licensing check, empty = no license.
    pub licenses: Option<&'a [License]>,
}

impl<'a> Request<'a> {
    /// A request for `entity_id` at `now`, with nothing else known.
    pub fn new(entity_id: &'a str, now: Millis) -> Self {
        Request {
            entity_id,
            entity_type: None,
            ancestors: &[],
            country: None,
            device: None,
            now,
            allow_persistence: false,
            licenses: None,
        }
    }
}

/// Checks a request's country text: two ASCII letters, any case.
pub fn parse_country(code: &str) -> Result<Country, Error> {
    Country::parse(code).ok_or_else(|| {
        Error::request(format!(
            "country: \"{code}\" is not an ISO 3166-1 alpha-2 code"
        ))
    })
}

/// Checks a request's entity id: not empty, not only (ASCII) white space.
#[inline(always)]
pub fn check_entity_id(id: &str) -> Result<(), Error> {
    if id.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::request("entityId: must be a non-empty string"));
    }
    Ok(())
}

/// Checks a request's device class: a non-empty string.
pub fn check_device(device: &str) -> Result<(), Error> {
    if device.bytes().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::request(
            "device: must be a non-empty string when given",
        ));
    }
    Ok(())
}

/// The entity-specific extras of a request (`entityType`, `ancestors`, `licenses`), which the
/// JS layer sends as one JSON text only when a request has them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityExtras {
    /// See [`Request::entity_type`].
    pub entity_type: Option<EntityType>,
    /// See [`Request::ancestors`].
    pub ancestors: Vec<Box<str>>,
    /// See [`Request::licenses`].
    pub licenses: Option<Vec<License>>,
}

impl EntityExtras {
    /// No extras, as a constant (for statics initialised without code).
    pub const NONE: EntityExtras = EntityExtras {
        entity_type: None,
        ancestors: Vec::new(),
        licenses: None,
    };

    /// Reads `{entityType?, ancestors?, licenses?}`.
    pub fn from_json(text: &str) -> Result<EntityExtras, Error> {
        Ok(OwnedRequest::read_text(text, false)?.extras)
    }
}

/// A request read from JSON, owning its strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedRequest {
    /// See [`Request::entity_id`].
    pub entity_id: String,
    /// See [`Request::country`].
    pub country: Option<Country>,
    /// See [`Request::device`].
    pub device: Option<String>,
    /// See [`Request::now`]; `None` = the caller's current time.
    pub now: Option<Millis>,
    /// See [`Request::allow_persistence`].
    pub allow_persistence: bool,
    /// `entityType`, `ancestors`, `licenses`.
    pub extras: EntityExtras,
}

impl OwnedRequest {
    /// Reads `{entityId, entityType?, ancestors?, country?, device?, now?, allowPersistence?, licenses?}`.
    /// Unknown fields are rejected (a misspelt field must not silently drop a restriction).
    pub fn from_json(text: &str) -> Result<OwnedRequest, Error> {
        Self::read_text(text, true)
    }

    fn read_text(text: &str, whole: bool) -> Result<OwnedRequest, Error> {
        if text.len() > MAX_JSON_BYTES {
            return Err(Error::request(format!(
                "request is {} bytes; the limit is {MAX_JSON_BYTES}",
                text.len()
            )));
        }
        let request = json::read_text(text, |r| read_request(r, whole))
            .map_err(|e| Error::request(e.to_string()))?;
        if whole {
            check_entity_id(&request.entity_id)?;
        }
        Ok(request)
    }

    /// Borrows this request, with `default_now` when it has no `now`.
    pub fn as_request(&self, default_now: Millis) -> Request<'_> {
        Request {
            entity_id: &self.entity_id,
            entity_type: self.extras.entity_type,
            ancestors: &self.extras.ancestors,
            country: self.country,
            device: self.device.as_deref(),
            now: self.now.unwrap_or(default_now),
            allow_persistence: self.allow_persistence,
            licenses: self.extras.licenses.as_deref(),
        }
    }
}

// Not inlined into its one caller: 245 B less of the module gzipped, measured (60,334 -> 60,089).
#[inline(never)]
fn read_request(r: &mut Reader<'_>, whole: bool) -> json::Result<OwnedRequest> {
    const WHOLE: &[&str] = &[
        "entityId",
        "entityType",
        "ancestors",
        "country",
        "device",
        "now",
        "allowPersistence",
        "licenses",
    ];
    const EXTRAS: &[&str] = &["entityType", "ancestors", "licenses"];
    let known = if whole { WHOLE } else { EXTRAS };
    if r.peek()? != Kind::Object {
        return Err(r.unexpected("a request object"));
    }
    let start = r.position();
    let mut request = OwnedRequest::default();
    let mut seen = 0u16;
    let mut has_id = false;
    r.object(|r, key| {
        let Some(index) = known.iter().position(|k| *k == key) else {
            return Err(r.error(format!("unknown field `{key}`")));
        };
        if seen & (1 << index) != 0 {
            return Err(r.error(format!("duplicate field `{key}`")));
        }
        seen |= 1 << index;
        if key == "entityId" {
            has_id = true;
        }
        if r.null()? {
            return Ok(());
        }
        read_request_field(r, &key, &mut request).map_err(|e| e.within(&key))
    })?;
    if whole && !has_id {
        return Err(JsonError::at(start, "entityId: missing"));
    }
    Ok(request)
}

fn read_request_field(
    r: &mut Reader<'_>,
    key: &str,
    request: &mut OwnedRequest,
) -> json::Result<()> {
    let at = r.position();
    let here = |e: Error| JsonError::at(at, e.message().to_owned());
    match key {
        "entityId" => request.entity_id = r.string()?.into_owned(),
        "entityType" => {
            let name = r.string()?;
            let ty = EntityType::parse(&name).ok_or_else(|| {
                JsonError::at(at, format!("\"{name}\" is not movie, episode or channel"))
            })?;
            request.extras.entity_type = Some(ty);
        }
        "ancestors" => {
            request.extras.ancestors = r
                .string_list()?
                .into_iter()
                .map(String::into_boxed_str)
                .collect()
        }
        "country" => request.country = Some(parse_country(&r.string()?).map_err(here)?),
        "device" => {
            let device = r.string()?.into_owned();
            check_device(&device).map_err(here)?;
            request.device = Some(device);
        }
        "now" => request.now = Some(r.time(false)?),
        "allowPersistence" => request.allow_persistence = r.bool()?,
        _ => {
            let mut licenses = Vec::new();
            r.array(|r, i| {
                licenses.push(License::read(r).map_err(|e| e.within(&format!("[{i}]")))?);
                Ok(())
            })?;
            request.extras.licenses = Some(licenses);
        }
    }
    Ok(())
}
