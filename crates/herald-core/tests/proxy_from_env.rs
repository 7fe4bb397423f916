//! Proxies come from the environment (`HTTP_PROXY`): the request goes to the
//! proxy, in absolute form. Its own file, so its own process: the variables
//! it sets reach no other test.

use herald_test_support as common;

use common::{serve, sse, Answer};
use herald_core::sse::{Subscription, SubscriptionConfig};

#[tokio::test]
async fn an_http_proxy_from_the_environment_is_used() {
    let proxy = serve(vec![Answer::Hold(sse(b"data: via the proxy\n\n"))]).await;
    // This file's only test sets the environment before any client exists.
    std::env::set_var("HTTP_PROXY", &proxy.url);
    std::env::remove_var("NO_PROXY");
    std::env::remove_var("no_proxy");
    let client = herald_core::http_client().unwrap();
    let mut subscription = Subscription::start(client, SubscriptionConfig::new("http://feeds.example.invalid/events"));
    assert_eq!(&*subscription.next_event().await.unwrap().data, "via the proxy");
    assert_eq!(proxy.request_line(0), "GET http://feeds.example.invalid/events HTTP/1.1");
    assert_eq!(proxy.header(0, "accept").as_deref(), Some("text/event-stream"));
}
