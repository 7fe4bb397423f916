//! The real Mercure hub (0.15.9, standalone), with its history in a bolt
//! file, heartbeats at the test's interval, and JWTs signed here with the
//! hub's own HS256 keys.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{json, Value};

use super::{answer, binary, Running};

/// How the hub is set up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Subscribers without a JWT may read public updates.
    pub anonymous: bool,
    pub heartbeat: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options { anonymous: true, heartbeat: Duration::from_secs(15) }
    }
}

const PUBLISHER_KEY: &str = "herald-test-publisher-key-0123456789abcdef";
const SUBSCRIBER_KEY: &str = "herald-test-subscriber-key-0123456789abcdef";

pub struct Mercure {
    /// The hub: `http://127.0.0.1:PORT/.well-known/mercure`.
    pub hub: String,
    running: Running,
    dir: tempfile::TempDir,
    options: Options,
    client: reqwest::Client,
}

impl Mercure {
    /// Starts a hub, or `None` where this machine has no real Mercure
    /// (see [`super::binary`]).
    pub async fn start(options: Options) -> Option<Mercure> {
        let binary = binary("mercure")?;
        let dir = tempfile::tempdir().expect("a directory for mercure");
        let running = Running::start(|port| serve(&binary, dir.path(), port, options), dir.path(), "mercure").await;
        let port = running.port;
        let hub = format!("http://127.0.0.1:{port}/.well-known/mercure");
        Some(Mercure { hub, running, dir, options, client: reqwest::Client::new() })
    }

    /// The URL a subscriber to `topic` follows.
    pub fn subscribe_url(&self, topic: &str) -> String {
        let mut url = reqwest::Url::parse(&self.hub).expect("the hub's URL");
        url.query_pairs_mut().append_pair("topic", topic);
        url.into()
    }

    /// Stops the hub until [`Mercure::restart`].
    pub fn stop(&mut self) {
        self.running.process.stop();
    }

    /// Stops the hub (SIGTERM) if it runs, and starts it again on the same
    /// port, with the same history.
    pub async fn restart(&mut self) {
        self.running.process.stop();
        let binary = binary("mercure").expect("it ran before");
        let command = serve(&binary, self.dir.path(), self.running.port, self.options);
        let started = Running::start_on(command, self.running.port, self.dir.path(), "mercure").await;
        self.running = started.expect("its port is still free");
    }

    /// Publishes `data` to `topic` as an update of type `kind` (none for a
    /// plain message), private or not; the update's id.
    pub async fn publish(&self, topic: &str, kind: Option<&str>, data: &str, private: bool) -> String {
        let mut form = vec![("topic", topic), ("data", data)];
        if let Some(kind) = kind {
            form.push(("type", kind));
        }
        if private {
            form.push(("private", "on"));
        }
        let sent = self.publishing(&form).send().await.expect("mercure answers");
        match answer(sent, "publishing to mercure").await {
            Value::String(id) => id,
            other => panic!("mercure answered {other}"),
        }
    }

    /// Publishes `data` to `topic` as a public message: the update's id,
    /// or why not (a hub restarting is no panic, for the soak).
    pub async fn try_publish(&self, topic: &str, data: &str) -> Result<String, String> {
        let response = self.publishing(&[("topic", topic), ("data", data)]).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("mercure answered {}", response.status()));
        }
        response.text().await.map_err(|e| e.to_string())
    }

    /// A publisher's request of `form`, with a publisher's JWT.
    fn publishing(&self, form: &[(&str, &str)]) -> reqwest::RequestBuilder {
        let token = jwt(PUBLISHER_KEY, &json!({"mercure": {"publish": ["*"]}}));
        // The form, encoded as a query is.
        let mut encoded = reqwest::Url::parse("http://form.invalid/").expect("a URL");
        encoded.query_pairs_mut().extend_pairs(form);
        self.client
            .post(&self.hub)
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(encoded.query().unwrap_or_default().to_owned())
    }

    /// A subscriber's JWT for `topics`, private updates included.
    pub fn subscriber_token(&self, topics: &[&str]) -> String {
        jwt(SUBSCRIBER_KEY, &json!({"mercure": {"subscribe": topics}}))
    }

    /// What the hub logged so far.
    pub fn log(&self) -> String {
        self.running.log()
    }
}

fn serve(binary: &Path, dir: &Path, port: u16, options: Options) -> Command {
    let mut command = Command::new(binary);
    command
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(["--publisher-jwt-key", PUBLISHER_KEY, "--subscriber-jwt-key", SUBSCRIBER_KEY])
        .arg("--transport-url")
        .arg(format!("bolt://{}", dir.join("updates.db").display()))
        .args(["--heartbeat-interval", &format!("{}s", options.heartbeat.as_secs())])
        // A stream is cut after its write timeout: far beyond any test.
        .args(["--write-timeout", "0s"]);
    if options.anonymous {
        command.arg("--allow-anonymous");
    }
    command
}

/// An HS256 JWT with `claims`, as Mercure reads them.
fn jwt(key: &str, claims: &Value) -> String {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let signed = format!("{}.{}", b64(br#"{"alg":"HS256","typ":"JWT"}"#), b64(claims.to_string().as_bytes()));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
    let signature = aws_lc_rs::hmac::sign(&key, signed.as_bytes());
    format!("{signed}.{}", b64(signature.as_ref()))
}
