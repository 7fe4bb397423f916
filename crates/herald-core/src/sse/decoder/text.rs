//! The text of lines: where a complete line's bytes are (inside the current
//! chunk, or joined from several), and turning them into shared UTF-8 text
//! with as little checking and copying as possible.

use bytes::{Bytes, BytesMut};
use bytestring::ByteString;

/// A complete line: inside the current chunk, or joined from several.
pub(super) enum Line<'t, 'c> {
    InChunk { text: &'t mut ChunkText<'c>, start: usize, end: usize },
    Joined(Vec<u8>),
}

impl Line<'_, '_> {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Line::InChunk { text, start, end } => &text.chunk[*start..*end],
            Line::Joined(line) => line,
        }
    }

    /// The line's text from byte `from` (just after its field name and colon).
    pub(super) fn text_from(self, from: usize) -> ByteString {
        match self {
            Line::InChunk { text, start, end } => text.get(start + from, end),
            Line::Joined(line) => match String::from_utf8(line) {
                Ok(line) => {
                    let line = ByteString::from(line);
                    line.slice_ref(line.get(from..).unwrap_or_default())
                }
                Err(e) => lossy(e.as_bytes().get(from..).unwrap_or_default()),
            },
        }
    }

    /// Appends the line's text from byte `from`, without making a shared slice of it.
    pub(super) fn push_text_from(self, from: usize, joined: &mut BytesMut) {
        match self {
            Line::InChunk { text, start, end } => match text.checked(start + from, end) {
                Some(value) => joined.extend_from_slice(value.as_bytes()),
                None => joined.extend_from_slice(String::from_utf8_lossy(&text.chunk[start + from..end]).as_bytes()),
            },
            Line::Joined(line) => {
                joined.extend_from_slice(String::from_utf8_lossy(line.get(from..).unwrap_or_default()).as_bytes())
            }
        }
    }
}

/// A chunk, and as much of it as is known to be valid UTF-8.
pub(super) struct ChunkText<'c> {
    chunk: &'c Bytes,
    /// `valid` is the text of `chunk[valid_from..valid_from + valid.len()]`.
    valid_from: usize,
    valid: ByteString,
    /// Where the chunk's last line ending is; nothing past it is ever asked for.
    lines_end: Option<usize>,
}

impl<'c> ChunkText<'c> {
    pub(super) fn new(chunk: &'c Bytes) -> Self {
        ChunkText { chunk, valid_from: 0, valid: ByteString::new(), lines_end: None }
    }

    /// The text of `chunk[start..end]`: a shared slice when it is valid UTF-8.
    fn get(&mut self, start: usize, end: usize) -> ByteString {
        self.check_from(start);
        match self.text(start, end) {
            Some(text) => self.valid.slice_ref(text),
            None => lossy(&self.chunk[start..end]),
        }
    }

    fn checked(&mut self, start: usize, end: usize) -> Option<&str> {
        self.check_from(start);
        self.text(start, end)
    }

    /// Makes sure text from `start` has been checked for UTF-8.
    ///
    /// Checking starts at the first text asked for and runs to the last line
    /// ending in one pass; a check stopped by invalid bytes resumes at the
    /// next line asked for after them, so each byte is checked at most once.
    fn check_from(&mut self, start: usize) {
        if start >= self.valid_from + self.valid.len() {
            let chunk = self.chunk;
            let lines_end = *self.lines_end.get_or_insert_with(|| memchr::memrchr2(b'\n', b'\r', chunk).unwrap_or(0));
            let region = chunk.slice(start..lines_end.max(start));
            self.valid_from = start;
            self.valid = ByteString::try_from(region).unwrap_or_else(|e| {
                ByteString::try_from(chunk.slice(start..start + e.valid_up_to())).unwrap_or_default()
            });
        }
    }

    /// The text of `chunk[start..end]` if it was found valid.
    fn text(&self, start: usize, end: usize) -> Option<&str> {
        let from = start.checked_sub(self.valid_from)?;
        self.valid.get(from..end - self.valid_from)
    }
}

fn lossy(bytes: &[u8]) -> ByteString {
    ByteString::from(String::from_utf8_lossy(bytes).into_owned())
}
