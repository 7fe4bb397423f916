//! A demo teammate who keeps the shared task list busy, so that a new user
//! sees Herald work within seconds of the first start.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::HubConfig;
use crate::hub::Hub;
use crate::local::LocalHub;
use crate::model::{Change, TaskPatch};
use crate::storage::{StoreError, StoreLocation};

/// The demo teammate's name.
pub const TEAMMATE: &str = "Ana";
/// The actor name of the person using the demo.
pub const USER: &str = "You";

/// A hub running in this process with a busy teammate: Herald's first-run demo.
pub struct DemoHub {
    pub server: LocalHub,
    /// The user's bearer token.
    pub token: String,
}

impl DemoHub {
    /// Starts an in-memory hub on a free loopback port, seeds a few tasks,
    /// and lets the teammate change one every `every` while the hub runs.
    pub async fn start(every: Duration) -> std::io::Result<DemoHub> {
        let token = random_token();
        let config = HubConfig::default().with_actor(USER, token.clone()).with_actor(TEAMMATE, random_token());
        let server = LocalHub::start(config, &StoreLocation::Memory).await?;
        for name in &NAMES[..MIN_TASKS + 1] {
            server.hub.create(TEAMMATE, name).await.map_err(std::io::Error::other)?;
        }
        let teammate = Teammate::new(TEAMMATE, fastrand::u64(..));
        tokio::spawn(teammate.run(server.hub.clone(), every, server.hub.closing().clone()));
        Ok(DemoHub { server, token })
    }
}

/// A token for the demo's loopback-only hub. Not for guarding real data.
fn random_token() -> String {
    std::iter::repeat_with(fastrand::alphanumeric).take(32).collect()
}

const NAMES: &[&str] = &[
    "Buy milk",
    "Water the plants",
    "Book the team lunch",
    "Review the release notes",
    "Call the plumber",
    "Renew the domain",
    "Order printer paper",
    "Update the on-call rota",
    "Send the invoice",
    "Plan the offsite",
    "Fix the flaky test",
    "Back up the wiki",
];

/// Fewer tasks than this and the teammate only creates.
const MIN_TASKS: usize = 3;
/// More tasks than this and the teammate only deletes.
const MAX_TASKS: usize = 8;

pub struct Teammate {
    name: String,
    rng: fastrand::Rng,
}

impl Teammate {
    pub fn new(name: impl Into<String>, seed: u64) -> Self {
        Teammate { name: name.into(), rng: fastrand::Rng::with_seed(seed) }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Makes exactly one change: creates, renames, completes, reopens or deletes a task.
    pub async fn step(&mut self, hub: &Hub) -> Result<Change, StoreError> {
        let (tasks, _) = hub.snapshot().await?;
        let unused: Vec<&str> = NAMES.iter().copied().filter(|n| tasks.iter().all(|t| t.name != *n)).collect();
        let roll = self.rng.u8(0..100);
        let pick = |rng: &mut fastrand::Rng| &tasks[rng.usize(0..tasks.len())];
        let action = if tasks.len() < MIN_TASKS {
            0
        } else if tasks.len() > MAX_TASKS {
            99
        } else {
            roll
        };
        let change = match action {
            0..=29 if !unused.is_empty() => {
                let name = unused[self.rng.usize(0..unused.len())];
                Some(hub.create(&self.name, name).await?)
            }
            30..=44 if !unused.is_empty() => {
                let task = pick(&mut self.rng);
                let patch = TaskPatch { name: Some(unused[self.rng.usize(0..unused.len())].to_owned()), done: None };
                hub.update(&self.name, task.id, &patch, None).await?.changed()
            }
            85..=99 => {
                let done: Vec<_> = tasks.iter().filter(|t| t.done).collect();
                let task = if done.is_empty() { pick(&mut self.rng) } else { done[self.rng.usize(0..done.len())] };
                hub.delete(&self.name, task.id, None).await?.changed()
            }
            _ => {
                let task = pick(&mut self.rng);
                hub.update(&self.name, task.id, &TaskPatch { name: None, done: Some(!task.done) }, None)
                    .await?
                    .changed()
            }
        };
        // The hub is shared, so a task may vanish between the snapshot and the
        // write; then create one, which always succeeds.
        match change {
            Some(change) => Ok(change),
            None => hub.create(&self.name, NAMES[self.rng.usize(0..NAMES.len())]).await,
        }
    }

    /// Makes a change every `every` until `stop` is cancelled.
    pub async fn run(mut self, hub: Arc<Hub>, every: Duration, stop: CancellationToken) {
        let mut ticks = tokio::time::interval(every);
        ticks.tick().await;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = ticks.tick() => {}
            }
            if let Err(e) = self.step(&hub).await {
                tracing::warn!(error = %e, teammate = %self.name, "demo teammate could not make a change");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HubConfig;
    use crate::model::ChangeKind;
    use std::collections::HashSet;

    #[tokio::test]
    async fn the_demo_hub_serves_a_seeded_list_to_its_user() {
        let demo = DemoHub::start(Duration::from_secs(3600)).await.unwrap();
        let (tasks, seq) = demo.server.hub.snapshot().await.unwrap();
        assert!(tasks.len() > MIN_TASKS && seq > 0);
        assert_eq!(demo.server.hub.config().actor_for(&demo.token), Some(USER));
        assert!(demo.server.url.starts_with("http://127.0.0.1:"));
    }

    #[tokio::test]
    async fn the_teammate_makes_every_kind_of_change_and_keeps_the_list_small() {
        let hub = Hub::open(HubConfig::default(), &StoreLocation::Memory).await.unwrap();
        let mut ana = Teammate::new("Ana", 7);
        let mut kinds = HashSet::new();
        let mut renamed = false;
        let mut completed = false;
        for _ in 0..300 {
            let before = hub.snapshot().await.unwrap().1;
            let change = ana.step(&hub).await.unwrap();
            assert_eq!(change.seq, before + 1, "one step is one change");
            assert_eq!(change.actor, "Ana");
            kinds.insert(change.kind);
            if change.kind == ChangeKind::Update {
                renamed |= NAMES.contains(&change.task.name.as_str()) && !change.task.done;
                completed |= change.task.done;
            }
            let count = hub.snapshot().await.unwrap().0.len();
            assert!(count <= MAX_TASKS + 1, "{count} tasks");
        }
        assert_eq!(kinds.len(), 3);
        assert!(renamed && completed);
    }
}
