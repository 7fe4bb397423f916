//! The soak's servers: Herald's hub (three, on SQLite files, so a restart
//! keeps their logs), the REST task list (two, HTTP/2 over TLS, no ids), and
//! the real ntfy, Mercure and nginx with Nchan, with the 20 feeds among them.
//!
//! Each server sits behind a lock of its own, so that one restarting holds
//! up only what is published to it. What is published is "soak N": each
//! feed numbers its own changes from 1, and the verdict looks for the
//! numbers in what Herald stored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use herald_core::feed::{Feed, Preset};
use herald_hub::{HubConfig, LocalHub, StoreLocation};
use herald_test_support::nginx::Nginx;
use herald_test_support::real::mercure::{self, Mercure};
use herald_test_support::real::ntfy::{self, Ntfy};
use herald_test_support::tasklist::{Stopped, TaskList};
use herald_test_support::tls::self_signed_ca_true;
use tokio::sync::Mutex;

const NCHAN_MODULE: &str = "/usr/lib/nginx/modules/ngx_nchan_module.so";

/// One hub, on its own SQLite file.
pub struct HubServer {
    local: Option<LocalHub>,
    addr: SocketAddr,
    file: PathBuf,
}

/// A task list up, or down with the changes made to it meanwhile.
pub enum ListServer {
    Up(TaskList),
    Down(Stopped),
    Gone,
}

pub enum Server {
    Hub(HubServer),
    List(ListServer),
    Ntfy(Ntfy),
    Mercure(Mercure),
    Nchan(Nginx),
}

impl Server {
    pub fn kind(&self) -> &'static str {
        match self {
            Server::Hub(_) => "hub",
            Server::List(_) => "task list",
            Server::Ntfy(_) => "ntfy",
            Server::Mercure(_) => "mercure",
            Server::Nchan(_) => "nchan",
        }
    }

    /// Publishes change `n` of the feed whose topic is `topic`.
    async fn publish(&self, topic: &str, n: u64) -> Result<(), String> {
        let text = format!("soak {n}");
        match self {
            Server::Hub(hub) => {
                let local = hub.local.as_ref().ok_or("the hub is stopped")?;
                local.hub.create("Ana", &text).await.map(drop).map_err(|e| e.to_string())
            }
            Server::List(ListServer::Up(list)) => {
                list.create(&text);
                Ok(())
            }
            Server::List(ListServer::Down(list)) => {
                list.create(&text);
                Ok(())
            }
            Server::List(ListServer::Gone) => Err("the task list is restarting".into()),
            Server::Ntfy(ntfy) => ntfy.try_publish(topic, &text).await.map(drop),
            Server::Mercure(hub) => hub.try_publish(topic, &text).await.map(drop),
            Server::Nchan(nginx) => {
                let sent = reqwest::Client::new().post(format!("{}/pub/{topic}", nginx.url)).body(text).send().await;
                match sent {
                    Ok(answer) if answer.status().is_success() => Ok(()),
                    Ok(answer) => Err(format!("nchan answered {}", answer.status())),
                    Err(e) => Err(e.to_string()),
                }
            }
        }
    }

    /// Stops the server. A task list takes changes while it is down, as a
    /// REST server behind a restarted stream does.
    async fn stop(&mut self) {
        match self {
            Server::Hub(hub) => {
                if let Some(local) = hub.local.take() {
                    let _ = local.stop().await;
                }
            }
            Server::List(list) => {
                if let ListServer::Up(up) = std::mem::replace(list, ListServer::Gone) {
                    *list = ListServer::Down(up.stop().await);
                }
            }
            Server::Ntfy(ntfy) => ntfy.stop(),
            Server::Mercure(hub) => hub.stop(),
            Server::Nchan(nginx) => nginx.stop(),
        }
    }

    /// Starts it again on the same port, with what it kept.
    async fn start(&mut self) {
        match self {
            Server::Hub(hub) => {
                let location = StoreLocation::File(hub.file.clone());
                hub.local = LocalHub::start_on(hub.addr, hub_config(), &location).await.ok();
            }
            Server::List(list) => {
                if let ListServer::Down(stopped) = std::mem::replace(list, ListServer::Gone) {
                    *list = ListServer::Up(stopped.start().await);
                }
            }
            Server::Ntfy(ntfy) => ntfy.restart().await,
            Server::Mercure(hub) => hub.restart().await,
            Server::Nchan(nginx) => nginx.start_again().await,
        }
    }
}

fn hub_config() -> HubConfig {
    let mut config = HubConfig::default().with_actor("Ana", "ana-soak-token");
    config.anonymous_reads = true;
    config
}

/// A feed of the soak: its name, and where its changes are published.
#[derive(Clone)]
pub struct SoakFeed {
    pub name: String,
    pub server: usize,
    pub topic: String,
    pub feed: Feed,
}

