//! Numbers in text without `format!`: each integer type a `format!` prints brings its own
//! `Display` and the `String` writer into the bundle (`bench/size.sh`), for sentences
//! that only ever need a decimal (`itoa`, already built for serde_json, writes it).

/// `before`, `n` in decimal, `after`.
pub(crate) fn with_decimal(before: &str, n: u64, after: &str) -> String {
    let mut out = String::with_capacity(before.len() + 20 + after.len());
    out.push_str(before);
    out.push_str(itoa::Buffer::new().format(n));
    out.push_str(after);
    out
}

/// Whether `s` has at most `max` characters (not bytes), without decoding it.
pub(crate) fn chars_at_most(s: &str, max: usize) -> bool {
    // Every character has exactly one byte that is not a UTF-8 continuation byte.
    s.len() <= max || s.bytes().filter(|b| b & 0xc0 != 0x80).count() <= max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_what_display_writes() {
        for n in [0, 7, 10, 99, 100, 65_535, 4_294_967_295, u64::MAX] {
            assert_eq!(with_decimal("<", n, ">"), format!("<{n}>"));
        }
    }

    #[test]
    fn characters_are_counted_not_bytes() {
        for s in ["", "abc", "ünïcødé ✓", "𝄞𝄞", "a\u{80}b"] {
            let count = s.chars().count();
            assert!(chars_at_most(s, count), "{s}");
            if count > 0 {
                assert!(!chars_at_most(s, count - 1), "{s}");
            }
        }
    }
}
