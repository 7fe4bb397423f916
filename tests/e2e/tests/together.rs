//! Others are here, end to end with the real app: a second actor on a
//! loopback client appears as present and goes when it leaves; the record
//! the user opens changes in place when that actor completes it, and the
//! name the user is typing keeps its text; the user's stale edit is refused
//! with the conflict view, whose two choices each work; and none of this
//! presence reaches the notifications.
//!
//! Run by `scripts/test` inside `xvfb-run … dbus-run-session`.

use std::time::Duration;

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use herald_core::sse::{Decoder, Frame};
use herald_e2e::driver::{app_binary, Driver};
use herald_e2e::notifications::NotificationServer;
use herald_e2e::page::{click, script, until};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use serde_json::{json, Value};

const YOU: &str = "you-together-token";
const ANA: &str = "ana-together-token";
const LIVE: &str = "main header .pill[data-tone='good']";

/// Ana's own stream: she is present while it is open.
struct Ana {
    stream: reqwest::Response,
    decoder: Decoder,
}

impl Ana {
    async fn connect(http: &reqwest::Client, url: &str) -> anyhow::Result<Ana> {
        let stream = http.get(format!("{url}/tasks/subscribe")).bearer_auth(ANA).send().await?.error_for_status()?;
        Ok(Ana { stream, decoder: Decoder::default() })
    }

    /// Reads her stream until the hub says who is here as `want`.
    async fn hears_presence(&mut self, want: &Value) -> anyhow::Result<()> {
        let read = async {
            loop {
                let Some(chunk) = self.stream.chunk().await? else { anyhow::bail!("Ana's stream ended") };
                let mut heard = Vec::new();
                self.decoder.feed(&chunk, &mut |frame| {
                    if let Frame::Event(e) = frame {
                        if &*e.event == "presence" {
                            heard.push(serde_json::from_str::<Value>(&e.data).unwrap_or_default());
                        }
                    }
                });
                if heard.iter().any(|p| p["present"] == *want) {
                    return Ok(());
                }
            }
        };
        tokio::time::timeout(herald_e2e::DEADLINE, read)
            .await
            .map_err(|_| anyhow::anyhow!("Ana never heard presence {want}"))?
    }
}

/// The titles of the faces on the feed's "Here now".
const HERE: &str = "return [...document.querySelectorAll('.here .face')].map(f => f.title)";

async fn name_field(app: &Client) -> anyhow::Result<Value> {
    script(app, "return document.querySelector('#record-name')?.value ?? null").await
}

/// Types `text` over the open record's name.
async fn type_name(app: &Client, text: &str) -> anyhow::Result<()> {
    let field = app.find(Locator::Css("#record-name")).await.map_err(|e| anyhow::anyhow!("finding the name: {e:?}"))?;
    // Ctrl+A, then the text: typing replaces what is selected, as it does for a user.
    let select_all = format!("{}a{}", Key::Control, Key::Null);
    field.send_keys(&select_all).await.map_err(|e| anyhow::anyhow!("selecting the name: {e:?}"))?;
    field.send_keys(text).await.map_err(|e| anyhow::anyhow!("typing the name: {e:?}"))?;
    until(app, "the name to hold what was typed", "return document.querySelector('#record-name').value", |v| {
        v.as_str() == Some(text)
    })
    .await?;
    Ok(())
}

