//! Incremental Server-Sent Events decoder, after the WHATWG HTML processing model.
//!
//! It takes bytes in whatever chunks the network delivers and emits
//! [`Frame`]s; it does no I/O, so it is tested exhaustively on its own and the
//! connection code never deals with framing.
//!
//! *Incomplete* input (a line or block not yet terminated) is simply kept for
//! the next chunk. *Invalid* input never stops decoding: bad UTF-8 becomes
//! U+FFFD, unknown fields are ignored, and a line or event over the size
//! limit is reported once as [`Frame::Oversized`] and skipped, so the events
//! after it still arrive and memory stays bounded.
//!
//! One deliberate difference from the letter of the spec, matching browsers:
//! a new stream (after a reconnect) starts with the last event ID buffer set
//! to the last event ID, not to the empty string, so an event without an
//! `id:` after a reconnect does not erase the cursor.

use std::time::Duration;

/// The default limit on a single line or event: 16 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A dispatched event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` type, `message` when none was given.
    pub event: String,
    pub data: String,
    /// The last event ID in force after this event (empty when none).
    pub last_event_id: String,
}

/// What the decoder reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Event(Event),
    /// A `retry:` field: the new reconnection delay.
    Retry(Duration),
    /// A comment line: no content, but proof that the server is alive.
    Comment,
    /// A line or event exceeded the limit and was skipped.
    Oversized {
        limit: usize,
    },
}

#[derive(Debug)]
pub struct Decoder {
    max: usize,
    /// The unterminated tail of the current line.
    line: Vec<u8>,
    /// The current line went over the limit: drop bytes until its end.
    skipping_line: bool,
    /// The previous chunk ended in CR, so a leading LF ends nothing.
    after_cr: bool,
    /// Bytes that may still be a BOM, while the stream's start is undecided.
    bom: Option<Vec<u8>>,
    data: String,
    event_type: String,
    /// The current block went over the limit and will not be dispatched.
    oversized: bool,
    id_buffer: String,
    last_event_id: String,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl Decoder {
    /// A decoder that skips any line or event larger than `max_event_bytes`.
    pub fn new(max_event_bytes: usize) -> Self {
        Decoder {
            max: max_event_bytes.max(1),
            line: Vec::new(),
            skipping_line: false,
            after_cr: false,
            bom: Some(Vec::new()),
            data: String::new(),
            event_type: String::new(),
            oversized: false,
            id_buffer: String::new(),
            last_event_id: String::new(),
        }
    }

    /// Starts decoding from a known last event ID (e.g. a stored cursor).
    pub fn with_last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self.id_buffer = self.last_event_id.clone();
        self
    }

    /// The last event ID, as sent in `Last-Event-ID` on reconnect.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Ends the current stream: an unterminated block is discarded, and the
    /// next bytes are the start of a new stream (which may have its own BOM).
    pub fn end_of_stream(&mut self) {
        self.line.clear();
        self.skipping_line = false;
        self.after_cr = false;
        self.bom = Some(Vec::new());
        self.reset_block();
        self.id_buffer.clone_from(&self.last_event_id);
    }

    /// Decodes a chunk, calling `out` for each frame it completes.
    pub fn feed(&mut self, mut input: &[u8], out: &mut impl FnMut(Frame)) {
        if let Some(seen) = self.bom.as_mut() {
            let take = (BOM.len() - seen.len()).min(input.len());
            seen.extend_from_slice(&input[..take]);
            input = &input[take..];
            if seen.as_slice() == &BOM[..seen.len()] {
                if seen.len() < BOM.len() {
                    return; // still undecided; wait for more bytes
                }
                self.bom = None;
            } else {
                let not_a_bom = self.bom.take().unwrap_or_default();
                self.feed_lines(&not_a_bom, out);
            }
        }
        self.feed_lines(input, out);
    }

