//! Feeds arbitrary bytes to the SSE decoder, split into chunks at points the
//! input chooses, and checks that it neither panics nor disagrees with
//! decoding the same bytes in one piece.

#![no_main]

use herald_core::sse::Decoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    // The first byte picks the chunk size, so the fuzzer explores splits too.
    let Some((&size, stream)) = input.split_first() else { return };
    let size = usize::from(size).max(1);
    let limit = 256;

    let mut whole = Vec::new();
    let mut decoder = Decoder::new(limit);
    decoder.feed_slice(stream, &mut |f| whole.push(f));

    let mut chunked = Vec::new();
    let mut decoder = Decoder::new(limit);
    for chunk in stream.chunks(size) {
        decoder.feed_slice(chunk, &mut |f| chunked.push(f));
    }
    assert_eq!(whole, chunked);
});
