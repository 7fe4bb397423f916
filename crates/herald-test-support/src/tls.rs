//! An HTTPS event-stream server on 127.0.0.1 that speaks only HTTP/2 (it
//! offers nothing but `h2` by ALPN), with certificates made for the test.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http2;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

/// A server's certificate chain and key, and the PEM a client is given to trust.
pub struct Identity {
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivatePkcs8KeyDer<'static>,
    /// The certificate to give the client.
    pub trust_pem: String,
}

const NAMES: [&str; 2] = ["localhost", "127.0.0.1"];

/// What a plain `openssl req -x509` makes: one self-signed certificate marked CA:TRUE.
pub fn self_signed_ca_true() -> Identity {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(NAMES.map(String::from)).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).unwrap();
    Identity { chain: vec![cert.der().clone()], key: pkcs8(&key), trust_pem: cert.pem() }
}

/// A private CA, and a server certificate it signed; the client is given the CA.
pub fn signed_by_private_ca() -> Identity {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, &ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(NAMES.map(String::from)).unwrap().signed_by(&key, &issuer).unwrap();
    Identity { chain: vec![cert.der().clone(), ca.der().clone()], key: pkcs8(&key), trust_pem: ca.pem() }
}

fn pkcs8(key: &KeyPair) -> PrivatePkcs8KeyDer<'static> {
    PrivatePkcs8KeyDer::from(key.serialize_der())
}

/// What one request carried.
#[derive(Debug, Clone)]
pub struct Seen {
    pub version: http::Version,
    pub last_event_id: Option<String>,
    pub accept: Option<String>,
}

pub struct TlsServer {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Seen>>>,
    count: watch::Receiver<usize>,
}

/// A TLS acceptor for `identity` that offers only HTTP/2 by ALPN; with
/// `clients`, it asks for a client certificate signed by that CA (PEM) and
/// refuses the handshake of a client without one, as Go's servers and
/// Caddy do.
pub fn h2_only(identity: &Identity, clients: Option<&str>) -> TlsAcceptor {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder =
        rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions().unwrap();
    let builder = match clients {
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                roots.add(cert.unwrap()).unwrap();
            }
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config =
        builder.with_single_cert(identity.chain.clone(), PrivateKeyDer::Pkcs8(identity.key.clone_key())).unwrap();
    config.alpn_protocols = vec![b"h2".to_vec()];
    TlsAcceptor::from(Arc::new(config))
}

/// Serves `body` as an event stream, over HTTP/2 only, to every request.
pub async fn serve_h2(identity: &Identity, body: &'static str) -> TlsServer {
    serve_h2_to(h2_only(identity, None), body).await
}

/// [`serve_h2`], only to clients whose certificate the CA `clients` signed.
pub async fn serve_h2_to_clients_of(identity: &Identity, clients: &str, body: &'static str) -> TlsServer {
    serve_h2_to(h2_only(identity, Some(clients)), body).await
}

async fn serve_h2_to(acceptor: TlsAcceptor, body: &'static str) -> TlsServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://127.0.0.1:{}/events", listener.local_addr().unwrap().port());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (counted, count) = watch::channel(0);
    let seen = requests.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let seen = seen.clone();
            let counted = counted.clone();
            tokio::spawn(async move {
                // A client that refuses the certificate ends the handshake here.
                let Ok(tls) = acceptor.accept(socket).await else { return };
                let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                    let header =
                        |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).map(String::from);
                    let total = {
                        let mut seen = seen.lock().unwrap();
                        seen.push(Seen {
                            version: request.version(),
                            last_event_id: header("last-event-id"),
                            accept: header("accept"),
                        });
                        seen.len()
                    };
                    counted.send_replace(total);
                    let response = Response::builder()
                        .header("content-type", "text/event-stream")
                        .body(Full::new(Bytes::from_static(body.as_bytes())))
                        .unwrap();
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = http2::Builder::new(TokioExecutor::new()).serve_connection(TokioIo::new(tls), service).await;
            });
        }
    });
    TlsServer { url, requests, count }
}

impl TlsServer {
    /// Waits until `n` requests have arrived.
    pub async fn requests_made(&self, n: usize) {
        let wait = self.count.clone().wait_for(|c| *c >= n).await.map(drop);
        wait.expect("the server runs as long as the test");
    }

    pub fn request(&self, n: usize) -> Seen {
        self.requests.lock().unwrap()[n].clone()
    }
}
