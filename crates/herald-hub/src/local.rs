//! A hub serving in the background of this process: for tests, and for the
//! demo Herald embeds.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::HubConfig;
use crate::hub::Hub;
use crate::storage::StoreLocation;

pub struct LocalHub {
    /// The root URL, e.g. `http://127.0.0.1:41234`.
    pub url: String,
    pub addr: SocketAddr,
    pub hub: Arc<Hub>,
    stop: CancellationToken,
    served: Option<JoinHandle<std::io::Result<()>>>,
}

impl LocalHub {
    /// Serves on a free loopback port.
    pub async fn start(config: HubConfig, location: &StoreLocation) -> std::io::Result<LocalHub> {
        LocalHub::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), config, location).await
    }

    /// Serves on `addr`, e.g. the port of a hub that was stopped, to restart it.
    pub async fn start_on(addr: SocketAddr, config: HubConfig, location: &StoreLocation) -> std::io::Result<LocalHub> {
        let hub = Hub::open(config, location).await.map_err(std::io::Error::other)?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let stop = CancellationToken::new();
        let stopped = stop.clone();
        let served = tokio::spawn(crate::run(listener, hub.clone(), async move { stopped.cancelled().await }));
        Ok(LocalHub { url: format!("http://{addr}"), addr, hub, stop, served: Some(served) })
    }

    /// Stops serving, ends open streams, and waits until the port is free.
    pub async fn stop(mut self) -> std::io::Result<()> {
        self.stop.cancel();
        match self.served.take() {
            Some(served) => served.await.map_err(std::io::Error::other)?,
            None => Ok(()),
        }
    }
}

impl Drop for LocalHub {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
