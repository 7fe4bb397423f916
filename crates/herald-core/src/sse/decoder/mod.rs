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
//! Why the strings are [`ByteString`]s: an event's data, type and id are
//! shared slices of the chunk they arrived in whenever they sit inside one
//! chunk on one line, so the common event costs no allocation and no copy.
//! Each chunk is checked for UTF-8 once, up to its last complete line, and
//! every line inside that checked text is sliced from it. Only a line that
//! spans chunks, data of several lines, or invalid UTF-8 is copied.
//!
//! One deliberate difference from the letter of the spec, matching browsers:
//! a new stream (after a reconnect) starts with the last event ID buffer set
//! to the last event ID, not to the empty string, so an event without an
//! `id:` after a reconnect does not erase the cursor.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

pub use bytestring::ByteString;
use text::{ChunkText, Line};

mod text;

/// The default limit on a single line or event: 16 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Joined data is allocated this much at a time.
const JOINED_BLOCK: usize = 64 * 1024;

/// The event type when a block names none.
const MESSAGE: ByteString = ByteString::from_static("message");

/// A dispatched event. Its strings may share the memory of the chunk they
/// came in, so cloning one is cheap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// The `event:` type, `message` when none was given.
    pub event: ByteString,
    pub data: ByteString,
    /// The last event ID in force after this event (empty when none).
    pub last_event_id: ByteString,
}

/// Events travel to sinks as `{"event", "data", "lastEventId"}`.
impl serde::Serialize for Event {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut event = serializer.serialize_struct("Event", 3)?;
        event.serialize_field("event", &*self.event)?;
        event.serialize_field("data", &*self.data)?;
        event.serialize_field("lastEventId", &*self.last_event_id)?;
        event.end()
    }
}

/// And come back from a socket the same way.
impl<'de> serde::Deserialize<'de> for Event {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Wire {
            event: String,
            data: String,
            #[serde(default)]
            last_event_id: String,
        }
        let wire = Wire::deserialize(deserializer)?;
        Ok(Event { event: wire.event.into(), data: wire.data.into(), last_event_id: wire.last_event_id.into() })
    }
}

/// What the decoder reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Event(Event),
    /// A `retry:` field: the new reconnection delay.
    Retry(Duration),
    /// A comment line: proof that the server is alive. Its text (after the
    /// colon and one space) matters to a few servers: Nchan says a channel
    /// was deleted with `:410: 410 Gone`.
    Comment(String),
    /// A line or event exceeded the limit and was skipped.
    Oversized {
        limit: usize,
    },
}

/// The data lines of the block so far.
#[derive(Debug, Default)]
enum Data {
    #[default]
    None,
    /// One line: kept as the shared slice it arrived as.
    One(ByteString),
    /// Several lines, joined with LF at the end of the decoder's `joined` buffer.
    Joined,
}

