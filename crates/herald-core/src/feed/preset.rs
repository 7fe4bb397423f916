//! Presets: the defaults for each kind of server Herald follows, so that a
//! feed is usually just a name, a URL and a preset.
//!
//! | preset | what it sets |
//! |---|---|
//! | `herald-hub` | records `{id, name, done, version}` with actor and time, snapshot `…/tasks`, "me" from `/me`, writes with `If-Match`, presence |
//! | `task-list` | the same records without ids on the stream: a resync on every reconnection, a long stall timeout, writes |
//! | `ntfy` | messages (title, body, priority, click, tags), `since=` from a message's `/id`; `open`, `keepalive` and `poll_request` are control events; a stall timeout above ntfy's 45 s keepalive |
//! | `nchan` | `Last-Event-ID`, and `:410` comments stop the feed as gone |
//! | `mercure` | `Last-Event-ID` (the header; `lastEventID` for older hubs via `resume_query`) |
//! | `generic` | the raw event type and data |

use std::time::Duration;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::meaning::{FieldVerb, Me, Meaning, MessageMeaning, RecordMeaning};
use super::presence::PresenceApi;
use crate::sse::Resume;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "kebab-case")]
#[ts(export)]
pub enum Preset {
    HeraldHub,
    TaskList,
    Ntfy,
    Nchan,
    Mercure,
    #[default]
    Generic,
}

/// Everything about a feed that the engine needs: a preset's defaults
/// for a feed at a URL ([`Preset::defaults`]), with the feed's own
/// settings over them (`Feed::resolved`).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub resume: Resume,
    pub cursor_pointer: Option<String>,
    pub snapshot_url: Option<String>,
    /// A JSON pointer to a record's key, in events and in the snapshot.
    pub key: String,
    pub stall_timeout: Duration,
    pub sequential_ids: bool,
    pub meaning: Meaning,
    pub me: Option<Me>,
    pub write_url: Option<String>,
    /// A comment by which the server says the feed is gone (Nchan).
    pub gone_comment: Option<String>,
    /// The stream carries no ids of its own, whatever it sends first: every
    /// reconnection needs a resync (a REST task list).
    pub no_ids: bool,
    /// Where the server says who else is here, if it does (Herald's hub).
    pub presence: Option<PresenceApi>,
    /// A create may be sent again with its `Idempotency-Key` (Herald's hub).
    pub idempotent_creates: bool,
    /// Event types that are signs of life, not news.
    pub control_events: Vec<String>,
}

/// The default stall timeout: three of the hub's 15 s keepalives.
const STALL: Duration = Duration::from_secs(45);

/// A task-list server sends no keepalives and its HTTP/2 session outlives
/// 80 s of silence: a quiet list is normal, so the stream is recycled only
/// after 15 minutes. HTTP/2 pings and TCP keepalives find a dead connection
/// long before that.
const QUIET_LIST_STALL: Duration = Duration::from_secs(900);

/// ntfy sends a keepalive every 45 s by default: a stall timeout of the
/// same length races it. Twice that, and a little more for a busy server;
/// a feed whose server is set slower learns it (see `sse::stall_timeout`).
const NTFY_STALL: Duration = Duration::from_secs(100);

/// ntfy's events that are not messages: the stream opened, it is alive,
/// or (for its Android app) a poll is due.
const NTFY_CONTROL: [&str; 3] = ["open", "keepalive", "poll_request"];

impl Preset {
    pub const ALL: [Preset; 6] =
        [Preset::HeraldHub, Preset::TaskList, Preset::Ntfy, Preset::Nchan, Preset::Mercure, Preset::Generic];

