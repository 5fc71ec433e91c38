//! RFC 3339 date-times, held against chrono's parser: where both read a text they must read
//! the same instant (to the millisecond, playgate truncating finer fractions). Where they
//! disagree on whether a text is a date-time, the known, intended differences are listed below;
//! anything else is a failure.
#![no_main]
use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use playgate::parse_rfc3339;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ours = parse_rfc3339(text);
    let theirs = DateTime::parse_from_rfc3339(text).ok();
    match (ours, theirs) {
        (Some(ms), Some(dt)) => {
            // A leap second (:60) is the next minute's first instant for playgate; chrono keeps
            // it as :59 plus a second of nanoseconds. Same instant, counted the same.
            let theirs_ms = dt.timestamp_millis();
            assert_eq!(ms, theirs_ms, "{text:?}: playgate {ms}, chrono {theirs_ms}");
        }
        (None, None) => {}
        (Some(ms), None) => panic!("{text:?}: playgate reads {ms}, chrono refuses it"),
        (None, Some(dt)) => {
            // Intended: playgate reads epoch-ms ranges a JS Date can hold and four-digit years
            // only; chrono reads a few forms RFC 3339 does not define.
            let out_of_js_range = dt.timestamp_millis().abs() > playgate::MAX_ABS_MILLIS;
            assert!(
                out_of_js_range,
                "{text:?}: chrono reads {dt}, playgate refuses it"
            );
        }
    }
});
