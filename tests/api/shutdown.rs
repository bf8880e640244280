//! Graceful shutdown lets in-flight requests finish and then stops accepting connections.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::spawn_app;

#[tokio::test]
async fn an_in_flight_request_finishes_after_shutdown_is_requested() {
    let app = spawn_app().await;
    let body = r#"{"query": "{ viewer { name } }"}"#;
    let (head, tail) = body.split_at(10);
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    let request_head = format!(
        "POST /graphql HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{head}",
        app.api_key,
        body.len()
    );
    stream.write_all(request_head.as_bytes()).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    // The request is in flight: its body is half sent. Now stop the server.
    app.shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !app.server.is_finished(),
        "the server waits for the in-flight request"
    );

    stream.write_all(tail.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("bootstrap admin"), "{response}");

    let stopped = tokio::time::timeout(Duration::from_secs(5), app.server).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server stops cleanly once idle"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", app.port)).await.is_err(),
        "no new connections are accepted after shutdown"
    );
}

#[tokio::test]
async fn shutdown_is_bounded_by_the_timeout() {
    let app = crate::helpers::spawn_app_with(|config| {
        config.shutdown_timeout = Duration::from_millis(300);
    })
    .await;
    // A request that never completes its body.
    let mut stream = TcpStream::connect(("127.0.0.1", app.port)).await.unwrap();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.shutdown.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(3), app.server).await;
    assert!(
        matches!(stopped, Ok(Ok(Ok(())))),
        "the server gives up on the stuck request"
    );
}
