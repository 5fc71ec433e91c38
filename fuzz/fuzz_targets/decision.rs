//! A whole decision from a fuzzed policy, document and request (the input cut at 0xFF bytes).
//! Checked: a decision is internally consistent, and `validUntil` is honest: the same request at
//! any instant before it is decided the same (decision-rules.md, "The decision").
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::decision::evaluate;
use playgate::entitlement::Entitlement;
use playgate::json_api::DecisionView;
use playgate::policy::Policy;
use playgate::request::OwnedRequest;

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |&b| b == 0xff);
    let (Some(policy), Some(doc), Some(request)) = (parts.next(), parts.next(), parts.next())
    else {
        return;
    };
    let policy = match std::str::from_utf8(policy) {
        Ok("") => Policy::new(),
        Ok(text) => match Policy::from_json(text) {
            Ok(p) => p,
            Err(_) => return,
        },
        Err(_) => return,
    };
    let Ok(doc) = Entitlement::from_json(doc) else {
        return;
    };
    let Ok(request) = std::str::from_utf8(request) else {
        return;
    };
    let Ok(request) = OwnedRequest::from_json(request) else {
        return;
    };
    let resolution = policy.resolve(&doc);
    let now = 1_731_672_000_000; // 2024-11-15T12:00:00Z, when the request names no time
    let base = request.as_request(now);
    let Ok(decision) = evaluate(&doc, &resolution, &base) else {
        return;
    };
    let view = DecisionView::from(&decision);
    assert_eq!(view.allowed, view.reasons.is_empty());
    assert_eq!(view.allowed, view.code.is_none());
    assert_eq!(view.code, view.reasons.first().copied());
    if !view.allowed {
        assert!(view.claims.is_empty() && view.max_quality.is_none() && !view.allow_persistence);
    }
    if let Some(until) = view.valid_until {
        assert!(
            until > base.now,
            "validUntil {until} is not after now {}",
            base.now
        );
    }
    // The same request later, but before validUntil: the same decision, validUntil included.
    let later = |t: i64| {
        let mut r = base;
        r.now = t;
        evaluate(&doc, &resolution, &r).map(|d| DecisionView::from(&d))
    };
    let horizon = view
        .valid_until
        .unwrap_or(base.now.saturating_add(10 * 365 * 86_400_000));
    for t in [
        base.now + 1,
        base.now + (horizon - base.now) / 2,
        horizon - 1,
    ] {
        if t > base.now && t < horizon {
            assert_eq!(
                later(t).ok().as_ref(),
                Some(&view),
                "at {t} (now {}, validUntil {:?})",
                base.now,
                view.valid_until
            );
        }
    }
});
