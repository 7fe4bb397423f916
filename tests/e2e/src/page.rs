//! Small steps on the window's page over WebDriver: run a script, wait for
//! what it returns, click an element once it is there.

use fantoccini::{Client, Locator};
use serde_json::Value;

use crate::{eventually, DEADLINE};

pub async fn script(app: &Client, js: &str) -> anyhow::Result<Value> {
    Ok(app.execute(js, vec![]).await?)
}

/// Waits until `js` returns a value that passes `check`, and returns it.
pub async fn until(app: &Client, what: &str, js: &str, check: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    eventually(what, || async {
        let value = script(app, js).await?;
        Ok(check(&value).then_some(value))
    })
    .await
}

/// Clicks the element `css` once it is on the page.
pub async fn click(app: &Client, css: &str) -> anyhow::Result<()> {
    app.wait().at_most(DEADLINE).for_element(Locator::Css(css)).await?.click().await?;
    Ok(())
}

/// The number the timeline's count shows ("320 events"), or 0.
pub async fn timeline_total(app: &Client) -> anyhow::Result<i64> {
    let text = script(app, "return document.querySelector('.total')?.textContent ?? ''").await?;
    Ok(text.as_str().and_then(|t| t.split(' ').next()).and_then(|n| n.parse().ok()).unwrap_or(0))
}
