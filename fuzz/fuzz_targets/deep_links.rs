//! Reads arbitrary text as a `herald://` link, as the desktop hands one to
//! Herald (`herald herald://record/Tasks/26`).
//!
//! Properties: nothing panics; a link that reads names a feed that is not
//! empty, and a record only with a key that is not empty.

#![no_main]

use herald_core::attention::link::parse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|link: &str| {
    if let Ok(target) = parse(link) {
        assert!(!target.feed.is_empty(), "{link:?}");
        assert!(target.key.as_deref().is_none_or(|k| !k.is_empty()), "{link:?}");
        assert!(target.click.is_none() && target.since.is_none(), "a link opens a feed or a record, nothing else");
    }
});
