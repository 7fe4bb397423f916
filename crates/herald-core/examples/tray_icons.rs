//! Draws the tray's icon in each of its states, as the tray draws it, into
//! `docs/tray/`, for the README.
//!
//! ```sh
//! cargo run -p herald-core --example tray_icons
//! ```
//!
//! There is one source image (`icons/64x64.png`); each state is a dot drawn
//! on it by `herald_core::attention::tray::draw`, and the unread badge too.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use herald_core::attention::tray::{draw, TrayState};

const STATES: [(TrayState, &str, u64); 7] = [
    (TrayState::Live, "live", 0),
    (TrayState::Live, "live-unread", 5),
    (TrayState::Retrying, "retrying", 0),
    (TrayState::Offline, "offline", 0),
    (TrayState::NeedsAttention, "needs-attention", 0),
    (TrayState::Paused, "paused", 0),
    (TrayState::DoNotDisturb, "do-not-disturb", 0),
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let decoder = png::Decoder::new(std::io::BufReader::new(File::open(root.join("icons/64x64.png"))?));
    let mut reader = decoder.read_info()?;
    let mut source = vec![0; reader.output_buffer_size().ok_or("the source icon is too large")?];
    let info = reader.next_frame(&mut source)?;
    if info.color_type != png::ColorType::Rgba || info.bit_depth != png::BitDepth::Eight {
        return Err(
            format!("the source icon must be 8-bit RGBA, not {:?} {:?}", info.color_type, info.bit_depth).into()
        );
    }
    source.truncate(info.buffer_size());
    let out = root.join("docs/tray");
    std::fs::create_dir_all(&out)?;
    for (state, name, unread) in STATES {
        let mut rgba = source.clone();
        draw(&mut rgba, info.width, info.height, state, unread);
        let path = out.join(format!("{name}.png"));
        let mut encoder = png::Encoder::new(BufWriter::new(File::create(&path)?), info.width, info.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&rgba)?;
        println!("{}", path.display());
    }
    Ok(())
}
