//! Finds and closes the app's window on the X server, as a window manager
//! would: by sending `WM_DELETE_WINDOW`, not by destroying it; and reads
//! back what is drawn on screen, for a picture of what a desktop shows.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConfigureWindowAux, ConnectionExt, EventMask, ImageFormat, MapState, Window,
    CLIENT_MESSAGE_EVENT,
};
use x11rb::rust_connection::RustConnection;

/// A picture of part of the screen.
pub struct Captured {
    pub width: u32,
    pub height: u32,
    /// Rows of red, green and blue bytes.
    pub rgb: Vec<u8>,
}

impl Captured {
    /// How many of its pixels `like` says yes to, given red, green, blue.
    pub fn count(&self, like: impl Fn(u8, u8, u8) -> bool) -> usize {
        self.rgb.chunks_exact(3).filter(|p| like(p[0], p[1], p[2])).count()
    }

    /// Writes it as a PNG file.
    pub fn save_png(&self, path: &std::path::Path) -> anyhow::Result<()> {
        let file = std::io::BufWriter::new(std::fs::File::create(path)?);
        let mut encoder = png::Encoder::new(file, self.width, self.height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.write_header()?.write_image_data(&self.rgb)?;
        Ok(())
    }
}

pub struct Display {
    conn: RustConnection,
    root: Window,
    atoms: Atoms,
}

/// The atoms this module uses, interned once: each lookup is a round trip.
struct Atoms {
    utf8_string: u32,
    net_wm_name: u32,
    net_wm_pid: u32,
    wm_protocols: u32,
    wm_delete_window: u32,
}

impl Display {
    /// Connects to `$DISPLAY`.
    pub fn open() -> anyhow::Result<Display> {
        let (conn, screen) = x11rb::connect(None)?;
        let root = conn.setup().roots[screen].root;
        let atom = |name: &str| -> anyhow::Result<u32> { Ok(conn.intern_atom(false, name.as_bytes())?.reply()?.atom) };
        let atoms = Atoms {
            utf8_string: atom("UTF8_STRING")?,
            net_wm_name: atom("_NET_WM_NAME")?,
            net_wm_pid: atom("_NET_WM_PID")?,
            wm_protocols: atom("WM_PROTOCOLS")?,
            wm_delete_window: atom("WM_DELETE_WINDOW")?,
        };
        Ok(Display { conn, root, atoms })
    }

    fn title(&self, window: Window) -> anyhow::Result<String> {
        let reply =
            self.conn.get_property(false, window, self.atoms.net_wm_name, self.atoms.utf8_string, 0, 1024)?.reply()?;
        if !reply.value.is_empty() {
            return Ok(String::from_utf8_lossy(&reply.value).into_owned());
        }
        let reply = self.conn.get_property(false, window, AtomEnum::WM_NAME, AtomEnum::STRING, 0, 1024)?.reply()?;
        Ok(String::from_utf8_lossy(&reply.value).into_owned())
    }

    /// Top-level windows with this title that are on screen.
    pub fn shown_windows(&self, title: &str) -> anyhow::Result<Vec<Window>> {
        let mut found = Vec::new();
        for window in self.conn.query_tree(self.root)?.reply()?.children {
            let viewable = self.conn.get_window_attributes(window)?.reply()?.map_state == MapState::VIEWABLE;
            if viewable && self.title(window)? == title {
                found.push(window);
            }
        }
        Ok(found)
    }

    /// The top-level windows on screen that process `pid` owns, by
    /// `_NET_WM_PID`: a notification daemon's popups, say.
    pub fn windows_of(&self, pid: u32) -> anyhow::Result<Vec<Window>> {
        let mut found = Vec::new();
        for window in self.conn.query_tree(self.root)?.reply()?.children {
            let viewable = self.conn.get_window_attributes(window)?.reply()?.map_state == MapState::VIEWABLE;
            if viewable && self.pid(window)? == Some(pid) {
                found.push(window);
            }
        }
        Ok(found)
    }

    /// What the screen shows where `window` is, as 8-bit RGB rows, with
    /// its width and height. Read from the root window, so it is what the
    /// user sees there (no compositor runs under Xvfb).
    pub fn capture(&self, window: Window) -> anyhow::Result<Captured> {
        let (x, y, width, height) = self.geometry(window)?;
        let image = self.conn.get_image(ImageFormat::Z_PIXMAP, self.root, x, y, width, height, !0)?.reply()?;
        let depth = self.conn.setup().roots.iter().find(|r| r.root == self.root).map_or(24, |r| r.root_depth);
        anyhow::ensure!(
            depth == 24 && image.data.len() == usize::from(width) * usize::from(height) * 4,
            "not a 24-bit screen"
        );
        // Z-pixmap, 32 bits a pixel, little-endian: blue, green, red, unused.
        let rgb = image.data.chunks_exact(4).flat_map(|p| [p[2], p[1], p[0]]).collect();
        Ok(Captured { width: u32::from(width), height: u32::from(height), rgb })
    }

    /// The process that owns `window` (`_NET_WM_PID`).
    pub fn pid(&self, window: Window) -> anyhow::Result<Option<u32>> {
        let reply = self.conn.get_property(false, window, self.atoms.net_wm_pid, AtomEnum::CARDINAL, 0, 1)?.reply()?;
        Ok(reply.value32().and_then(|mut v| v.next()))
    }

    /// Where `window` is and how big: `(x, y, width, height)`.
    pub fn geometry(&self, window: Window) -> anyhow::Result<(i16, i16, u16, u16)> {
        let g = self.conn.get_geometry(window)?.reply()?;
        Ok((g.x, g.y, g.width, g.height))
    }

    /// Moves and resizes `window`, as a user dragging it would have it.
    pub fn place(&self, window: Window, (x, y, width, height): (i16, i16, u16, u16)) -> anyhow::Result<()> {
        let aux =
            ConfigureWindowAux::new().x(i32::from(x)).y(i32::from(y)).width(u32::from(width)).height(u32::from(height));
        self.conn.configure_window(window, &aux)?;
        self.conn.flush()?;
        Ok(())
    }

    /// Asks the window to close, as clicking its close button does.
    pub fn close(&self, window: Window) -> anyhow::Result<()> {
        let event = ClientMessageEvent {
            response_type: CLIENT_MESSAGE_EVENT,
            format: 32,
            sequence: 0,
            window,
            type_: self.atoms.wm_protocols,
            data: [self.atoms.wm_delete_window, x11rb::CURRENT_TIME, 0, 0, 0].into(),
        };
        self.conn.send_event(false, window, EventMask::NO_EVENT, event)?;
        self.conn.flush()?;
        Ok(())
    }
}
