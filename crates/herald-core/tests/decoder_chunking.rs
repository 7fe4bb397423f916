//! Properties: the decoder agrees with a literal, line-by-line reading of the
//! spec (an oracle with none of its shortcuts), and however the network
//! splits a stream into chunks, it yields exactly the frames it yields for
//! the stream in one piece.

use std::time::Duration;

use herald_core::sse::{Decoder, Event, Frame};
use proptest::prelude::*;

/// Pieces that make up SSE streams, including the awkward ones: every line
/// ending, a BOM, NUL in an id, invalid UTF-8, unknown fields, comments.
fn piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"data: hello".to_vec()),
        Just(b"data".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"data:  two spaces".to_vec()),
        Just(b"event: update".to_vec()),
        Just(b"event".to_vec()),
        Just(b"id: 42".to_vec()),
        Just(b"id".to_vec()),
        Just(b"id: a\0b".to_vec()),
        Just(b"retry: 1500".to_vec()),
        Just(b"retry: 15x".to_vec()),
        Just(b": keepalive".to_vec()),
        Just(b"Data: wrong case".to_vec()),
        Just(b"unknown: field".to_vec()),
        Just(b"data: \xF0\x9F\x90\x98 and \xFF\xFE bad".to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(piece(), 0..40).prop_map(|pieces| pieces.concat())
}

fn decode(chunks: &[&[u8]], limit: usize) -> (Vec<Frame>, String) {
    let mut decoder = Decoder::new(limit);
    let mut frames = Vec::new();
    for chunk in chunks {
        decoder.feed_slice(chunk, &mut |f| frames.push(f));
    }
    (frames, decoder.last_event_id().to_owned())
}

/// Splits `input` at the given cut points.
fn split<'a>(input: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    cuts.sort_unstable();
    let mut chunks = Vec::new();
    let mut start = 0;
    for cut in cuts {
        chunks.push(&input[start..cut]);
        start = cut;
    }
    chunks.push(&input[start..]);
    chunks
}

/// The WHATWG processing model read literally: the whole stream decoded as
/// UTF-8 at once, split into lines, each line interpreted in turn.
fn oracle(input: &[u8]) -> (Vec<Frame>, String) {
    let text = String::from_utf8_lossy(input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input));
    let (mut frames, mut data, mut event_type) = (Vec::new(), String::new(), String::new());
    let (mut id_buffer, mut last_event_id) = (String::new(), String::new());
    let mut rest = &*text;
    while let Some(end) = rest.find(['\r', '\n']) {
        let line = &rest[..end];
        rest = &rest[if rest[end..].starts_with("\r\n") { end + 2 } else { end + 1 }..];
        if line.is_empty() {
            last_event_id.clone_from(&id_buffer);
            if !data.is_empty() {
                data.pop();
                let event = if event_type.is_empty() { "message" } else { &event_type };
                let event = Event {
                    event: event.into(),
                    data: data.as_str().into(),
                    last_event_id: last_event_id.as_str().into(),
                };
                frames.push(Frame::Event(event));
            }
            data.clear();
            event_type.clear();
        } else if let Some(text) = line.strip_prefix(':') {
            frames.push(Frame::Comment(text.strip_prefix(' ').unwrap_or(text).to_owned()));
        } else {
            let (name, value) = match line.split_once(':') {
                Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match name {
                "data" => {
                    data.push_str(value);
                    data.push('\n');
                }
                "event" => event_type = value.to_owned(),
                "id" if !value.contains('\0') => id_buffer = value.to_owned(),
                "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                    let ms = value.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                    frames.push(Frame::Retry(Duration::from_millis(ms)));
                }
                _ => {}
            }
        }
    }
    (frames, last_event_id)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn the_decoder_agrees_with_the_spec_read_literally(input in stream()) {
        prop_assert_eq!(decode(&[&input], 1 << 20), oracle(&input));
    }

    #[test]
    fn any_chunking_yields_the_same_frames(input in stream(), cuts in proptest::collection::vec(any::<usize>(), 0..16)) {
        let whole = decode(&[&input], 64);
        prop_assert_eq!(decode(&split(&input, &cuts), 64), whole);
    }

    #[test]
    fn byte_by_byte_yields_the_same_frames(input in stream()) {
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        prop_assert_eq!(decode(&bytes, 64), decode(&[&input], 64));
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(input in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let (frames, _) = decode(&split(&input, &[7, 100, 1000]), 32);
        for frame in frames {
            if let Frame::Event(e) = frame {
                prop_assert!(e.data.len() <= 32 * 3, "the limit bounds every event (U+FFFD is 3 bytes)");
            }
        }
    }
}
