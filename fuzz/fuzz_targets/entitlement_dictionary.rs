//! Cache dictionary fields: the input cut at NUL bytes into name, value, name, value... (a
//! one-byte name picks a known field, so that every field is reached). Checked: every failure
//! is `INVALID_ENTITLEMENT` naming the field; a dictionary holding one field as JSON text reads
//! as the blob `{field: value}` where both forms can say it; a document that reads is decided.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::evaluate;
use playgate::Entitlement;
use playgate::ErrorCode;
use playgate::Policy;
use playgate::Request;

const NAMES: &[&str] = &[
    "subscription_level",
    "plan",
    "subscriptions",
    "claims",
    "region",
    "device_restriction",
    "valid_from",
    "valid_until",
    "allowed_content",
    "max_quality",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parts: Vec<&str> = text.split('\0').collect();
    let fields: Vec<(String, String)> = parts
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let name = match pair.first() {
                Some(n) if n.len() == 1 => {
                    NAMES[(n.as_bytes()[0] as usize + i) % NAMES.len()].to_owned()
                }
                Some(n) => (*n).to_owned(),
                None => String::new(),
            };
            (name, pair.get(1).copied().unwrap_or_default().to_owned())
        })
        .collect();
    let read = Entitlement::from_dictionary(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    match &read {
        Ok(doc) => {
            let policy = Policy::new();
            let resolution = policy.resolve(doc);
            for now in [0, 1_735_689_600_000] {
                if let Ok(d) = evaluate(doc, &resolution, &Request::new("movie-1", now)) {
                    assert_eq!(d.allowed(), d.code().is_none());
                    assert!(d.valid_until.is_none_or(|t| t > now));
                }
            }
        }
        Err(e) => {
            assert_eq!(e.code(), ErrorCode::InvalidEntitlement, "{}", e.message());
            assert!(
                fields
                    .iter()
                    .any(|(k, _)| e.message().starts_with(k.as_str())),
                "the error names no field: {}",
                e.message()
            );
        }
    }
    // One list field given as JSON array text reads as the blob would read it.
    if let [(name, value)] = fields.as_slice() {
        let list = ["claims", "region", "device_restriction", "allowed_content"];
        if list.contains(&name.as_str()) && value.trim_start().starts_with('[') {
            let blob = format!("{{\"{name}\":{value}}}");
            let from_blob = Entitlement::from_json(blob.as_bytes());
            if let (Ok(a), Ok(b)) = (&read, &from_blob) {
                assert_eq!(format!("{a:?}"), format!("{b:?}"), "{blob}");
            }
        }
    }
});
