//! Pictures fetched from a real HTTP server on loopback, on Herald's terms:
//! a picture is fetched once and then served from the cache; an attachment
//! of 1 GB (claimed, announced, or just sent without end), one that
//! redirects to `file:///etc/passwd`, one that redirects without end, and
//! one whose type lies are each refused, with the reason.

use herald_core::media::{Limits, MediaCache, Refusal, MAX_BYTES, MAX_REDIRECTS};
use herald_test_support::pictures::{Pictures, GB, PNG};

#[tokio::test]
async fn a_picture_is_fetched_once_and_whatever_overreaches_is_refused_with_its_reason() {
    let pictures = Pictures::start().await;
    let url = &pictures.url;
    let dir = tempfile::tempdir().unwrap();
    let cache = MediaCache::new(dir.path().join("media"), 1 << 20, Limits::default());

    let door = cache.get(&format!("{url}/door.png"), Some(PNG.len() as u64)).await.unwrap();
    assert_eq!(door.mime, "image/png");
    assert_eq!(std::fs::read(&door.path).unwrap(), PNG);
    let again = cache.get(&format!("{url}/door.png"), None).await.unwrap();
    assert_eq!(again, door);
    assert_eq!(pictures.door_fetches(), 1, "the second is the cache's");

    let refused = |path: &'static str, claimed: Option<u64>| {
        let cache = &cache;
        async move { cache.get(&format!("{url}{path}"), claimed).await.expect_err(path) }
    };
    assert_eq!(refused("/huge.jpg", Some(GB)).await, Refusal::TooLarge { size: GB, max: MAX_BYTES }, "as claimed");
    assert_eq!(refused("/announced.jpg", None).await, Refusal::TooLarge { size: GB, max: MAX_BYTES });
    assert!(matches!(refused("/endless.jpg", None).await, Refusal::TooLarge { max: MAX_BYTES, .. }));
    assert_eq!(refused("/passwd.png", None).await, Refusal::RedirectNotHttp { to: "file:///etc/passwd".into() });
    assert_eq!(refused("/loop.png", None).await, Refusal::TooManyRedirects { max: MAX_REDIRECTS });
    let liar = refused("/liar.png", None).await;
    assert_eq!(liar, Refusal::NotAPicture { claimed: "image/png".into() });
    assert_eq!(liar.to_string(), "it says it is image/png, but it is not a picture Herald shows");
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("media")).unwrap().collect();
    assert_eq!(kept.len(), 1, "only the door was kept");
}
