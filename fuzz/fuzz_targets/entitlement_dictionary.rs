//! Cache dictionary fields: the input cut at NUL bytes into name, value, name, value...
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::decision::evaluate;
use playgate::entitlement::Entitlement;
use playgate::policy::Policy;
use playgate::request::Request;

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
    // A leading byte picks known field names for the odd parts, so every field is reached.
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
    if let Ok(doc) =
        Entitlement::from_dictionary(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    {
        let policy = Policy::new();
        let _ = evaluate(&doc, &policy.resolve(&doc), &Request::new("movie-1", 0));
    }
});
