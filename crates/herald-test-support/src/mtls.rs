//! A company's front door that asks for a client certificate: a private CA
//! that issues them, and nginx (from apt) with `ssl_verify_client on` in
//! front of an event stream, on 127.0.0.1. Every certificate is made here,
//! for the test.

use std::path::{Path, PathBuf};

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
};

use crate::nginx::Nginx;

/// A private certificate authority, such as a company's.
pub struct ClientCa {
    params: CertificateParams,
    key: KeyPair,
    /// Its certificate, for the server to trust.
    pub pem: String,
}

/// When a certificate is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// From 2020 to 2100.
    Current,
    /// From 2020 to 2021.
    Expired,
}

/// A client certificate and its key, as PEM, and written to files.
pub struct ClientCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl ClientCa {
    pub fn new(name: &str) -> ClientCa {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let pem = params.self_signed(&key).unwrap().pem();
        ClientCa { params, key, pem }
    }

    /// A certificate for `who`, signed by this CA.
    pub fn issue(&self, who: &str, validity: Validity) -> ClientCert {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, who);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = date_time_ymd(2020, 1, 1);
        params.not_after = match validity {
            Validity::Current => date_time_ymd(2100, 1, 1),
            Validity::Expired => date_time_ymd(2021, 1, 1),
        };
        let issuer = Issuer::new(self.params.clone(), &self.key);
        let cert = params.signed_by(&key, &issuer).unwrap();
        ClientCert { cert_pem: cert.pem(), key_pem: key.serialize_pem() }
    }
}

impl ClientCert {
    /// The certificate and its key as a PKCS#12 file, locked with `passphrase`.
    pub fn pkcs12(&self, passphrase: &str) -> Vec<u8> {
        use p12_keystore::{Certificate, KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
        use rustls::pki_types::pem::PemObject;
        let cert = rustls::pki_types::CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).unwrap();
        let key = KeyPair::from_pem(&self.key_pem).unwrap().serialize_der();
        let chain = PrivateKeyChain::new(
            b"herald-test".to_vec(),
            PrivateKey::from_der(&key).unwrap(),
            [Certificate::from_der(&cert).unwrap()],
        );
        let mut store = KeyStore::new();
        store.add_entry("client", KeyStoreEntry::PrivateKeyChain(chain));
        store.writer(passphrase).write().unwrap()
    }

    /// Writes `{stem}.pem` and `{stem}.key` in `dir`; their paths.
    pub fn write(&self, dir: &Path, stem: &str) -> (PathBuf, PathBuf) {
        let (cert, key) = (dir.join(format!("{stem}.pem")), dir.join(format!("{stem}.key")));
        std::fs::write(&cert, &self.cert_pem).unwrap();
        std::fs::write(&key, &self.key_pem).unwrap();
        (cert, key)
    }
}

/// nginx on HTTPS in front of `upstream` (plain HTTP), passing requests
/// on unbuffered, as an event stream needs; with a client CA, it asks every
/// client for a certificate that CA signed, and passes on only theirs. Its
/// own certificate is signed by a CA of its own, whose PEM is `trust_pem`.
pub struct FrontDoor {
    pub nginx: Nginx,
    /// The server's CA, for the client to trust.
    pub trust_pem: String,
    _dir: tempfile::TempDir,
}

impl FrontDoor {
    pub async fn start(ca: &ClientCa, upstream: &str) -> FrontDoor {
        FrontDoor::start_with(Some(ca), upstream).await
    }

    /// A front door that asks for no client certificate: HTTPS, and no more.
    pub async fn open(upstream: &str) -> FrontDoor {
        FrontDoor::start_with(None, upstream).await
    }

    async fn start_with(ca: Option<&ClientCa>, upstream: &str) -> FrontDoor {
        let dir = tempfile::tempdir().unwrap();
        let server_ca = ClientCa::new("Front door CA");
        let server_key = KeyPair::generate().unwrap();
        let server = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap()
            .signed_by(&server_key, &Issuer::new(server_ca.params.clone(), &server_ca.key))
            .unwrap();
        let write = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).unwrap();
            path.display().to_string()
        };
        let (cert, key) = (write("server.pem", &server.pem()), write("server.key", &server_key.serialize_pem()));
        let clients = match ca {
            Some(ca) => {
                format!("ssl_client_certificate {};\n        ssl_verify_client on;", write("clients.pem", &ca.pem))
            }
            None => String::new(),
        };
        let server_block = format!(
            "ssl_certificate {cert};
        ssl_certificate_key {key};
        {clients}
        location / {{
            proxy_pass {upstream};
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_read_timeout 1h;
            proxy_set_header Connection \"\";
        }}"
        );
        let nginx = Nginx::start_https("", "", &server_block).await;
        FrontDoor { nginx, trust_pem: server_ca.pem, _dir: dir }
    }
}
