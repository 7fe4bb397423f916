//! Reads arbitrary text as a feeds file.
//!
//! Properties: nothing panics; a refusal names a line of the file; and a
//! file that is taken, written out again (as Herald writes its backup,
//! `herald.feeds.toml`), reads back as the same feeds.

#![no_main]

use herald_core::feed::{feeds_to_toml, parse_feeds};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    match parse_feeds(text) {
        Ok(feeds) => {
            let written = feeds_to_toml(&feeds);
            let again = parse_feeds(&written).unwrap_or_else(|e| panic!("{written}\nwritten out, it is refused: {e}"));
            assert_eq!(again, feeds, "{written}");
        }
        Err(e) => assert!(e.line >= 1 && e.line <= text.lines().count().max(1) + 1, "line {} of {text:?}", e.line),
    }
});
