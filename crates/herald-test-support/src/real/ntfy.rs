//! The real ntfy (2.13), as `ntfy serve` with a message cache, a keepalive
//! interval of the test's choosing, and optionally users and tokens with
//! `auth-default-access: deny-all`.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use super::{answer, binary, Running};

/// How the server is set up.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// ntfy's own floor is 5 s; its default is 45 s.
    pub keepalive: Duration,
    /// Nobody may read or write without a token (`deny-all`).
    pub deny_all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { keepalive: Duration::from_secs(45), deny_all: false }
    }
}

pub struct Ntfy {
    /// The server's root: `http://127.0.0.1:PORT`.
    pub url: String,
    running: Running,
    dir: tempfile::TempDir,
    options: Options,
    /// An admin's token, for publishing when `deny_all`.
    admin: Option<String>,
    client: reqwest::Client,
}

pub use crate::ntfy::Message;

impl Ntfy {
    /// Starts a server, or `None` where this machine has no real ntfy
    /// (see [`super::binary`]).
    pub async fn start(options: Options) -> Option<Ntfy> {
        let binary = binary("ntfy")?;
        let dir = tempfile::tempdir().expect("a directory for ntfy");
        let running = Running::start(|port| serve(&binary, dir.path(), port, options), dir.path(), "ntfy").await;
        let port = running.port;
        let mut ntfy = Ntfy {
            url: format!("http://127.0.0.1:{port}"),
            running,
            dir,
            options,
            admin: None,
            client: reqwest::Client::new(),
        };
        if options.deny_all {
            ntfy.admin = Some(ntfy.user_with_token("herald-admin", "admin"));
        }
        Some(ntfy)
    }

    /// Stops the server (SIGTERM) and starts it again on the same port, with
    /// the same cache and users.
    pub async fn restart(&mut self) {
        self.stop();
        let binary = binary("ntfy").expect("it ran before");
        let command = serve(&binary, self.dir.path(), self.running.port, self.options);
        let started = Running::start_on(command, self.running.port, self.dir.path(), "ntfy").await;
        self.running = started.expect("its port is still free");
    }

    /// Stops the server until [`Ntfy::restart`].
    pub fn stop(&mut self) {
        self.running.process.stop();
    }

    /// Adds a user with `role` (`user` or `admin`) and a token for them.
    pub fn user_with_token(&self, user: &str, role: &str) -> String {
        let auth = self.dir.path().join("auth.db");
        let binary = binary("ntfy").expect("it runs");
        let ntfy = |args: &[&str]| {
            // `ntfy user --auth-file F add …`: the file is the command's flag.
            let out = Command::new(&binary)
                .arg(args[0])
                .arg("--auth-file")
                .arg(&auth)
                .args(&args[1..])
                .env("NTFY_PASSWORD", "herald-test-password")
                .output()
                .expect("ntfy runs");
            let said = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
            assert!(out.status.success(), "ntfy {args:?}: {said}");
            said
        };
        ntfy(&["user", "add", &format!("--role={role}"), user]);
        let said = ntfy(&["token", "add", user]);
        // "token tk_… created for user ana, never expires"
        let token = said.split_whitespace().find(|w| w.starts_with("tk_"));
        token.unwrap_or_else(|| panic!("no token in {said:?}")).to_owned()
    }

    /// Lets `user` read `topic` (with `deny_all`).
    pub fn grant_read(&self, user: &str, topic: &str) {
        let auth = self.dir.path().join("auth.db");
        let out = Command::new(binary("ntfy").expect("it runs"))
            .args(["access", "--auth-file"])
            .arg(&auth)
            .args([user, topic, "read-only"])
            .output()
            .expect("ntfy runs");
        assert!(out.status.success(), "ntfy access: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// Publishes `message` to `topic` through ntfy's JSON API; the message
    /// as ntfy stored it (its `id`, `time`, …).
    pub async fn publish(&self, topic: &str, message: &Message<'_>) -> Value {
        let mut body = json!({"topic": topic, "message": message.message});
        if let Some(title) = message.title {
            body["title"] = json!(title);
        }
        if let Some(priority) = message.priority {
            body["priority"] = json!(priority);
        }
        if let Some(click) = message.click {
            body["click"] = json!(click);
        }
        if !message.tags.is_empty() {
            body["tags"] = json!(message.tags);
        }
        if let Some(icon) = message.icon {
            body["icon"] = json!(icon);
        }
        if let Some(actions) = &message.actions {
            body["actions"] = actions.clone();
        }
        if let Some(url) = message.attach {
            body["attach"] = json!(url);
        }
        if message.markdown {
            body["markdown"] = json!(true);
        }
        assert!(message.sequence_id.is_none(), "ntfy 2.13 has no sequences: that is the emulator's");
        let mut request = self.client.post(&self.url).json(&body);
        if let Some(token) = &self.admin {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("ntfy answers"), "publishing to ntfy").await
    }

    /// Publishes `body` to `topic` with `headers`, ntfy's other way of
    /// saying everything (`X-Actions`, `Attach`, `Markdown`, …).
    pub async fn publish_with_headers(&self, topic: &str, headers: &[(&str, &str)], body: &str) -> Value {
        let mut request = self.client.post(format!("{}/{topic}", self.url)).body(body.to_owned());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(token) = &self.admin {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("ntfy answers"), "publishing to ntfy").await
    }

    /// Publishes `text` to `topic` as a plain message: its id, or why not
    /// (a server stopped or restarting is no panic, for the soak).
    pub async fn try_publish(&self, topic: &str, text: &str) -> Result<String, String> {
        let mut request = self.client.post(format!("{}/{topic}", self.url)).body(text.to_owned());
        if let Some(token) = &self.admin {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("ntfy answered {}", response.status()));
        }
        let sent: Value = response.json().await.map_err(|e| e.to_string())?;
        sent["id"].as_str().map(str::to_owned).ok_or_else(|| format!("ntfy answered {sent}"))
    }

    /// Publishes "message {i}" to `topic` for each `i` of `numbers`; their ids.
    pub async fn publish_numbered(&self, topic: &str, numbers: std::ops::Range<usize>) -> Vec<String> {
        let mut ids = Vec::new();
        for i in numbers {
            let text = format!("message {i}");
            let sent = self.publish(topic, &Message { message: &text, ..Message::default() }).await;
            ids.push(sent["id"].as_str().expect("ntfy gives every message an id").to_owned());
        }
        ids
    }

    /// What ntfy logged so far.
    pub fn log(&self) -> String {
        self.running.log()
    }
}

fn serve(binary: &Path, dir: &Path, port: u16, options: Options) -> Command {
    let root = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(binary);
    command
        .args(["serve", "--listen-http", &format!("127.0.0.1:{port}"), "--base-url", &root])
        .arg("--cache-file")
        .arg(dir.join("cache.db"))
        .args(["--keepalive-interval", &format!("{}s", options.keepalive.as_secs())])
        .args(["--visitor-request-limit-exempt-hosts", "127.0.0.1"]);
    if options.deny_all {
        command.arg("--auth-file").arg(dir.join("auth.db")).args(["--auth-default-access", "deny-all"]);
    }
    command
}