#[derive(Debug)]
pub struct Decoder {
    max: usize,
    /// The unterminated start of a line that continues in the next chunk.
    partial: Vec<u8>,
    /// The current line went over the limit: drop bytes until its end.
    skipping_line: bool,
    /// The previous chunk ended in CR, so a leading LF ends nothing.
    after_cr: bool,
    /// Bytes that may still be a BOM, while the stream's start is undecided.
    bom: Option<Vec<u8>>,
    data: Data,
    /// The block's data bytes so far, counting a LF after each line.
    data_len: usize,
    /// Where data of several lines is joined: one allocation shared by many
    /// events' data, each split off as its event is dispatched, so that a burst
    /// of such events costs a few allocations rather than one each.
    joined: BytesMut,
    event_type: Option<ByteString>,
    /// The current block went over the limit and will not be dispatched.
    oversized: bool,
    /// The spec's last event ID buffer, when it differs from `last_event_id`:
    /// set by an `id:` line, it becomes the last event ID at dispatch. (They
    /// are equal after every dispatch, so one copy is kept, not two.)
    pending_id: Option<ByteString>,
    last_event_id: ByteString,
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
            partial: Vec::new(),
            skipping_line: false,
            after_cr: false,
            bom: Some(Vec::new()),
            data: Data::None,
            data_len: 0,
            joined: BytesMut::new(),
            event_type: None,
            oversized: false,
            pending_id: None,
            last_event_id: ByteString::new(),
        }
    }

    /// Starts decoding from a known last event ID (e.g. a stored cursor).
    pub fn with_last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = ByteString::from(id.into());
        self
    }

    /// Sets the last event ID from elsewhere (a cursor found in the data).
    pub fn set_last_event_id(&mut self, id: ByteString) {
        self.last_event_id = id;
        self.pending_id = None;
    }

    /// The last event ID, as sent in `Last-Event-ID` on reconnect.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The last event ID, shared rather than copied.
    pub fn cursor(&self) -> ByteString {
        self.last_event_id.clone()
    }

    /// Ends the current stream: an unterminated block is discarded, and the
    /// next bytes are the start of a new stream (which may have its own BOM).
    pub fn end_of_stream(&mut self) {
        self.partial = Vec::new();
        self.skipping_line = false;
        self.after_cr = false;
        self.bom = Some(Vec::new());
        self.reset_block();
        // A copy, so that a waiting subscription holds no chunk alive.
        self.last_event_id = ByteString::from(&*self.last_event_id);
        self.pending_id = None;
    }

    /// Decodes a chunk, calling `out` for each frame it completes.
    pub fn feed(&mut self, chunk: &Bytes, out: &mut impl FnMut(Frame)) {
        let Some(seen) = self.bom.as_mut() else {
            return self.feed_lines(chunk, out);
        };
        let take = (BOM.len() - seen.len()).min(chunk.len());
        seen.extend_from_slice(&chunk[..take]);
        if seen.as_slice() == &BOM[..seen.len()] {
            if seen.len() < BOM.len() {
                return; // still undecided, and the chunk is used up
            }
            self.bom = None;
        } else {
            let not_a_bom = Bytes::from(self.bom.take().unwrap_or_default());
            self.feed_lines(&not_a_bom, out);
        }
        self.feed_lines(&chunk.slice(take..), out);
    }

    /// [`feed`](Self::feed) for borrowed bytes, which are copied once.
    pub fn feed_slice(&mut self, chunk: &[u8], out: &mut impl FnMut(Frame)) {
        self.feed(&Bytes::copy_from_slice(chunk), out);
    }

    fn feed_lines(&mut self, chunk: &Bytes, out: &mut impl FnMut(Frame)) {
        let bytes: &[u8] = chunk;
        let mut at = 0;
        if self.after_cr && !bytes.is_empty() {
            self.after_cr = false;
            if bytes[0] == b'\n' {
                at = 1;
            }
        }
        let mut text = ChunkText::new(chunk);
        while let Some(found) = memchr::memchr2(b'\n', b'\r', &bytes[at..]) {
            let end = at + found;
            if self.skipping_line {
                self.skipping_line = false;
            } else if self.partial.is_empty() {
                if self.line_fits(end - at, out) {
                    self.process_line(Line::InChunk { text: &mut text, start: at, end }, out);
                }
            } else if self.line_fits(self.partial.len() + end - at, out) {
                let mut line = std::mem::take(&mut self.partial);
                line.extend_from_slice(&bytes[at..end]);
                self.process_line(Line::Joined(line), out);
            }
            self.partial.clear();
            at = end + 1;
            if bytes[end] == b'\r' {
                match bytes.get(at) {
                    Some(b'\n') => at += 1,
                    Some(_) => {}
                    None => self.after_cr = true,
                }
            }
        }
        let rest = &bytes[at..];
        if !self.skipping_line && !rest.is_empty() {
            if self.line_fits(self.partial.len() + rest.len(), out) {
                self.partial.extend_from_slice(rest);
            } else {
                self.partial = Vec::new();
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
            self.data = Data::None;
            self.joined.clear();
            self.data_len = 0;
            out(Frame::Oversized { limit: self.max });
        }
    }

    fn process_line(&mut self, line: Line<'_, '_>, out: &mut impl FnMut(Frame)) {
        let bytes = line.bytes();
        if bytes.is_empty() {
            return self.dispatch(out);
        }
        if bytes[0] == b':' {
            let text = bytes[1..].strip_prefix(b" ").unwrap_or(&bytes[1..]);
            return out(Frame::Comment(String::from_utf8_lossy(text).into_owned()));
        }
        let (name, value_at) = match memchr::memchr(b':', bytes) {
            Some(colon) if bytes.get(colon + 1) == Some(&b' ') => (&bytes[..colon], colon + 2),
            Some(colon) => (&bytes[..colon], colon + 1),
            None => (bytes, bytes.len()),
        };
        let value_len = bytes.len() - value_at;
        match name {
            b"data" => {
                if self.oversized {
                    return;
                }
                if self.data_len + value_len + 1 > self.max {
                    return self.spoil_block(out);
                }
                self.data_len += value_len + 1;
                self.push_data(line, value_at);
            }
            b"event" => self.event_type = Some(line.text_from(value_at)),
            // An id containing NUL is ignored, per the spec.
            b"id" if !bytes[value_at..].contains(&0) => {
                self.pending_id = Some(line.text_from(value_at));
            }
            b"retry" => {
                let value = &bytes[value_at..];
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let ms = value.iter().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
                    out(Frame::Retry(Duration::from_millis(ms)));
                }
            }
            _ => {}
        }
    }

    /// Adds a data line: the first is kept as a shared slice, later ones are joined.
    fn push_data(&mut self, line: Line<'_, '_>, value_at: usize) {
        match &mut self.data {
            Data::None => self.data = Data::One(line.text_from(value_at)),
            Data::One(first) => {
                if self.joined.capacity() - self.joined.len() < self.data_len {
                    self.joined.reserve(self.data_len.max(JOINED_BLOCK));
                }
                self.joined.extend_from_slice(first.as_bytes());
                self.joined.extend_from_slice(b"\n");
                line.push_text_from(value_at, &mut self.joined);
                self.data = Data::Joined;
            }
            Data::Joined => {
                self.joined.extend_from_slice(b"\n");
                line.push_text_from(value_at, &mut self.joined);
            }
        }
    }

    fn dispatch(&mut self, out: &mut impl FnMut(Frame)) {
        if let Some(id) = self.pending_id.take() {
            self.last_event_id = id;
        }
        let data = match std::mem::take(&mut self.data) {
            Data::None => None,
            Data::One(data) => Some(data),
            // Only text was appended, so this check cannot fail; it costs a pass over the data.
            Data::Joined => Some(ByteString::try_from(self.joined.split().freeze()).unwrap_or_default()),
        };
        let oversized = self.oversized;
        let event_type = self.event_type.take();
        self.reset_block();
        let Some(data) = data.filter(|_| !oversized) else { return };
        let event = event_type.filter(|t| !t.is_empty()).unwrap_or(MESSAGE);
        out(Frame::Event(Event { event, data, last_event_id: self.last_event_id.clone() }));
    }

    fn reset_block(&mut self) {
        self.data = Data::None;
        self.joined.clear();
        self.data_len = 0;
        self.event_type = None;
        self.oversized = false;
    }
}

#[cfg(test)]
mod tests;