pub struct Fleet {
    pub servers: Vec<Arc<Mutex<Server>>>,
    pub feeds: Vec<SoakFeed>,
    /// The servers the soak restarts. Not nginx with Nchan, for now: a
    /// stopping nginx ends Nchan's streams with a `:410` comment, which the
    /// nchan preset takes for the feed being gone. It stops until the next
    /// wake, and what is published meanwhile is lost (48 changes on each
    /// Nchan feed in the first hour-long soak: BENCHMARKS.md).
    pub restartable: Vec<usize>,
}

impl Fleet {
    /// Starts every server under `dir`, and names the 20 feeds.
    pub async fn start(dir: &Path) -> anyhow::Result<Fleet> {
        let mut servers = Vec::new();
        let mut feeds = Vec::new();
        let mut add = |server: usize, name: String, topic: &str, feed: Feed| {
            feeds.push(SoakFeed { name, server, topic: topic.to_owned(), feed });
        };
        for i in 0..3 {
            let file = dir.join(format!("hub-{i}.db"));
            let local = LocalHub::start(hub_config(), &StoreLocation::File(file.clone())).await?;
            let url = format!("{}/tasks/subscribe", local.url);
            let name = format!("hub-{i}");
            add(servers.len(), name.clone(), "", Feed::new(name, url).with_preset(Preset::HeraldHub));
            servers.push(Server::Hub(HubServer { addr: local.addr, local: Some(local), file }));
        }
        let identity = self_signed_ca_true();
        let pem = dir.join("list.pem");
        std::fs::write(&pem, &identity.trust_pem)?;
        for i in 0..2 {
            let list = TaskList::start(&identity).await;
            let name = format!("list-{i}");
            let mut feed = Feed::new(name.clone(), list.stream_url()).with_preset(Preset::TaskList);
            feed.settings.ca_cert = Some(pem.clone());
            add(servers.len(), name, "", feed);
            servers.push(Server::List(ListServer::Up(list)));
        }
        let ntfy =
            Ntfy::start(ntfy::Options::default()).await.context("the real ntfy (../shared/tools/real-servers)")?;
        for i in 0..6 {
            let topic = format!("soak{i}");
            let feed = Feed::new(format!("ntfy-{i}"), format!("{}/{topic}/sse", ntfy.url)).with_preset(Preset::Ntfy);
            add(servers.len(), format!("ntfy-{i}"), &topic, feed);
        }
        servers.push(Server::Ntfy(ntfy));
        let hub = Mercure::start(mercure::Options::default()).await.context("the real Mercure")?;
        for i in 0..5 {
            let topic = format!("https://soak.example/topics/{i}");
            let feed = Feed::new(format!("mercure-{i}"), hub.subscribe_url(&topic)).with_preset(Preset::Mercure);
            add(servers.len(), format!("mercure-{i}"), &topic, feed);
        }
        servers.push(Server::Mercure(hub));
        anyhow::ensure!(Path::new(NCHAN_MODULE).exists(), "Nchan is not installed: apt-get install libnginx-mod-nchan");
        let locations = r#"
            location ~ ^/pub/(\w+)$ { nchan_publisher; nchan_channel_id $1; nchan_message_buffer_length 1000; }
            location ~ ^/sub/(\w+)$ { nchan_subscriber eventsource; nchan_channel_id $1; }"#;
        let nginx = Nginx::start(&format!("load_module {NCHAN_MODULE};"), "", locations).await;
        for i in 0..4 {
            let topic = format!("soak{i}");
            let feed = Feed::new(format!("nchan-{i}"), format!("{}/sub/{topic}", nginx.url)).with_preset(Preset::Nchan);
            add(servers.len(), format!("nchan-{i}"), &topic, feed);
        }
        servers.push(Server::Nchan(nginx));
        let restartable =
            servers.iter().enumerate().filter(|(_, s)| !matches!(s, Server::Nchan(_))).map(|(i, _)| i).collect();
        let servers = servers.into_iter().map(|s| Arc::new(Mutex::new(s))).collect();
        Ok(Fleet { servers, feeds, restartable })
    }

    /// Publishes change `n` of `feed`.
    pub async fn publish(&self, feed: &SoakFeed, n: u64) -> Result<(), String> {
        self.servers[feed.server].lock().await.publish(&feed.topic, n).await
    }

    /// Stops server `index`, and starts it again `down` later; what kind it
    /// is. Publishing to it goes on meanwhile, and mostly fails.
    pub async fn restart(&self, index: usize, down: Duration) -> &'static str {
        self.servers[index].lock().await.stop().await;
        tokio::time::sleep(down).await;
        let mut server = self.servers[index].lock().await;
        server.start().await;
        server.kind()
    }
}
