//! Finds and closes the app's window on the X server, as a window manager
//! would: by sending `WM_DELETE_WINDOW`, not by destroying it.

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    AtomEnum, ClientMessageEvent, ConnectionExt, EventMask, MapState, Window, CLIENT_MESSAGE_EVENT,
};
use x11rb::rust_connection::RustConnection;

pub struct Display {
    conn: RustConnection,
    root: Window,
}

impl Display {
    /// Connects to `$DISPLAY`.
    pub fn open() -> anyhow::Result<Display> {
        let (conn, screen) = x11rb::connect(None)?;
        let root = conn.setup().roots[screen].root;
        Ok(Display { conn, root })
    }

    fn atom(&self, name: &str) -> anyhow::Result<u32> {
        Ok(self.conn.intern_atom(false, name.as_bytes())?.reply()?.atom)
    }

    fn title(&self, window: Window) -> anyhow::Result<String> {
        let utf8 = self.atom("UTF8_STRING")?;
        let net_name = self.atom("_NET_WM_NAME")?;
        let reply = self.conn.get_property(false, window, net_name, utf8, 0, 1024)?.reply()?;
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

    /// The process that owns `window` (`_NET_WM_PID`).
    pub fn pid(&self, window: Window) -> anyhow::Result<Option<u32>> {
        let atom = self.atom("_NET_WM_PID")?;
        let reply = self.conn.get_property(false, window, atom, AtomEnum::CARDINAL, 0, 1)?.reply()?;
        Ok(reply.value32().and_then(|mut v| v.next()))
    }

    /// Asks the window to close, as clicking its close button does.
    pub fn close(&self, window: Window) -> anyhow::Result<()> {
        let protocols = self.atom("WM_PROTOCOLS")?;
        let delete = self.atom("WM_DELETE_WINDOW")?;
        let event = ClientMessageEvent {
            response_type: CLIENT_MESSAGE_EVENT,
            format: 32,
            sequence: 0,
            window,
            type_: protocols,
            data: [delete, x11rb::CURRENT_TIME, 0, 0, 0].into(),
        };
        self.conn.send_event(false, window, EventMask::NO_EVENT, event)?;
        self.conn.flush()?;
        Ok(())
    }
}
