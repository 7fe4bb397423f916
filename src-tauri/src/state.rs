//! What the app starts with: the running engine and where its things are
//! kept. Once the app is set up, the [`herald_desk::Desk`] built from it
//! answers every command.

use std::path::PathBuf;
use std::sync::Arc;

use herald_core::engine::Engine;
use herald_core::secrets::Secrets;

pub struct AppState {
    pub engine: Engine,
    pub secrets: Arc<dyn Secrets>,
    /// Where trusted certificates are kept (beside the store).
    pub certs_dir: PathBuf,
    /// Where the user's quiet settings are kept between runs.
    pub quiet_file: Option<PathBuf>,
}

impl AppState {
    pub fn new(engine: Engine, secrets: Arc<dyn Secrets>, certs_dir: PathBuf) -> Self {
        AppState { engine, secrets, certs_dir, quiet_file: None }
    }

    /// Keeps the quiet settings in `path` between runs.
    pub fn with_quiet_file(mut self, path: PathBuf) -> Self {
        self.quiet_file = Some(path);
        self
    }
}
