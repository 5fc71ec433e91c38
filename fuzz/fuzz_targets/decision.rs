//! A whole decision from a fuzzed policy, document and request (the input cut at 0xFF bytes).
//! Checked: a decision is internally consistent; `validUntil` is honest (the same request at any
//! instant before it is decided the same, decision-rules.md "The decision"); a context kept
//! while it `holds_at` decides like a fresh one (what the binding memoises per document); the
//! packed forms the JS layer reads say the same; and the JSON entry point agrees.
#![no_main]
use libfuzzer_sys::fuzz_target;
use playgate::{evaluate, Context, Decision};
use playgate::Entitlement;
use playgate::{evaluate_request_json, DecisionView};
use playgate::Policy;
use playgate::OwnedRequest;

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
    let Ok(request_text) = std::str::from_utf8(request) else {
        return;
    };
    let Ok(request) = OwnedRequest::from_json(request_text) else {
        return;
    };
    let resolution = policy.resolve(&doc);
    let now = 1_731_672_000_000; // 2024-11-15T12:00:00Z, when the request names no time
    let base = request.as_request(now);
    let result = evaluate(&doc, &resolution, &base);
    // The JSON entry point is the same decision (or the same error).
    match (
        &result,
        evaluate_request_json(&policy, &doc, request_text, now),
    ) {
        (Ok(d), Ok(v)) => assert_eq!(DecisionView::from(d), v),
        (Err(a), Err(b)) => assert_eq!(a.code(), b.code()),
        (a, b) => panic!("evaluate {a:?}, evaluate_request_json {b:?}"),
    }
    let Ok(decision) = result else {
        return;
    };
    let view = DecisionView::from(&decision);
    assert_eq!(view.allowed, view.reasons.is_empty());
    assert_eq!(view.allowed, view.code.is_none());
    assert_eq!(view.code, view.reasons.first().copied());
    if !view.allowed {
        assert!(view.claims.is_empty() && view.max_quality.is_none() && !view.allow_persistence);
    }
    if view.allow_persistence {
        assert!(base.allow_persistence, "persistence granted unasked");
    }
    // The packed forms: what crosses to JS decodes to the same decision.
    assert_eq!(
        Decision::unpack(decision.pack(), base.country, decision.valid_until),
        decision,
        "pack/unpack"
    );
    let byte = decision.catalog_byte();
    assert_eq!(
        byte & 0x0f == 0,
        decision.allowed(),
        "catalog byte {byte:#x}"
    );
    if let Some(until) = view.valid_until {
        assert!(
            until > base.now,
            "validUntil {until} is not after now {}",
            base.now
        );
    }
    // The same request later, but before validUntil: the same decision, validUntil included,
    // whether decided afresh or on the context computed at `now` (kept while it holds).
    let context = Context::new(
        &doc,
        &resolution,
        base.country,
        base.device,
        base.now,
        base.allow_persistence,
    );
    let later = |t: i64| {
        let mut r = base;
        r.now = t;
        evaluate(&doc, &resolution, &r).map(|d| DecisionView::from(&d))
    };
    let kept = |t: i64| {
        context
            .decide(
                &doc,
                t,
                base.entity_id,
                base.entity_type,
                base.ancestors,
                base.licenses,
            )
            .map(|d| DecisionView::from(&d))
    };
    assert_eq!(kept(base.now).ok().as_ref(), Some(&view), "a fresh context");
    let horizon = view
        .valid_until
        .unwrap_or(base.now.saturating_add(10 * 365 * 86_400_000));
    let span = horizon.saturating_sub(base.now);
    for t in [
        base.now.saturating_add(1),
        base.now.saturating_add(span / 3),
        base.now.saturating_add(span / 2),
        horizon.saturating_sub(1),
    ] {
        if t > base.now && t < horizon {
            assert_eq!(
                later(t).ok().as_ref(),
                Some(&view),
                "at {t} (now {}, validUntil {:?})",
                base.now,
                view.valid_until
            );
            assert!(
                context.holds_at(t),
                "the context stops holding before validUntil"
            );
        }
    }
    // Wherever the kept context says it holds, it decides as a fresh one would.
    for t in [
        horizon,
        horizon.saturating_add(1),
        base.now.saturating_sub(1),
    ] {
        if context.holds_at(t) {
            assert_eq!(kept(t).ok(), later(t).ok(), "a kept context at {t}");
        }
    }
});
