//! The JS layer restates the ABI's constants (`js/abi.mjs`, the block that begins "the ABI"):
//! every name there must be one of `playgate::abi::SHARED_WITH_JS`, with the same value, and
//! every one of those must be there.
#![allow(clippy::panic, clippy::expect_used)] // a test fails by panicking

use std::collections::BTreeMap;

/// `0x..`, a decimal, or `a << b` of those: the forms the block uses.
fn value(expr: &str) -> u64 {
    if let Some((a, b)) = expr.split_once("<<") {
        return value(a) << value(b);
    }
    let expr = expr.trim();
    match expr.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => expr.parse(),
    }
    .unwrap_or_else(|_| panic!("js/abi.mjs: `{expr}` is not a constant this test reads"))
}

#[test]
fn js_layer_states_the_abi_constants_of_src_abi_rs() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/js/abi.mjs");
    let text = std::fs::read_to_string(path).expect("js/abi.mjs");
    let block = text
        .split_once("// ---- the ABI")
        .and_then(|(_, rest)| rest.split_once("// ---- end of the ABI"))
        .map(|(block, _)| block)
        .expect("js/abi.mjs has the ABI block");
    let mut js = BTreeMap::new();
    for line in block
        .lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix("export "))
        .filter(|l| l.starts_with("const "))
    {
        let statement = line.split("//").next().unwrap_or(line).trim();
        let (name, expr) = statement
            .trim_start_matches("const ")
            .trim_end_matches(';')
            .split_once('=')
            .expect("const NAME = value;");
        let previous = js.insert(name.trim().to_owned(), value(expr));
        assert!(previous.is_none(), "{name} twice in the block");
    }
    let rust: BTreeMap<String, u64> = playgate::abi::SHARED_WITH_JS
        .iter()
        .map(|&(name, v)| (name.to_owned(), v))
        .collect();
    assert_eq!(js, rust, "js/abi.mjs's ABI block and src/abi.rs differ");
}