    pub fn name(self) -> &'static str {
        match self {
            Preset::HeraldHub => "herald-hub",
            Preset::TaskList => "task-list",
            Preset::Ntfy => "ntfy",
            Preset::Nchan => "nchan",
            Preset::Mercure => "mercure",
            Preset::Generic => "generic",
        }
    }

    /// The defaults for a feed of this kind whose stream is at `url`.
    pub fn defaults(self, url: &str) -> Resolved {
        let plain = Resolved {
            resume: Resume::Header,
            key: "/id".into(),
            sequential_ids: false,
            cursor_pointer: None,
            snapshot_url: None,
            stall_timeout: STALL,
            meaning: Meaning::Raw,
            me: None,
            write_url: None,
            gone_comment: None,
            no_ids: false,
            presence: None,
            idempotent_creates: false,
            control_events: Vec::new(),
        };
        // `…/tasks/subscribe` → the collection `…/tasks`, and the root `…`.
        let collection = url.split(['?', '#']).next().and_then(|u| u.strip_suffix("/subscribe")).map(str::to_owned);
        let root = collection.as_deref().and_then(|c| c.rsplit_once('/')).map(|(root, _)| root.to_owned());
        match self {
            Preset::HeraldHub => Resolved {
                snapshot_url: collection.clone(),
                meaning: Meaning::Record(RecordMeaning { version: Some("/version".into()), ..tasks() }),
                me: root.as_deref().map(|root| Me::Endpoint {
                    url: format!("{root}{}", herald_wire::ME_PATH),
                    pointer: herald_wire::ME_POINTER.into(),
                }),
                write_url: collection,
                presence: root.map(|root| PresenceApi {
                    event: herald_wire::PRESENCE_EVENT.into(),
                    url: format!("{root}{}", herald_wire::PRESENCE_PATH),
                }),
                idempotent_creates: true,
                ..plain
            },
            Preset::TaskList => Resolved {
                snapshot_url: collection.clone(),
                stall_timeout: QUIET_LIST_STALL,
                meaning: Meaning::Record(tasks()),
                write_url: collection,
                no_ids: true,
                ..plain
            },
            Preset::Ntfy => Resolved {
                resume: Resume::Query("since".into()),
                cursor_pointer: Some("/id".into()),
                stall_timeout: NTFY_STALL,
                meaning: Meaning::Message(MessageMeaning::ntfy()),
                control_events: NTFY_CONTROL.map(String::from).to_vec(),
                ..plain
            },
            Preset::Nchan => Resolved { gone_comment: Some("410".into()), ..plain },
            Preset::Mercure | Preset::Generic => plain,
        }
    }
}

impl std::fmt::Display for Preset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The reference model: `{id, name, done}`, with `actor` and `at` when the
/// server says, and `done` read as completed or reopened.
fn tasks() -> RecordMeaning {
    RecordMeaning {
        title: Some("/name".into()),
        actor: Some("/actor".into()),
        at: Some("/at".into()),
        verbs: vec![FieldVerb { field: "/done".into(), on: "completed".into(), off: "reopened".into() }],
        ..RecordMeaning::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hub_preset_finds_its_snapshot_me_and_writes_from_the_stream_url() {
        let d = Preset::HeraldHub.defaults("http://127.0.0.1:7878/tasks/subscribe");
        assert_eq!(d.snapshot_url.as_deref(), Some("http://127.0.0.1:7878/tasks"));
        assert_eq!(d.write_url.as_deref(), Some("http://127.0.0.1:7878/tasks"));
        assert_eq!(d.me, Some(Me::Endpoint { url: "http://127.0.0.1:7878/me".into(), pointer: "/actor".into() }));
        assert!(!d.no_ids);
        let presence = d.presence.unwrap();
        assert_eq!((&*presence.event, &*presence.url), ("presence", "http://127.0.0.1:7878/presence"));
        let Meaning::Record(record) = d.meaning else { panic!("the hub's feed carries records") };
        assert_eq!(record.version.as_deref(), Some("/version"));
        let list = Preset::TaskList.defaults("http://127.0.0.1:7878/tasks/subscribe");
        assert!(list.presence.is_none(), "a plain task list says nothing of who is here");
        let Meaning::Record(record) = list.meaning else { panic!() };
        assert_eq!(record.version, None, "a plain task list has no versions: writes re-read first");
    }

    #[test]
    fn each_preset_sets_what_its_server_needs() {
        let ntfy = Preset::Ntfy.defaults("https://ntfy.example/alerts/sse");
        assert_eq!((ntfy.resume, ntfy.cursor_pointer.as_deref()), (Resume::Query("since".into()), Some("/id")));
        assert!(matches!(ntfy.meaning, Meaning::Message(_)));
        assert_eq!(ntfy.control_events, ["open", "keepalive", "poll_request"]);
        assert!(ntfy.stall_timeout > Duration::from_secs(2 * 45), "above twice ntfy's keepalive");
        assert!(Preset::Generic.defaults("http://h/e").control_events.is_empty(), "every event counts");
        let list = Preset::TaskList.defaults("https://10.0.0.1:8443/tasks/subscribe");
        assert!(list.no_ids && list.stall_timeout > Duration::from_secs(80));
        assert_eq!(Preset::Nchan.defaults("http://h/sub/x").gone_comment.as_deref(), Some("410"));
        assert_eq!(Preset::Generic.defaults("http://h/e").meaning, Meaning::Raw);
        let names: Vec<String> =
            Preset::ALL.iter().map(|p| serde_json::to_value(p).unwrap().as_str().unwrap().to_owned()).collect();
        assert_eq!(names, Preset::ALL.map(|p| p.name().to_owned()));
    }
}
