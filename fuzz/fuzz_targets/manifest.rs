//! Manifests: any bytes, any cap. Never a panic; a result is the input with whole pieces cut
//! out (never longer, every kept byte in order), idempotent, and the same text uncapped is the
//! input unchanged; the counts add up across caps (a lower cap never keeps more).
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::manifest::filter_manifest;
use playgate::Quality;

/// Whether `small` is `big` with some bytes taken out (a subsequence).
fn is_cut_from(small: &[u8], big: &[u8]) -> bool {
    let mut rest = big.iter();
    small.iter().all(|b| rest.any(|c| c == b))
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, input)) = data.split_first() else {
        return;
    };
    let cap = Quality::from_rank(selector % 5);
    let Ok(filtered) = filter_manifest(input, cap) else {
        return;
    };
    assert!(filtered.text.len() <= input.len());
    assert!(is_cut_from(filtered.text.as_bytes(), input), "output is not the input cut");
    let again = filter_manifest(filtered.text.as_bytes(), cap).expect("a filtered manifest filters again");
    assert_eq!(again.text, filtered.text, "not idempotent");
    assert_eq!(again.removed, 0);
    let uncapped = filter_manifest(input, None).expect("what a cap accepts, no cap accepts");
    assert_eq!(uncapped.text.as_bytes(), input, "uncapped must not change the text");
    assert!(filtered.kept <= uncapped.kept);
    assert_eq!(filtered.kept + filtered.removed, uncapped.kept, "every video rendition is kept or removed");
});