    fn feed_lines(&mut self, mut input: &[u8], out: &mut impl FnMut(Frame)) {
        if self.after_cr && !input.is_empty() {
            self.after_cr = false;
            if input[0] == b'\n' {
                input = &input[1..];
            }
        }
        while let Some(pos) = memchr::memchr2(b'\n', b'\r', input) {
            if self.skipping_line {
                self.skipping_line = false;
            } else if self.line.is_empty() {
                if self.line_fits(pos, out) {
                    self.process_line(&input[..pos], out);
                }
            } else if self.line_fits(self.line.len() + pos, out) {
                let mut line = std::mem::take(&mut self.line);
                line.extend_from_slice(&input[..pos]);
                self.process_line(&line, out);
                line.clear();
                self.line = line; // keep the allocation
            }
            self.line.clear();
            let mut end = pos + 1;
            if input[pos] == b'\r' {
                match input.get(end) {
                    Some(b'\n') => end += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
            input = &input[end..];
        }
        if !self.skipping_line && !input.is_empty() {
            if self.line_fits(self.line.len() + input.len(), out) {
                self.line.extend_from_slice(input);
            } else {
                self.line.clear();
                self.skipping_line = true;
            }
        }
    }

    /// Whether a line of `len` bytes is within the limit; if not, the block is spoiled.
    fn line_fits(&mut self, len: usize, out: &mut impl FnMut(Frame)) -> bool {
        if len <= self.max {
            return true;
        }
        self.spoil_block(out);
        false
    }

    fn spoil_block(&mut self, out: &mut impl FnMut(Frame)) {
        if !self.oversized {
            self.oversized = true;
            self.data = String::new();
            out(Frame::Oversized { limit: self.max });
        }
    }

    fn process_line(&mut self, line: &[u8], out: &mut impl FnMut(Frame)) {
        if line.is_empty() {
            return self.dispatch(out);
        }
        if line[0] == b':' {
            return out(Frame::Comment);
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        match name {
            b"data" => {
                if self.oversized {
                    return;
                }
                if self.data.len() + value.len() + 1 > self.max {
                    return self.spoil_block(out);
                }
                self.data.push_str(&String::from_utf8_lossy(value));
                self.data.push('\n');
            }
            b"event" => self.event_type = String::from_utf8_lossy(value).into_owned(),
            // An id containing NUL is ignored, per the spec.
            b"id" if !value.contains(&0) => self.id_buffer = String::from_utf8_lossy(value).into_owned(),
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                let ms = value.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                out(Frame::Retry(Duration::from_millis(ms)));
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut impl FnMut(Frame)) {
        if self.last_event_id != self.id_buffer {
            self.last_event_id.clone_from(&self.id_buffer);
        }
        if self.oversized || self.data.is_empty() {
            return self.reset_block();
        }
        self.data.pop(); // the final LF
        let event =
            if self.event_type.is_empty() { "message".to_owned() } else { std::mem::take(&mut self.event_type) };
        let data = std::mem::take(&mut self.data);
        self.reset_block();
        out(Frame::Event(Event { event, data, last_event_id: self.last_event_id.clone() }));
    }

    fn reset_block(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.oversized = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_chunks(chunks: &[&[u8]]) -> Vec<Frame> {
        let mut decoder = Decoder::new(64);
        let mut frames = Vec::new();
        for chunk in chunks {
            decoder.feed(chunk, &mut |f| frames.push(f));
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
            (": hi\n\n", vec![Frame::Comment]),
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
            d.feed(&[b'z'; 1000], &mut |f| frames.push(f));
        }
        assert!(d.line.capacity() <= 1024, "memory stays bounded");
        // The huge line spoils its own block only; the next block arrives.
        d.feed(b"\ndata: lost with its block\n\ndata: after\n\n", &mut |f| frames.push(f));
        assert_eq!(frames, want);
    }

    #[test]
    fn the_last_event_id_survives_a_new_stream_and_a_cut_off_block_is_dropped() {
        let mut d = Decoder::new(64);
        let mut frames = Vec::new();
        d.feed(b"id: 5\ndata: a\n\nid: 6\ndata: cut", &mut |f| frames.push(f));
        d.end_of_stream();
        assert_eq!(d.last_event_id(), "5");
        d.feed(b"data: b\n\n", &mut |f| frames.push(f));
        assert_eq!(frames, vec![ev("message", "a", "5"), ev("message", "b", "5")]);
    }
}
