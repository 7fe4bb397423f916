//! Herald's deep links: `herald://feed/NAME` opens a feed, and
//! `herald://record/FEED/KEY` one of its records, as the [`Target`] a
//! notification's click opens. Names and keys are percent-encoded where
//! they need to be. The desktop hands a link to the tray process
//! (`herald herald://…`); it is text from outside, read strictly.

use super::alert::Target;

/// The scheme the desktop entry registers.
pub const SCHEME: &str = "herald";

/// Why a link does not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct LinkError(String);

/// What `link` asks to show, or why it does not read.
pub fn parse(link: &str) -> Result<Target, LinkError> {
    let rest = link
        .strip_prefix(SCHEME)
        .and_then(|rest| rest.strip_prefix("://"))
        .ok_or_else(|| LinkError(format!("{link:?} is not a {SCHEME}:// link")))?;
    let parts: Vec<String> = rest.trim_end_matches('/').split('/').map(decode).collect::<Result<_, _>>()?;
    let target = |feed: &str, key: Option<&str>| Target {
        feed: feed.to_owned(),
        key: key.map(str::to_owned),
        click: None,
        since: None,
    };
    match parts.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["feed", feed] if !feed.is_empty() => Ok(target(feed, None)),
        ["record", feed, key] if !feed.is_empty() && !key.is_empty() => Ok(target(feed, Some(key))),
        _ => Err(LinkError(format!("{link:?} is neither herald://feed/NAME nor herald://record/FEED/KEY"))),
    }
}

/// Percent-decoding, of UTF-8.
fn decode(part: &str) -> Result<String, LinkError> {
    let bytes = part.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = part.get(i + 1..i + 3).ok_or_else(|| LinkError(format!("a cut-off escape in {part:?}")))?;
            let byte =
                u8::from_str_radix(hex, 16).map_err(|_| LinkError(format!("a bad escape %{hex} in {part:?}")))?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| LinkError(format!("{part:?} is not UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_name_a_feed_or_a_record() {
        let feed = parse("herald://feed/Tasks").unwrap();
        assert_eq!((feed.feed.as_str(), feed.key), ("Tasks", None));
        let record = parse("herald://record/My%20tasks/26/").unwrap();
        assert_eq!((record.feed.as_str(), record.key.as_deref()), ("My tasks", Some("26")));
    }

    #[test]
    fn anything_else_is_refused_with_what_would_do() {
        for bad in ["https://x/feed/a", "herald://feed/", "herald://record/a", "herald://x/a", "herald://feed/%zz"] {
            let error = parse(bad).unwrap_err().to_string();
            assert!(error.contains(bad) || error.contains("escape"), "{bad}: {error}");
        }
    }

    #[test]
    fn an_escape_cut_off_in_the_middle_of_a_character_is_refused_not_a_panic() {
        assert!(parse("herald://feed/%E2%9").is_err());
        assert!(parse("herald://feed/é%").is_err());
        assert!(parse("herald://feed/%é").is_err());
    }
}
