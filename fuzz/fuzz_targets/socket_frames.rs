//! Feeds arbitrary bytes to the socket's framing, as a peer's stream cut
//! into chunks the input chooses, and reads each whole line as the server
//! reads a request and as a client reads an answer or a push.
//!
//! Properties: nothing panics; a line is never longer than the frame's
//! limit; a request that reads is written back and read again as the same
//! request (so what the server understood is what the client meant).

#![no_main]

use herald_core::ipc::frame::{parse, read_line, write, MAX_LINE};
use herald_core::ipc::{Message, Numbered};
use libfuzzer_sys::fuzz_target;
use tokio::io::BufReader;

fuzz_target!(|input: &[u8]| {
    let Some((&size, stream)) = input.split_first() else { return };
    let capacity = usize::from(size).max(1);
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    runtime.block_on(async {
        let mut reader = BufReader::with_capacity(capacity, stream);
        let mut line = Vec::new();
        while let Ok(true) = read_line(&mut reader, &mut line).await {
            assert!(line.len() <= MAX_LINE);
            if let Ok(request) = parse::<Numbered>(&line) {
                let mut written = Vec::new();
                write(&mut written, &request).await.expect("a request writes");
                let again: Numbered = parse(&written[..written.len() - 1]).expect("a written request reads");
                assert_eq!(again, request);
            }
            let _ = parse::<Message>(&line);
            line.clear();
        }
    });
});
