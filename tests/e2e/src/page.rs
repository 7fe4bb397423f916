//! Small steps on the window's page over WebDriver: run a script, wait for
//! what it returns, click an element once it is there, check it with axe-core.

use std::path::PathBuf;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::{eventually, DEADLINE};

pub async fn script(app: &Client, js: &str) -> anyhow::Result<Value> {
    Ok(app.execute(js, vec![]).await?)
}

/// Waits until `js` returns a value that passes `check`, and returns it;
/// a wait that fails says what it last returned.
pub async fn until(app: &Client, what: &str, js: &str, check: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
    let last = std::sync::Mutex::new(Value::Null);
    let waited = eventually(what, || async {
        let value = script(app, js).await?;
        if check(&value) {
            return Ok(Some(value));
        }
        *last.lock().unwrap() = value;
        Ok(None)
    })
    .await;
    waited.map_err(|e| e.context(format!("it last returned {}", last.lock().unwrap())))
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

/// Runs axe-core (the UI's own copy) on the live page: no serious or
/// critical violation.
pub async fn accessible(app: &Client, page: &str) -> anyhow::Result<()> {
    let axe = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/node_modules/axe-core/axe.min.js");
    let source = std::fs::read_to_string(&axe)?;
    app.execute(&source, vec![]).await?;
    let found = app
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations
                 .filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ': ' + v.nodes.map(n => n.html).join(' | '))));",
            vec![],
        )
        .await?;
    anyhow::ensure!(found == json!([]), "{page}: accessibility violations: {found}");
    Ok(())
}
