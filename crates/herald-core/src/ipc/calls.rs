//! What a client of the socket may ask the tray process beyond the
//! engine's own calls: its feeds' forms, keeping quiet, starting at login,
//! the window. Each type names its answer ([`Call`](crate::call::Call)).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::Status;
use crate::attention::{DoNotDisturbFor, Quiet, SoundName, Sounds, Target};
use crate::call::answers;
use crate::feed::{ActionResult, ClientKey, Feed, FeedForm};
use crate::media::Refusal;
use crate::probe::ProbeReport;
use crate::store::EntryRef;

/// Push what happens to this client from now on. A window is counted as
/// open while it stays subscribed, and is spared the raw events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscribe {
    #[serde(default)]
    pub window: bool,
}

/// The form of a feed that exists, to edit it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetFeedForm {
    pub name: String,
}

/// The first problem of a form, by its field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidateFeed {
    pub form: FeedForm,
}

/// Tries a feed as the form has it, with a typed secret, and the key of
/// its client certificate, not yet kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProbeFeed {
    pub form: FeedForm,
    pub secret: Option<String>,
    #[serde(default)]
    pub client_key: Option<ClientKey>,
}

/// Trusts the certificate a probe was refused, by its fingerprint; the
/// file to give as the feed's CA certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustCertificate {
    pub fingerprint: String,
}

/// Adds or replaces a feed; a secret given goes to the keyring first. This
/// is how every client adds a feed: the window from its form, `herald-cli`
/// with the whole feed (an import, `feeds add`, `feeds secret`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaveFeed {
    pub feed: FeedInput,
    pub secret: Option<String>,
    /// The key (or passphrase) of the feed's client certificate, for the
    /// keyring; checked against the certificate first.
    #[serde(default)]
    pub client_key: Option<ClientKey>,
}

/// A feed as a client has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FeedInput {
    /// The window's form: what it does not show stays as stored.
    Form(Box<FeedForm>),
    /// The whole feed, as a feeds file has it.
    Feed(Box<Feed>),
}

/// Imports a feeds file: all of it, or nothing. How many feeds it held.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFeeds {
    pub path: PathBuf,
}

/// Exports every feed to a file (secrets only by their entries' names).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFeeds {
    pub path: PathBuf,
}

/// The quiet settings in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetQuiet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetQuiet {
    pub quiet: Quiet,
}

/// Do not disturb for a span from now, or off; the settings it leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetDoNotDisturb {
    pub span: Option<DoNotDisturbFor>,
}

/// The sounds notifications make, per priority and per feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSounds;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetSounds {
    pub sounds: Sounds,
}

/// Shows a test notification at once, making `sound` (to try one before
/// choosing it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShowTestNotification {
    #[serde(default)]
    pub sound: Option<SoundName>,
}

/// Signs the feed in to its identity provider through the system browser
/// (the authorization code with PKCE, and a loopback redirect), then
/// reconnects it. Answers who signed in, once they have (or the sign-in
/// failed, was abandoned, or timed out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignIn {
    pub feed: String,
}

/// Signs the feed out: revokes its sign-in at the provider, forgets it,
/// and reconnects the feed, which then needs a sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignOut {
    pub feed: String,
}

/// Herald's own status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetStatus;

/// The store Herald keeps (`None` for one in memory), so that `herald-cli`
/// knows whether its changes must go through Herald.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetStorePath;

/// Whether Herald starts at login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetAutostart;

/// Starts Herald at login, or stops doing so; answers the new setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAutostart {
    pub on: bool,
}

/// What a notification click asked the window to show, once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeFocus;

/// Opens the window, on a target if one is given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenWindow {
    pub target: Option<Target>,
}

/// Presses button `at` of a message in the timeline: opens its link,
/// copies its value, or sends its http request, `confirmed` when the user
/// has seen it (the window shows it first; see
/// [`SendHttpAction`](crate::engine::SendHttpAction)). What came of it is
/// kept beside the message, and answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PressButton {
    pub entry: EntryRef,
    pub at: usize,
    pub confirmed: bool,
}

/// A picture a message points at (its attachment or icon), from Herald's
/// cache or fetched into it within bounds; or why it is not shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetPicture {
    pub url: String,
    /// The size its sender claims.
    pub size: Option<u64>,
}

/// A picture, or why it is not shown: what happened, never an error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum Picture {
    /// As a `data:` URL, which the window's policy allows for images.
    Shown {
        data_url: String,
    },
    Refused {
        refusal: Refusal,
    },
}

answers! {
    Subscribe => (),
    GetFeedForm => FeedForm,
    ValidateFeed => (),
    ProbeFeed => ProbeReport,
    TrustCertificate => String,
    SaveFeed => (),
    ImportFeeds => usize,
    ExportFeeds => (),
    GetQuiet => Quiet,
    SetQuiet => (),
    SetDoNotDisturb => Quiet,
    GetSounds => Sounds,
    SetSounds => (),
    ShowTestNotification => (),
    GetStatus => Status,
    GetStorePath => Option<PathBuf>,
    GetAutostart => bool,
    SetAutostart => bool,
    TakeFocus => Option<Target>,
    OpenWindow => (),
    PressButton => ActionResult,
    GetPicture => Picture,
    SignIn => String,
    SignOut => (),
}
