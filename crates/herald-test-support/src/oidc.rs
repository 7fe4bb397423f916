//! A real OpenID provider for sign-in tests: panva's `oidc-provider`
//! (OpenID Certified) from npm, with a small resource server that takes its
//! access tokens, both run by Node on 127.0.0.1 from `tests/oidc/` (see
//! `provider.mjs` there for exactly how it is set up). `scripts/test`
//! installs its npm packages.
//!
//! The user's part of a sign-in is played by `tests/oidc/browser.py`: given
//! an address, it fills in the provider's login and consent forms over
//! HTTP, as a person in a browser would. Tests use it as `$BROWSER`, or
//! run it on a device code's address.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const STARTED_WITHIN: Duration = Duration::from_secs(30);

/// `tests/oidc/` of the project.
pub fn directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/oidc")
}

/// The browser script, for `$BROWSER`.
pub fn browser() -> PathBuf {
    directory().join("browser.py")
}

pub struct Provider {
    /// `http://127.0.0.1:P`: the issuer.
    pub issuer: String,
    /// `http://127.0.0.1:Q/events`: the resource server's event stream.
    pub events: String,
    child: Child,
    client: reqwest::Client,
}

#[derive(serde::Deserialize)]
struct Started {
    issuer: String,
    events: String,
}

impl Provider {
    /// Starts one whose access tokens live `ttl`, with the resource server
    /// making an event every `every`.
    pub async fn start(ttl: Duration, every: Duration) -> Provider {
        let dir = directory();
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "oidc-provider is not installed: npm install --prefix {}",
            dir.display()
        );
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .args(["--ttl", &ttl.as_secs().to_string(), "--every", &every.as_millis().to_string()])
            .stdout(Stdio::piped())
            // Its warnings about development settings are expected.
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node runs tests/oidc/provider.mjs");
        let stdout = child.stdout.take().expect("its stdout");
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(STARTED_WITHIN, lines.next_line()).await;
        let line = first.expect("the provider starts in time").expect("its stdout").expect("a first line");
        let started: Started = serde_json::from_str(&line).expect("the provider's first line says where it is");
        // What it says later (oidc-provider's notices) is read and dropped:
        // a closed pipe would end it at its next word.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Provider { issuer: started.issuer, events: started.events, child, client: reqwest::Client::new() }
    }

    fn resource(&self, path: &str) -> String {
        self.events.replace("/events", path)
    }

    /// Every access and refresh token the provider has issued.
    pub async fn issued(&self) -> Vec<String> {
        let answer = self.client.get(self.resource("/issued")).send().await.expect("the resource server");
        let body: serde_json::Value = answer.json().await.expect("JSON");
        ["accessTokens", "refreshTokens"]
            .iter()
            .flat_map(|kind| body[kind].as_array().cloned().unwrap_or_default())
            .filter_map(|token| token.as_str().map(str::to_owned))
            .collect()
    }

    /// Revokes every access token the resource server has seen, and ends
    /// its streams: the next request with one is refused (401).
    pub async fn revoke_access(&self) -> u64 {
        let answer = self.client.post(self.resource("/revoke-access")).send().await.expect("the resource server");
        let body: serde_json::Value = answer.json().await.expect("JSON");
        body["revoked"].as_u64().unwrap_or(0)
    }

    /// Revokes `refresh_token` at the provider's revocation endpoint, as an
    /// administrator ending a session does.
    pub async fn revoke_refresh_token(&self, refresh_token: &str) {
        let form = [("client_id", "herald"), ("token", refresh_token), ("token_type_hint", "refresh_token")];
        let body =
            reqwest::Url::parse_with_params("http://form/", &form).expect("a form").query().unwrap_or("").to_owned();
        let answer = self
            .client
            .post(format!("{}/token/revocation", self.issuer))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        assert!(answer.expect("the provider").status().is_success(), "the revocation is accepted");
    }

    /// Plays the user at `address` (a sign-in page, or a device code's),
    /// signing in as `user`: returns once the script is done.
    pub async fn complete(&self, address: &str, user: &str) {
        let status = Command::new("python3").arg(browser()).arg(address).env("OIDC_USER", user).status().await;
        assert!(status.expect("python3 runs browser.py").success(), "browser.py completed the forms at {address}");
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}