async fn rest(request: reqwest::RequestBuilder) -> anyhow::Result<()> {
    request.bearer_auth(ANA).send().await?.error_for_status()?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread")]
async fn others_are_here_and_never_silently_overwritten() -> anyhow::Result<()> {
    let notifications = NotificationServer::start().await?;
    let config = HubConfig::default()
        .with_actor("You", YOU)
        .with_actor("Ana", ANA)
        .with_presence(Duration::from_millis(100), Duration::from_secs(60));
    let server = LocalHub::start(config, &StoreLocation::Memory).await?;
    let (hub, url) = (&server.hub, server.url.clone());
    let milk = hub.create("Ana", "Buy milk").await?.task.id;
    hub.create("Ana", "Water plants").await?;

    let data = tempfile::tempdir()?;
    let _keyring = herald_e2e::keyring::start(&data.path().join("keyring")).await?;
    let store_path = data.path().join("herald.db");
    // Each of Ana's changes is told on its own, so they can be counted.
    herald_e2e::cli::store_hub_feed_uncoalesced(&store_path, &url)?;
    let store = store_path.to_str().expect("a UTF-8 temporary path");
    let driver = Driver::start(&[("HERALD_SERVER", &url), ("HERALD_TOKEN", YOU), ("HERALD_STORE", store)]).await?;
    let app = driver.session(&app_binary()?).await?;
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(LIVE)).await?;
    let row = format!("li[data-key='{milk}']");
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(&row)).await?;
    assert_eq!(script(&app, HERE).await?, json!([]), "alone, nobody else is shown");

    // Ana connects, and opens "Buy milk".
    let http = reqwest::Client::new();
    let mut ana = Ana::connect(&http, &url).await?;
    until(&app, "Ana to be here", HERE, |v| *v == json!(["Ana is here"])).await?;
    rest(http.put(format!("{url}/presence")).json(&json!({ "viewing": milk }))).await?;
    until(&app, "Ana to look at Buy milk", HERE, |v| *v == json!(["Ana is looking at 'Buy milk'"])).await?;
    let on_row = format!("return [...document.querySelectorAll(\"{row} .face\")].map(f => f.title)");
    until(&app, "Ana's face on the record", &on_row, |v| *v == json!(["Ana is looking at 'Buy milk'"])).await?;
    herald_e2e::screenshot(&app, "presence").await?;

    // The user opens it too: the hub hears it, and tells Ana.
    click(&app, &format!("{row} button.name")).await?;
    app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css("#record-name")).await?;
    ana.hears_presence(&json!([{"actor": "Ana", "viewing": milk}, {"actor": "You", "viewing": milk}])).await?;

    // While the user types a new name, Ana completes the task: the open
    // record changes in place, and the text typed stays.
    type_name(&app, "Buy oat milk").await?;
    rest(http.put(format!("{url}/tasks/{milk}")).json(&json!({"done": true}))).await?;
    until(
        &app,
        "the open record to say Ana completed it",
        "return document.querySelector('.lastly')?.textContent",
        |v| v.as_str().is_some_and(|t| t.starts_with("Ana completed this · ")),
    )
    .await?;
    let done = "return document.querySelector('.record-editor input[name=done]').checked";
    assert_eq!(script(&app, done).await?, json!(true), "the open record shows it done");
    assert_eq!(name_field(&app).await?, json!("Buy oat milk"), "the user's text survived the live update");

    // Ana renames it before the user saves: the save is refused, and the
    // conflict view shows both sides. "Keep theirs" keeps Ana's name.
    rest(http.put(format!("{url}/tasks/{milk}")).json(&json!({"name": "Buy soy milk"}))).await?;
    until(&app, "the rename to show", "return document.querySelector('#open-record-title').textContent", |v| {
        v == "Buy soy milk"
    })
    .await?;
    assert_eq!(name_field(&app).await?, json!("Buy oat milk"), "still the user's text");
    click(&app, ".record-editor button.save").await?;
    let conflict = app.wait().at_most(herald_e2e::DEADLINE).for_element(Locator::Css(".conflict")).await?;
    let text = conflict.text().await?;
    assert!(text.starts_with("Ana changed this"), "{text}");
    let mine = script(&app, "return document.querySelector('.conflict .mine').textContent").await?;
    let theirs = script(&app, "return document.querySelector('.conflict .theirs').textContent").await?;
    assert!(mine.as_str().is_some_and(|t| t.contains("Buy oat milk")), "{mine}");
    assert!(theirs.as_str().is_some_and(|t| t.contains("Buy soy milk")), "{theirs}");
    assert_eq!(hub.get(milk).await?.expect("still there").name, "Buy soy milk", "nothing was overwritten");
    herald_e2e::screenshot(&app, "conflict").await?;
    click(&app, ".conflict .keep-theirs").await?;
    until(&app, "the conflict to close", "return document.querySelector('.conflict') === null", |v| *v == json!(true))
        .await?;
    assert_eq!(name_field(&app).await?, json!("Buy soy milk"), "theirs kept");
    assert_eq!(hub.get(milk).await?.expect("still there").name, "Buy soy milk");

    // Once more, and "Apply mine": the user's name goes in, Ana's done stays.
    type_name(&app, "Buy oat milk").await?;
    rest(http.put(format!("{url}/tasks/{milk}")).json(&json!({"name": "Buy almond milk"}))).await?;
    until(&app, "the second rename to show", "return document.querySelector('#open-record-title').textContent", |v| {
        v == "Buy almond milk"
    })
    .await?;
    click(&app, ".record-editor button.save").await?;
    click(&app, ".conflict .apply-mine").await?;
    herald_e2e::eventually("the user's name to be applied", || async {
        let now = hub.get(milk).await?.expect("still there");
        Ok((now.name == "Buy oat milk").then_some(now))
    })
    .await
    .map(|now| assert!(now.done, "Ana's completion was kept"))?;
    until(&app, "the conflict to close", "return document.querySelector('.conflict') === null", |v| *v == json!(true))
        .await?;

    // Ana leaves: she is no longer shown.
    drop(ana);
    until(&app, "Ana to be gone", HERE, |v| *v == json!([])).await?;

    // Presence raised no notification, nor did the user's own edit: the
    // only ones are Ana's three changes.
    let shown = notifications.wait_for(3).await?;
    let summaries: Vec<&str> = shown.iter().map(|n| n.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "Ana completed 'Buy milk'",
            "Ana renamed 'Buy milk' to 'Buy soy milk'",
            "Ana renamed 'Buy soy milk' to 'Buy almond milk'"
        ]
    );
    Ok(())
}
