//! The window's way to a feed behind a front door that asks for a client
//! certificate (real nginx, `ssl_verify_client on`): "Test connection"
//! says whether the server took the identity, a key that does not fit is
//! refused by its field before anything is kept, and a saved feed's key is
//! in the keyring only, under the entry its feed names.

use std::sync::Arc;

use herald_core::call::Serve;
use herald_core::engine::StoreAt;
use herald_core::feed::{ClientKey, FeedForm};
use herald_core::ipc::{FeedInput, ProbeFeed, SaveFeed};
use herald_core::secrets::{MemorySecrets, Secrets};
use herald_core::sse::Phase;
use herald_desk::testing::{self, TestDesk};
use herald_test_support::mtls::{ClientCa, FrontDoor, Validity};
use herald_test_support::{serve, sse, Answer};

#[tokio::test(flavor = "multi_thread")]
async fn the_form_tests_and_saves_a_client_certificate_with_its_key_in_the_keyring() {
    let upstream = serve((0..4).map(|_| Answer::Hold(sse(b"id: 1\ndata: inside\n\n"))).collect()).await;
    let ca = ClientCa::new("Example Corp");
    let door = FrontDoor::start(&ca, &upstream.url).await;
    let dir = tempfile::tempdir().unwrap();
    let trust = dir.path().join("door-ca.pem");
    std::fs::write(&trust, &door.trust_pem).unwrap();
    let (cert, key) = ca.issue("ana", Validity::Current).write(dir.path(), "ana");
    let (_, bobs_key) = ca.issue("bob", Validity::Current).write(dir.path(), "bob");
    let secrets = Arc::new(MemorySecrets::default());
    let TestDesk { desk, events, .. } = testing::desk(StoreAt::Memory, secrets.clone(), dir.path()).await.unwrap();
    tokio::spawn(herald_desk::relay::run(desk.clone(), events, None));

    let mut form = FeedForm {
        name: "corp".into(),
        url: format!("{}/events", door.nginx.url),
        ca_cert: Some(trust.display().to_string()),
        ..FeedForm::default()
    };
    let probe = |form: FeedForm, client_key: Option<ClientKey>| {
        let desk = desk.clone();
        async move { desk.answer(ProbeFeed { form, secret: None, client_key }).await.unwrap() }
    };
    let without = probe(form.clone(), None).await;
    assert_eq!(without.identity_accepted, Some(false), "it asks for one");
    assert!(without.problem.unwrap().starts_with("the server asks for a client certificate"));

    form.client_cert = Some(cert.display().to_string());
    let file = |path: &std::path::Path| Some(ClientKey::File { path: path.to_owned() });
    let wrong = probe(form.clone(), file(&bobs_key)).await;
    assert_eq!(wrong.identity_accepted, Some(false));
    assert!(wrong.problem.unwrap().contains("does not match its private key"));
    let good = probe(form.clone(), file(&key)).await;
    assert_eq!((good.identity_accepted, good.problem.as_deref()), (Some(true), None), "{good:?}");
    assert_eq!(good.events.len(), 1);
    assert!(secrets.get("corp client key").is_err(), "a test keeps nothing");

    let save = |client_key: Option<ClientKey>| {
        let (desk, form) = (desk.clone(), form.clone());
        async move { desk.answer(SaveFeed { feed: FeedInput::Form(Box::new(form)), secret: None, client_key }).await }
    };
    let none = save(None).await.unwrap_err();
    assert_eq!(none.field(), Some("clientKey"), "{none}");
    let refused = save(file(&bobs_key)).await.unwrap_err();
    assert_eq!(refused.field(), Some("clientCert"), "{refused}");
    assert!(refused.to_string().contains("does not match its private key"), "{refused}");
    assert!(secrets.get("corp client key").is_err(), "nothing kept from a key that does not fit");

    save(file(&key)).await.unwrap();
    assert_eq!(secrets.get("corp client key").unwrap(), std::fs::read_to_string(&key).unwrap());
    testing::phase_when(&desk, "corp", |phase| matches!(phase, Phase::Open { .. })).await;
}
