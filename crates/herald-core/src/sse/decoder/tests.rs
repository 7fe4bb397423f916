use super::*;

fn decode_chunks(chunks: &[&[u8]]) -> Vec<Frame> {
    let mut decoder = Decoder::new(64);
    let mut frames = Vec::new();
    for chunk in chunks {
        decoder.feed_slice(chunk, &mut |f| frames.push(f));
    }
    frames
}

fn decode(input: &str) -> Vec<Frame> {
    decode_chunks(&[input.as_bytes()])
}

fn ev(event: &str, data: &str, id: &str) -> Frame {
    Frame::Event(Event { event: event.into(), data: data.into(), last_event_id: id.into() })
}

#[test]
fn the_spec_cases() {
    let cases: &[(&str, Vec<Frame>)] = &[
        ("data: a\n\n", vec![ev("message", "a", "")]),
        ("data: a\ndata: b\n\n", vec![ev("message", "a\nb", "")]),
        ("data:a\n\n", vec![ev("message", "a", "")]),
        ("data:  a\n\n", vec![ev("message", " a", "")]),
        ("data\n\n", vec![ev("message", "", "")]),
        ("data:\n\n", vec![ev("message", "", "")]),
        ("data\ndata\n\n", vec![ev("message", "\n", "")]),
        ("event: x\n\n", vec![]),
        ("event: x\n\ndata: a\n\n", vec![ev("message", "a", "")]),
        ("event: update\ndata: a\nid: 7\n\n", vec![ev("update", "a", "7")]),
        ("id: 7\n\ndata: a\n\n", vec![ev("message", "a", "7")]),
        ("id: 7\n\nid\ndata: a\n\n", vec![ev("message", "a", "")]),
        ("id: 7\n\nid: a\0b\ndata: a\n\n", vec![ev("message", "a", "7")]),
        ("Data: a\n\n", vec![]),
        ("foo: a\ndata: b\n\n", vec![ev("message", "b", "")]),
        (": hi\n\n", vec![Frame::Comment("hi".into())]),
        (":410: 410 Gone\n", vec![Frame::Comment("410: 410 Gone".into())]),
        ("retry: 1500\n", vec![Frame::Retry(Duration::from_millis(1500))]),
        ("retry: 15x\nretry: \nretry:-1\n", vec![]),
        ("data: a\r\rdata: b\r\n\r\n", vec![ev("message", "a", ""), ev("message", "b", "")]),
        ("\u{feff}data: a\n\n", vec![ev("message", "a", "")]),
        ("\u{feff}\u{feff}data: a\n\n", vec![]),
        ("data: a\n\ndata: cut off", vec![ev("message", "a", "")]),
    ];
    for (input, want) in cases {
        assert_eq!(&decode(input), want, "input {input:?}");
    }
}

#[test]
fn a_crlf_split_across_chunks_is_one_line_end() {
    assert_eq!(decode_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]), vec![ev("message", "a\nb", "")]);
}

#[test]
fn a_bom_split_across_chunks_is_stripped() {
    assert_eq!(decode_chunks(&[b"\xEF", b"\xBB", b"\xBFdata: a\n\n"]), vec![ev("message", "a", "")]);
    assert_eq!(decode_chunks(&[b"\xEF", b"data: a\n\n"]).len(), 0, "a broken BOM is part of the first field name");
}

#[test]
fn invalid_utf8_becomes_replacement_characters() {
    assert_eq!(decode_chunks(&[b"data: a\xFFb\n\n"]), vec![ev("message", "a\u{FFFD}b", "")]);
}

#[test]
fn oversized_lines_and_events_are_skipped_but_later_events_arrive() {
    let long = "x".repeat(100);
    let want = vec![Frame::Oversized { limit: 64 }, ev("message", "after", "")];
    assert_eq!(decode(&format!("data: {long}\n\ndata: after\n\n")), want);
    // Over the limit only when the lines are joined.
    let half = "y".repeat(40);
    assert_eq!(decode(&format!("data: {half}\ndata: {half}\n\ndata: after\n\n")), want);
    // A huge unterminated line arriving in pieces is not buffered.
    let mut d = Decoder::new(64);
    let mut frames = Vec::new();
    for _ in 0..1000 {
        d.feed_slice(&[b'z'; 1000], &mut |f| frames.push(f));
    }
    assert!(d.partial.capacity() <= 1024, "memory stays bounded");
    // The huge line spoils its own block only; the next block arrives.
    d.feed_slice(b"\ndata: lost with its block\n\ndata: after\n\n", &mut |f| frames.push(f));
    assert_eq!(frames, want);
}

#[test]
fn the_last_event_id_survives_a_new_stream_and_a_cut_off_block_is_dropped() {
    let mut d = Decoder::new(64);
    let mut frames = Vec::new();
    d.feed_slice(b"id: 5\ndata: a\n\nid: 6\ndata: cut", &mut |f| frames.push(f));
    d.end_of_stream();
    assert_eq!(d.last_event_id(), "5");
    d.feed_slice(b"data: b\n\n", &mut |f| frames.push(f));
    assert_eq!(frames, vec![ev("message", "a", "5"), ev("message", "b", "5")]);
}
