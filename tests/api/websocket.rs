//! GraphQL over WebSocket (graphql-transport-ws) with the API key in `connection_init`.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use patchbay::state::Event;
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

use crate::helpers::{TestApp, spawn_app};

type Socket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

async fn open(app: &TestApp) -> Socket {
    let mut request = format!("ws://127.0.0.1:{}/graphql/ws", app.port)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    let (socket, response) = connect_async(request).await.expect("the upgrade succeeds");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// The next protocol message, or `None` when the socket closes.
async fn next(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("a message within 5 s");
        match message {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => continue,
        }
    }
}

async fn connect(app: &TestApp, payload: Value) -> Socket {
    let mut socket = open(app).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    socket
}

#[tokio::test]
async fn a_query_runs_over_websocket_with_the_key_in_connection_init() {
    let app = spawn_app().await;
    let mut socket = connect(
        &app,
        json!({ "authorization": format!("Bearer {}", app.api_key) }),
    )
    .await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": "{ viewer { name } }" } }),
    )
    .await;
    let message = next(&mut socket).await.unwrap();
    assert_eq!(message["type"], "next");
    assert_eq!(
        message["payload"]["data"]["viewer"]["name"],
        "bootstrap admin"
    );
    assert_eq!(next(&mut socket).await.unwrap()["type"], "complete");
}

#[tokio::test]
async fn a_connection_without_a_valid_key_is_refused() {
    let app = spawn_app().await;
    for payload in [json!({}), json!({ "authorization": "Bearer pb_live_nope" })] {
        let mut socket = connect(&app, payload.clone()).await;
        let first = next(&mut socket).await;
        assert!(
            first.as_ref().is_none_or(|m| m["type"] != "connection_ack"),
            "{payload}: {first:?}"
        );
    }
}

#[tokio::test]
async fn events_of_the_callers_workspace_are_streamed_with_type_filters() {
    let app = spawn_app().await;
    let mut socket = connect(&app, json!({ "x-api-key": app.api_key })).await;
    assert_eq!(next(&mut socket).await.unwrap()["type"], "connection_ack");
    send(
        &mut socket,
        json!({ "id": "s", "type": "subscribe",
                "payload": { "query": "subscription { events(types: [\"sync.*\"]) { type data } }" } }),
    )
    .await;
    // Give the subscription a moment to attach to the channel.
    tokio::time::sleep(Duration::from_millis(200)).await;

    let workspace_id = patchbay::workspaces::find_by_slug(&app.state.db, "default")
        .await
        .unwrap()
        .unwrap()
        .id;
    let publish = |workspace: &str, event_type: &str, n: i64| {
        app.state
            .events
            .send(Event {
                workspace_id: workspace.to_owned(),
                event_type: event_type.to_owned(),
                at: chrono::Utc::now(),
                data: json!({ "n": n }),
            })
            .unwrap();
    };
    publish("another-workspace", "sync.failed", 1);
    publish(&workspace_id, "record.updated", 2);
    publish(&workspace_id, "sync.succeeded", 3);

    let message = next(&mut socket).await.unwrap();
    assert_eq!(message["type"], "next", "{message}");
    assert_eq!(
        message["payload"]["data"]["events"]["type"],
        "sync.succeeded"
    );
    assert_eq!(message["payload"]["data"]["events"]["data"]["n"], 3);
}
