//! The framing: one JSON value per line, apart from any connection.
//!
//! A line longer than [`MAX_LINE`] is refused before it is all read, so a
//! peer cannot make Herald hold an unbounded line; a line that is not the
//! expected JSON is an error for that line alone.

use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};

/// The longest line taken: a timeline page or a feeds list fits many times.
pub const MAX_LINE: usize = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("the connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("a line of more than {MAX_LINE} bytes")]
    TooLong,
    #[error("a line that does not read: {0}")]
    Json(#[from] serde_json::Error),
}

/// Reads until `line` holds a whole line (its newline taken off): `true`
/// then, `false` at the end of the stream. The caller clears `line` after
/// using it. Cancel-safe: what was read stays in `line`, so it can race
/// in a `select!`. At most [`MAX_LINE`] bytes are taken.
pub async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, line: &mut Vec<u8>) -> Result<bool, FrameError> {
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(false);
        }
        let (taken, done) = match memchr::memchr(b'\n', available) {
            Some(end) => (end + 1, true),
            None => (available.len(), false),
        };
        if line.len() + taken > MAX_LINE + 1 {
            return Err(FrameError::TooLong);
        }
        line.extend_from_slice(&available[..taken]);
        reader.consume(taken);
        if done {
            line.pop();
            return Ok(true);
        }
    }
}

/// Parses one line.
pub fn parse<T: DeserializeOwned>(line: &[u8]) -> Result<T, FrameError> {
    Ok(serde_json::from_slice(line)?)
}

/// Writes `value` as one line, and flushes it.
pub async fn write<W: AsyncWrite + Unpin, T: Serialize>(writer: &mut W, value: &T) -> Result<(), FrameError> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    writer.write_all(&line).await?;
    writer.flush().await?;
    Ok(())
}
